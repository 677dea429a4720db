"""One httpx.AsyncClient per run: base URLs, the token header, retries, error translation.

Retry rules (API_NOTES §5.3, §8; DESIGN.md):
- reads (GET, downloads) retry on 5xx, 429, timeouts and dropped connections, with full
  jitter backoff or the server's Retry-After, bounded by attempts and by the deadline;
- a POST that creates a job or changes records is never retried blindly: a lost answer
  (5xx, timeout, drop after sending) raises OutcomeUnknown; a refusal (429, 4xx) raises
  with `request_was_processed=False`, and 429 is retried only if `retry_refused_posts`;
- a connection that never opened is retried for every method (Zoho never saw it);
- 401 INVALID_TOKEN refreshes the token once and sends the request again.
Every URL passes `HostPolicy.check` (runner.zoho.hosts) before a token is fetched or a byte
sent, and redirects are never followed, so the token reaches only the target's own hosts.
httpx exceptions are translated here, once, `from exc`, naming the host that was tried.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
import orjson

from runner import __version__
from runner.atomic import atomic_open_bytes
from runner.clock import Clock
from runner.zoho.auth import Target, TokenSource
from runner.zoho.errors import (
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TransportError,
    ZohoError,
    error_from_response,
)
from runner.zoho.hosts import REDIRECTS, HostPolicy, redirect_refused
from runner.zoho.retry import RetryPolicy, fits_deadline, parse_retry_after, was_sent

log = logging.getLogger("runner.zoho")

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
TOKEN_REJECTED = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN"})  # API_NOTES §5.2, §7.2
Base = Literal["api", "upload"]
# (field name, (file name, open binary file, content type)) for a multipart upload
FilesFactory = Callable[[], Mapping[str, tuple[str, Any, str]]]
T = TypeVar("T")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # any scheme, so HostPolicy sees it


@dataclass(frozen=True)
class ZohoResponse:
    """A successful answer: HTTP status, parsed JSON body (None when empty), headers."""

    status: int
    body: Any
    headers: Mapping[str, str]


def _loads(raw: bytes) -> Any:
    """orjson (a 500-record answer in ~0.3 ms, ~2x faster than json: issue 13); what it
    refuses and json reads (an integer beyond 64 bits, NaN, a lone surrogate) goes to json,
    so the value is the one json gives either way, and a body neither reads raises."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _parse(resp: httpx.Response) -> Any:
    """JSON body or None; Python ints stay exact, so 19-digit ids never lose digits."""
    if not resp.content:
        return None
    try:
        return _loads(resp.content)
    except ValueError:
        return {"message": resp.text[:200]}


