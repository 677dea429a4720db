"""What every response module shares: the request context, JSON in and out, auth."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from runner.clock import Clock
from runner.simulator import exceptions as e
from runner.simulator.auth import Token, Tokens, require
from runner.simulator.models.org import SimOrg
from runner.simulator.models.views import SimUser

JSON_TYPE = "application/json;charset=UTF-8"  # wire/*: every JSON reply's Content-Type


@dataclass
class Ctx:
    """One request, with the org, the tokens and the clock reading taken for it."""

    request: Request
    org: SimOrg
    tokens: Tokens
    clock: Clock
    now: float
    params: dict[str, str] = field(default_factory=dict)
    _body: bytes | None = None

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    async def body(self) -> bytes:
        if self._body is None:
            self._body = await self.request.body()
        return self._body

    async def json(self, *, invalid: type[e.SimError] = e.SimInvalidData) -> Any:
        """The body as JSON whatever the Content-Type (wire/README: the SDK sends none on
        mass POSTs); big integers stay exact because Python ints are unbounded."""
        raw = await self.body()
        try:
            return json.loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError):
            raise invalid("the request body is not valid JSON", {"api_name": "body"}) from None

    def token(self) -> Token:
        return self.tokens.check(self.header("authorization"), self.now)

    def auth(self, *scopes: str) -> SimUser:
        """INVALID_TOKEN, then OAUTH_SCOPE_MISMATCH unless one of `scopes` is granted."""
        token = self.token()
        require(token, *scopes)
        return self.org.user(token.user_id)

    def base_url(self) -> str:
        url = self.request.url
        return f"{url.scheme}://{url.netloc}"

    def download_base(self) -> str | None:
        """The foreign base `/__sim__/download_base` set for download URLs, if any."""
        base: str | None = self.request.app.state.sim.download_base
        return base


Handler = Callable[[Ctx], Awaitable[Response]]


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(body: Any) -> str:
    """Compact JSON, non-ASCII kept, as Zoho sends it (wire/*). One shared encoder:
    `json.dumps` with these options builds a new one per call, 3x the cost of a small
    per-record error entry."""
    return _COMPACT.encode(body)


def json_response(body: Any, status: int = 200) -> Response:
    return text_response(encode(body), status)


def text_response(text: str, status: int = 200) -> Response:
    """A JSON answer already encoded (the per-record answers build theirs piece by piece)."""
    return Response(text.encode(), status_code=status, media_type=JSON_TYPE)


_PLAIN = re.compile(r'[^"\\\x00-\x1f]*')  # what JSON must escape: quote, backslash, controls


def quoted(text: str) -> str:
    """`text` as a JSON string: `encode(text)`, without its cost for plain ASCII."""
    return f'"{text}"' if _PLAIN.fullmatch(text) else encode(text)


def error_response(err: e.SimError) -> Response:
    return json_response(err.body(), err.http_status)


def as_id(value: Any) -> str | None:
    """An id sent as a string or a JSON number (API_NOTES §1.3), as a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip()  # isascii: str.isdigit() takes other scripts' digits too
    return None


def require_json_content(ctx: Ctx) -> None:
    """Bulk creates need `Content-Type: application/json` (API_NOTES §1.2), else 415."""
    content_type = (ctx.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise e.SimMediaTypeNotSupported(details={"content_type": content_type or None})
