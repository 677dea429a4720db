"""`/__sim__/`: test hooks with no auth (DESIGN §Simulator): call log, ground truth, reset,
clock, forced failures, extra tokens and a foreign host for download URLs."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runner.clock import Clock
from runner.simulator import exceptions as e
from runner.simulator.auth import FULL_SCOPES, TOKEN_LIFETIME, Tokens
from runner.simulator.models.org import SimOrg
from runner.simulator.models.values import iso

MAX_CALLS = 100_000


@dataclass
class Forced:
    """The next `count` requests under `path_prefix` fail with `code`."""

    path_prefix: str
    code: str
    count: int = 1


@dataclass
class SimState:
    """Everything one app instance holds besides the org itself."""

    org: SimOrg
    tokens: Tokens
    clock: Clock
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_CALLS))
    forced: list[Forced] = field(default_factory=list)
    # Set: bulk job answers give download URLs on this base instead of the simulator's own
    # host, as a hostile or broken server might (the runner must refuse to follow them).
    download_base: str | None = None

    def take_forced(self, path: str) -> e.SimError | None:
        for f in self.forced:
            if path.startswith(f.path_prefix):
                f.count -= 1
                if f.count <= 0:
                    self.forced.remove(f)
                return e.error_for_code(f.code)()
        return None


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    state.org.advance(state.clock.now())
    return state


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def calls(request: Request) -> Response:
    return JSONResponse(list(_state(request).calls))


async def jobs(request: Request) -> Response:
    org = _state(request).org
    out = [
        {
            "id": j.id,
            "kind": j.kind,
            "module": j.module,
            "state": j.state(),
            "created_at": iso(j.created_at),
            "counts": j.counts(),
        }
        for j in org.jobs.values()
    ]
    return JSONResponse(out)


async def records(request: Request) -> Response:
    """Ground truth for `?ids=`: values, state, territory, whether and when (`deleted_at`,
    ISO on the sim clock) it was deleted."""
    org = _state(request).org
    try:
        mod = org.module(request.path_params["module"])
    except e.SimError as err:
        return _bad(err.text)
    store = org.stores[mod.api_name]
    ids = [i for i in (request.query_params.get("ids") or "").split(",") if i]
    out = []
    for rid in ids:
        n = mod.record_n(rid)
        if n is None or not store.known(n):
            out.append(
                {"id": rid, "exists": False, "deleted": False, "deleted_at": None, "record": None}
            )
            continue
        gone = store.deleted.get(n)
        out.append({"id": rid, "exists": store.exists(n), "deleted": gone is not None,
                    "deleted_at": None if gone is None else iso(gone.at),
                    "state": store.state(n), "territory": store.territory(n),
                    "record": store.record(n)})  # fmt: skip
    return JSONResponse(out)


async def reset(request: Request) -> Response:
    state = _state(request)
    state.org.reset()
    state.calls.clear()
    state.forced.clear()
    state.download_base = None
    return JSONResponse({"reset": True})


async def clock(request: Request) -> Response:
    state = _state(request)
    advance = getattr(state.clock, "advance", None)
    seconds = (await _json(request)).get("advance")
    if advance is None:
        return _bad("the clock is not a manual clock")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return _bad("advance must be a non-negative number of seconds")
    advance(float(seconds))
    state.org.advance(state.clock.now())
    return JSONResponse({"now": state.clock.now()})


async def fail(request: Request) -> Response:
    """`{"path_prefix", "code", "count"}` forces answers; `{"job_kind"}` fails the next job."""
    state = _state(request)
    body = await _json(request)
    if "job_kind" in body:
        state.org.fail_next.add(str(body["job_kind"]))
        return JSONResponse({"job_kind": body["job_kind"]})
    code = str(body.get("code", "INTERNAL_ERROR"))
    if code not in e.BY_CODE:
        return _bad(f"unknown code {code}")
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return _bad("count must be a positive integer")
    state.forced.append(Forced(str(body.get("path_prefix", "/")), code, count))
    return JSONResponse({"path_prefix": state.forced[-1].path_prefix, "code": code})


async def download_base(request: Request) -> Response:
    """`{"base": "https://elsewhere.test"}` puts later download URLs there; `null` undoes it."""
    state = _state(request)
    base = (await _json(request)).get("base")
    if base is not None and (not isinstance(base, str) or not base.startswith("http")):
        return _bad("base must be an http(s) URL or null")
    state.download_base = None if base is None else base.rstrip("/")
    return JSONResponse({"base": state.download_base})


async def tokens(request: Request) -> Response:
    """Mint a token for any user with chosen scopes (scope and permission tests), living
    `expires_in` seconds of the simulator's clock (default an hour; a short one lets a
    test see a token expire mid-run)."""
    state = _state(request)
    body = await _json(request)
    user_id = str(body.get("user_id", state.org.admin.id))
    if user_id not in state.org.users:
        return _bad(f"unknown user {user_id}")
    scopes = body.get("scopes", list(FULL_SCOPES))
    if not isinstance(scopes, list):
        return _bad("scopes must be a list")
    lifetime = body.get("expires_in", TOKEN_LIFETIME)
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
        return _bad("expires_in must be a positive number of seconds")
    now = state.clock.now()
    token = state.tokens.issue(user_id, [str(s) for s in scopes], now, lifetime=float(lifetime))
    return JSONResponse({"access_token": token.value, "expires_at": token.expires_at})


def routes() -> list[BaseRoute]:
    return [
        Route("/calls", calls, methods=["GET"]),
        Route("/jobs", jobs, methods=["GET"]),
        Route("/records/{module}", records, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/clock", clock, methods=["POST"]),
        Route("/fail", fail, methods=["POST"]),
        Route("/tokens", tokens, methods=["POST"]),
        Route("/download_base", download_base, methods=["POST"]),
    ]