def _is_record_list(body: Any) -> bool:
    """A `data[]` of per-record answers, each naming its record (seed 002, API_NOTES §2.2)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    return (
        isinstance(data, list)
        and bool(data)
        and all(
            isinstance(item, Mapping)
            and isinstance(item.get("details"), Mapping)
            and "id" in item["details"]
            for item in data
        )
    )


class ZohoClient:
    """The client side of the wire; use as `async with ZohoClient(target, clock=...) as zc`."""

    def __init__(
        self,
        target: Target,
        *,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        deadline: float | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry_refused_posts: bool = False,
        tokens: TokenSource | None = None,
    ) -> None:
        self.target = target
        self.clock = clock
        self.deadline = deadline  # on clock.now()'s time line; no retry sleeps past it
        self.retry = retry or RetryPolicy()
        self.retry_refused_posts = retry_refused_posts
        self.tokens = tokens or TokenSource(target, clock=clock)
        self.hosts = HostPolicy(target)
        self.calls = 0  # HTTP requests sent, retries included
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            # SDK8 api_http_connector.py: allow_redirects=False. Following one would send
            # the token wherever a Location header points; a 3xx is an error (_answer).
            follow_redirects=False,
            headers={"User-Agent": f"zcrm-runner/{__version__}"},
        )

    async def __aenter__(self) -> ZohoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def url(self, path: str, base: Base = "api") -> str:
        """An absolute URL as given; a path joined to the api (or upload) domain."""
        if _ABSOLUTE.match(path):
            return path
        root = self.target.upload_domain if base == "upload" else self.target.api_domain
        return root + ("" if path.startswith("/") else "/") + path

    async def get(
        self, path: str, *, params: Mapping[str, str] | None = None, deadline: float | None = None
    ) -> ZohoResponse:
        """A read: retried on 5xx, 429 and transport errors."""
        return await self.request("GET", path, params=params, safe=True, deadline=deadline)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        files: FilesFactory | None = None,
        base: Base = "api",
        safe: bool | None = None,
        allow_record_errors: bool = False,
        deadline: float | None = None,
    ) -> ZohoResponse:
        """Send one API call; `safe` (default: GET only) allows blind retries."""
        url = self.url(path, base)
        content = None if json_body is None else json.dumps(json_body).encode()
        extra = dict(headers or {})
        if content is not None:
            extra["Content-Type"] = "application/json"  # wire 06/10; harmless on actions/*

        async def once(auth: Mapping[str, str]) -> ZohoResponse:
            opened = files() if files else None
            try:
                resp = await self._send(
                    method,
                    url,
                    params=params,
                    content=content,
                    files=opened,
                    headers={**extra, **auth},
                )
            finally:
                for _name, handle, _type in (opened or {}).values():
                    if hasattr(handle, "close"):
                        handle.close()
            return self._answer(resp, allow_record_errors)

        is_safe = method == "GET" if safe is None else safe
        return await self._retrying(method, url, once, safe=is_safe, deadline=deadline)

    async def download(self, path: str, dest: Path, *, deadline: float | None = None) -> Path:
        """Stream a file to `dest` (atomically), never whole in memory; retried."""
        url = self.url(path)
        dest.parent.mkdir(parents=True, exist_ok=True)

        async def once(auth: Mapping[str, str]) -> Path:
            self.calls += 1
            try:
                async with self._http.stream("GET", url, headers=dict(auth)) as resp:
                    log.debug("GET %s -> %s", httpx.URL(url).path, resp.status_code)
                    if not 200 <= resp.status_code < 300:
                        await resp.aread()
                        self._answer(resp, False)
                    with atomic_open_bytes(dest) as out:
                        async for chunk in resp.aiter_bytes():
                            out.write(chunk)
            except httpx.TransportError as exc:
                raise self._transport_error("GET", url, exc) from exc
            return dest

        return await self._retrying("GET", url, once, safe=True, deadline=deadline)

    async def post_form(self, url: str, form: Mapping[str, str]) -> tuple[int, Any]:
        """An unauthenticated form POST (the token refresh): status and JSON, errors included."""

        async def once(_auth: Mapping[str, str]) -> tuple[int, Any]:
            resp = await self._send("POST", url, data=dict(form))
            if resp.status_code >= 500 or resp.status_code == 429:
                self._answer(resp, False)
            return resp.status_code, _parse(resp)

        # A refresh mints a token but changes no records, so it may be retried like a read.
        return await self._retrying("POST", url, once, safe=True, auth=False)

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.calls += 1
        try:
            resp = await self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise self._transport_error(method, url, exc) from exc
        log.debug("%s %s -> %s", method, resp.url.path, resp.status_code)
        return resp

    def _transport_error(self, method: str, url: str, exc: httpx.TransportError) -> TransportError:
        """No answer, with the host tried and where it came from (ZOHO_DC default, a variable)."""
        parsed = httpx.URL(url)
        host = parsed.netloc.decode("ascii")
        source = self.hosts.source(parsed)
        named = f"{host} ({source})" if source else host
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):  # DNS and TLS too
            text = f"could not connect to {named}: {method} {parsed.path}: {_describe(exc)}"
        else:
            text = f"{method} {parsed.path} on {named}: {_describe(exc)}"
        return TransportError(text, sent=was_sent(exc))

    def _answer(self, resp: httpx.Response, allow_record_errors: bool) -> ZohoResponse:
        status, body = resp.status_code, _parse(resp)
        if status in REDIRECTS:
            raise redirect_refused(resp)
        if 200 <= status < 300:
            if isinstance(body, Mapping) and body.get("status") == "error" and "code" in body:
                raise error_from_response(status, body)  # seed 002: 202 ALREADY_SCHEDULED
            return ZohoResponse(status, body, resp.headers)
        if allow_record_errors and status == 400 and _is_record_list(body):
            return ZohoResponse(status, body, resp.headers)  # every record refused, each named
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), self.clock.now())
        raise error_from_response(status, body, retry_after=retry_after)

    def _may_retry(self, err: ZohoError, safe: bool) -> bool:
        if err.request_was_processed is False and isinstance(err, TransportError):
            return True  # the connection never opened
        if isinstance(err, RateLimited):
            return safe or self.retry_refused_posts
        return safe and isinstance(err, (ServerError, TransportError))

    async def _retrying(
        self,
        method: str,
        url: str,
        once: Callable[[Mapping[str, str]], Awaitable[T]],
        *,
        safe: bool,
        deadline: float | None = None,
        auth: bool = True,
    ) -> T:
        # The one gate: every request, with a token or a refresh's secrets, passes here first.
        path = self.hosts.check(method, url).path
        deadline = self.deadline if deadline is None else deadline
        attempt, refreshed = 0, False
        token = await self.tokens.get(self.post_form) if auth else ""
        while True:
            attempt += 1
            try:
                return await once({"Authorization": f"Zoho-oauthtoken {token}"} if auth else {})
            except ZohoError as err:
                if auth and err.http_status == 401 and err.code in TOKEN_REJECTED and not refreshed:
                    refreshed = True  # refused, so safe to resend once with a new token
                    token = await self.tokens.after_rejected(token, self.post_form)
                    attempt -= 1
                    continue
                if not safe and err.request_was_processed is None:
                    raise OutcomeUnknown(method, path, err) from err
                if not self._may_retry(err, safe) or attempt >= self.retry.attempts:
                    raise
                wait = self.retry.delay(attempt, self._rng, getattr(err, "retry_after", None))
                if not fits_deadline(self.clock.now(), wait, deadline):
                    raise
                log.debug("%s %s: %s, retrying in %.2fs", method, path, err.code, wait)
                await self.clock.sleep(wait)
                if auth:
                    token = await self.tokens.get(self.post_form)


def _describe(exc: httpx.TransportError) -> str:
    """The httpx error's kind and text; our URLs and headers carry no secrets."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
