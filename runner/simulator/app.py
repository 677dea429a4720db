"""`create_app()`: the simulator as a Starlette ASGI app, its route table, and the one place
that turns a SimError into Zoho's error envelope (moto's layout, DESIGN §Simulator).

Paths accept any API version v2…v8, v2.1 included (API_NOTES §1.1). Unknown paths answer
404 INVALID_URL_PATTERN, a known path with another method 400 INVALID_REQUEST_METHOD
(seeds 000-004 "Possible Errors").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.clock import Clock, SystemClock
from runner.simulator import control
from runner.simulator import exceptions as e
from runner.simulator.auth import Tokens, default_token
from runner.simulator.models.org import SimOrg
from runner.simulator.responses import (
    bulk_read,
    bulk_write,
    mass_delete,
    mass_update,
    metadata,
    oauth,
    record_reads,
    records,
)
from runner.simulator.responses.base import Ctx, Handler, error_response

V = r"(?P<v>v[2-8](?:\.[0-9])?)"
JOB = r"(?P<job_id>[0-9]+)"
MOD = r"(?P<module>[A-Za-z][A-Za-z0-9_]*)"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class SimRoute:
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]


def _route(path: str, **handlers: Handler) -> SimRoute:
    return SimRoute(re.compile(path), handlers)


ROUTES: tuple[SimRoute, ...] = (
    _route(r"/oauth/v2/token", POST=oauth.token),
    _route(rf"/crm/{V}/users", GET=metadata.users),
    _route(rf"/crm/{V}/org", GET=metadata.org),
    _route(rf"/crm/{V}/settings/modules", GET=metadata.modules),
    _route(rf"/crm/{V}/settings/fields", GET=metadata.fields),
    _route(rf"/crm/{V}/settings/custom_views", GET=metadata.custom_views),
    _route(rf"/crm/{V}/upload", POST=bulk_write.upload),
    _route(rf"/crm/bulk/{V}/read", POST=bulk_read.create),
    _route(rf"/crm/bulk/{V}/read/{JOB}", GET=bulk_read.status),
    _route(rf"/crm/bulk/{V}/read/{JOB}/result", GET=bulk_read.download),
    _route(rf"/crm/bulk/{V}/write", POST=bulk_write.create),
    _route(rf"/crm/bulk/{V}/write/{JOB}", GET=bulk_write.status),
    _route(
        r"/v2/crm/(?P<zgid>[0-9]+)/bulk-write/(?P<job_id>[0-9]+)/(?P=job_id)\.zip",
        GET=bulk_write.download,
    ),
    _route(rf"/crm/{V}/{MOD}/actions/mass_update", GET=mass_update.status, POST=mass_update.create),
    _route(rf"/crm/{V}/{MOD}/actions/mass_delete", GET=mass_delete.status, POST=mass_delete.create),
    _route(rf"/crm/{V}/{MOD}/actions/count", GET=records.count),
    # before the record-id route; `deleted` is no record id ([0-9]+), but keep it first
    _route(rf"/crm/{V}/{MOD}/deleted", GET=record_reads.deleted_records),
    _route(rf"/crm/{V}/{MOD}", GET=record_reads.list_records),
    _route(rf"/crm/{V}/{MOD}/(?P<record_id>[0-9]+)", GET=records.get_record),
)


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler for a request; INVALID_URL_PATTERN / INVALID_REQUEST_METHOD otherwise."""
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        handler = route.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            raise e.SimInvalidRequestMethod()
        return handler, {k: v for k, v in match.groupdict().items() if v is not None}
    raise e.SimInvalidUrlPattern()


async def dispatch(request: Request) -> Response:
    """Advance jobs to now, apply a forced failure if one is armed, route, answer."""
    state: control.SimState = request.app.state.sim
    now = state.clock.now()
    state.org.advance(now)
    try:
        forced = state.take_forced(request.url.path)
        if forced is not None:
            raise forced
        handler, params = resolve(request.method, request.url.path)
        ctx = Ctx(request, state.org, state.tokens, state.clock, now, params)
        return await handler(ctx)
    except e.SimError as err:
        return error_response(err)


class CallLog:
    """Outermost ASGI layer: records `{method, path, query, status, at}` of every Zoho call
    (not `/__sim__/` ones), including answers the faults middleware made up."""

    def __init__(self, app: ASGIApp, state: control.SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/__sim__/"):
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": None,
            "at": self.state.clock.now(),
        }
        self.state.calls.append(entry)

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, receive, record)


class SimApp(Starlette):
    """Starlette with the faults middleware and the call log wrapped around its stack."""

    def __init__(self, state: control.SimState, faults: Callable[[ASGIApp], ASGIApp] | None):
        super().__init__(
            routes=[
                Mount("/__sim__", routes=control.routes()),
                Route("/{rest:path}", dispatch, methods=METHODS),
            ]
        )
        self.state.sim = state
        self._faults = faults

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        if self._faults is not None:
            app = self._faults(app)  # the faults middleware skips /__sim__/ itself
        return CallLog(app, self.state.sim)


def create_app(
    org: SimOrg | None = None,
    *,
    clock: Clock | None = None,
    faults: Any | None = None,
    token: str | None = None,
) -> Starlette:
    """The simulator app; `app.state.access_token` has every scope for the demo admin."""
    if org is None:
        from runner.simulator.seed import build_demo_org

        org = build_demo_org()
    tokens = Tokens(org.seed)
    fixed = token or default_token(org.seed)
    tokens.fixed(fixed, org.admin.id)
    state = control.SimState(org=org, tokens=tokens, clock=clock or SystemClock())
    app = SimApp(state, faults)
    app.state.access_token = fixed
    app.state.org = org
    app.state.clock = state.clock
    return app
