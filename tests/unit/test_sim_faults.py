"""Fault injection: spec parsing, each fault kind, seeds, exemptions, limits (no sockets)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner.clock import ManualClock
from runner.simulator.faults import (
    ConnectionDropped,
    DropConnections,
    FaultInjector,
    FaultSpec,
    Message,
    Receive,
    Scope,
    Send,
    parse_fault_spec,
)


def _tiny_app(gate: asyncio.Event | None = None) -> Starlette:
    """A stand-in for the simulator: an ok route, a download route and a /__sim__/ route."""

    async def ok(request: Request) -> Response:
        if gate is not None:
            await gate.wait()
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/crm/v8/Accounts/actions/mass_update", ok, methods=["GET", "POST"]),
            Route("/crm/bulk/v8/read/{job}/result", ok),
            Route("/download/{name}", ok),
            Route("/__sim__/calls", ok),
        ]
    )


async def _no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def _injector(text: str, seed: int = 7, clock: ManualClock | None = None) -> FaultInjector:
    injector = parse_fault_spec(text).middleware(seed, clock or ManualClock())
    injector.sleep = _no_sleep
    return injector


MakeClient = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def client_for() -> AsyncIterator[MakeClient]:
    clients: list[httpx.AsyncClient] = []

    def make(injector: FaultInjector, app: Starlette | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=injector(app or _tiny_app()))
        client = httpx.AsyncClient(transport=transport, base_url="http://sim")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


STATUS = "/crm/v8/Accounts/actions/mass_update?job_id=1"


def test_parse_full_spec() -> None:
    """The issue's example spec parses into every field, with units converted."""
    spec = parse_fault_spec(
        "5xx=0.05,429=0.05,latency=20ms,drop=0.01,concurrency=10,download_rate=10/min"
    )
    assert spec == FaultSpec(
        error_5xx=0.05,
        error_429=0.05,
        latency=0.02,
        drop=0.01,
        concurrency=10,
        download_rate=10,
    )


def test_parse_empty_and_optional_keys() -> None:
    """An empty spec injects nothing; seconds, spaces and retry_after are understood."""
    assert parse_fault_spec("") == FaultSpec()
    assert parse_fault_spec(" latency=1.5s , retry_after=3s ") == FaultSpec(
        latency=1.5, retry_after=3
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("boom=0.1", "unknown fault 'boom' in 'boom=0.1' (known: 5xx, 429, drop, latency, "),
        ("5xx=1.5", "fault 5xx='1.5': a rate must be between 0 and 1"),
        ("429=-0.1", "fault 429='-0.1': a rate must be between 0 and 1"),
        ("drop=lots", "fault drop='lots': not a number (try drop=0.05)"),
        ("latency=20", "fault latency='20': give a duration in ms or s (try latency=20ms)"),
        ("latency=2m", "fault latency='2m': give a duration in ms or s (try latency=20ms)"),
        ("download_rate=10/h", "fault download_rate='10/h': give a rate as N/min"),
        ("download_rate=0/min", "fault download_rate='0/min': give a rate as N/min"),
        ("concurrency=0", "fault concurrency='0': must be a whole number of at least 1"),
        ("concurrency", "fault 'concurrency' needs a value: concurrency=..."),
        ("drop=0.1,drop=0.2", "fault 'drop' given twice"),
        ("5xx=0.6,429=0.6", "faults 5xx + 429 + drop add up to more than 1"),
    ],
)
def test_parse_bad_spec(text: str, message: str) -> None:
    """Every bad spec is refused with a message naming the part that is wrong."""
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_fault_spec(text)


async def _statuses(client: httpx.AsyncClient, n: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(n):
        try:
            seen.append((await client.get(STATUS)).status_code)
        except httpx.RemoteProtocolError:
            seen.append("drop")
    return seen


@pytest.mark.anyio
async def test_same_seed_same_faults(client_for: MakeClient) -> None:
    """Two injectors with one seed fault the same requests; another seed differs."""
    spec = "5xx=0.2,429=0.2,drop=0.2"
    first = await _statuses(client_for(_injector(spec, seed=3)), 60)
    again = await _statuses(client_for(_injector(spec, seed=3)), 60)
    other = await _statuses(client_for(_injector(spec, seed=4)), 60)
    assert first == again
    assert first != other
    assert {200, 500, 429, "drop"} <= set(first)


@pytest.mark.anyio
async def test_5xx_is_zoho_internal_error(client_for: MakeClient) -> None:
    """5xx=1 answers 500 with Zoho's INTERNAL_ERROR envelope, and counts it."""
    injector = _injector("5xx=1")
    response = await client_for(injector).get(STATUS)
    assert response.status_code == 500
    assert response.json() == {
        "code": "INTERNAL_ERROR",
        "details": {},
        "message": "Internal Server Error",
        "status": "error",
    }
    assert injector.stats.errors_5xx == 1


@pytest.mark.anyio
async def test_429_envelope_without_retry_after(client_for: MakeClient) -> None:
    """429=1 answers TOO_MANY_REQUESTS with no Retry-After, as Zoho documents none."""
    response = await client_for(_injector("429=1")).post(STATUS, content=b"{}")
    assert response.status_code == 429
    body = response.json()
    assert (body["code"], body["status"], body["details"]) == ("TOO_MANY_REQUESTS", "error", {})
    assert "retry-after" not in response.headers


@pytest.mark.anyio
async def test_429_retry_after_knob(client_for: MakeClient) -> None:
    """retry_after=N adds a Retry-After header to injected 429s."""
    response = await client_for(_injector("429=1,retry_after=4")).get(STATUS)
    assert response.headers["retry-after"] == "4"


@pytest.mark.anyio
async def test_drop_surfaces_as_transport_error(client_for: MakeClient) -> None:
    """drop=1 under ASGITransport reaches the client as httpx.RemoteProtocolError."""
    injector = _injector("drop=1")
    with pytest.raises(httpx.RemoteProtocolError) as info:
        await client_for(injector).get(STATUS)
    assert isinstance(info.value, ConnectionDropped)
    assert injector.stats.dropped == 1


@pytest.mark.anyio
async def test_latency_waits_on_injected_clock(client_for: MakeClient) -> None:
    """latency=20ms sleeps 0.02 s on the injected clock per request, then answers."""
    clock = ManualClock()
    injector = parse_fault_spec("latency=20ms").middleware(1, clock)
    response = await client_for(injector).get(STATUS)
    assert response.status_code == 200
    assert clock.slept == [0.02]
    assert injector.stats.delayed == 1


def _working_app(clock: ManualClock, seconds: float) -> Starlette:
    """An app whose every answer takes `seconds` of (manual) clock time to make."""

    async def work(request: Request) -> Response:
        clock.advance(seconds)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/crm/v8/Accounts/actions/mass_update", work)])


@pytest.mark.anyio
@pytest.mark.parametrize(("work", "waited"), [(0.005, [0.015]), (0.02, []), (0.5, [])])
async def test_latency_is_a_response_time_the_work_counts_inside(
    client_for: MakeClient, work: float, waited: list[float]
) -> None:
    """latency=20ms: an answer whose making took 5 ms waits 15 ms more; one that took the
    whole 20 ms or longer goes at once, so the simulator's work never adds to it."""
    clock = ManualClock()
    injector = parse_fault_spec("latency=20ms").middleware(1, clock)
    response = await client_for(injector, _working_app(clock, work)).get(STATUS)
    assert response.status_code == 200
    assert [round(s, 6) for s in clock.slept] == waited


@pytest.mark.anyio
async def test_requests_arriving_together_are_stamped_before_any_work(
    client_for: MakeClient,
) -> None:
    """latency=20ms, two requests at once, 5 ms of work each on one event loop: both count
    their latency from the moment they arrived, not the second from when the first's work
    was done, so the second waits 10 ms (20 - its own 5 - the first's 5), not 15."""
    clock = ManualClock()
    waits: list[float] = []

    async def wait(seconds: float) -> None:  # the time it would wait; the clock stands still
        waits.append(seconds)

    injector = FaultInjector(parse_fault_spec("latency=20ms"), seed=1, clock=clock, sleep=wait)
    client = client_for(injector, _working_app(clock, 0.005))
    answers = await asyncio.gather(client.get(STATUS), client.get(STATUS))
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(round(s, 6) for s in waits) == [0.01, 0.015]


@pytest.mark.anyio
async def test_refusals_wait_the_whole_latency(client_for: MakeClient) -> None:
    """A 5xx or 429 fault does no work, so it answers after the full latency."""
    clock = ManualClock()
    injector = parse_fault_spec("5xx=1,latency=20ms").middleware(1, clock)
    assert (await client_for(injector).get(STATUS)).status_code == 500
    assert clock.slept == [0.02]


@pytest.mark.anyio
async def test_sim_prefix_is_never_faulted(client_for: MakeClient) -> None:
    """/__sim__/ hooks answer normally even when every other request fails."""
    injector = _injector("5xx=1,latency=1s,concurrency=1")
    client = client_for(injector)
    assert [(await client.get("/__sim__/calls")).status_code for _ in range(3)] == [200] * 3
    assert (await client.get(STATUS)).status_code == 500
    assert (injector.stats.exempt, injector.stats.delayed) == (3, 1)


@pytest.mark.anyio
async def test_concurrency_limit(client_for: MakeClient) -> None:
    """With concurrency=3, a 4th and 5th request in flight get 429; after that, 200 again."""
    gate = asyncio.Event()
    injector = _injector("concurrency=3")
    client = client_for(injector, _tiny_app(gate))

    async def call() -> int:
        return (await client.get(STATUS)).status_code

    tasks = [asyncio.ensure_future(call()) for _ in range(3)]
    while injector.in_flight < 3:
        await asyncio.sleep(0)
    rejected = await asyncio.gather(call(), call())
    gate.set()
    held = await asyncio.gather(*tasks)
    assert rejected == [429, 429]
    assert held == [200, 200, 200]
    assert (await call(), injector.stats.concurrency_429) == (200, 2)
    assert (injector.in_flight, injector.stats.max_in_flight) == (0, 3)


@pytest.mark.anyio
async def test_download_rate_sliding_minute(client_for: MakeClient) -> None:
    """download_rate=2/min: a 3rd download in the same minute is 429, then allowed again."""
    clock = ManualClock()
    injector = _injector("download_rate=2/min", clock=clock)
    client = client_for(injector)

    async def download(path: str = "/crm/bulk/v8/read/9/result") -> int:
        return (await client.get(path)).status_code

    assert [await download(), await download("/download/9.zip")] == [200, 200]
    assert (await client.get(STATUS)).status_code == 200  # not a download
    clock.advance(30)
    assert await download() == 429
    clock.advance(30)  # the first two leave the window
    assert [await download(), await download(), await download()] == [200, 200, 429]
    assert injector.stats.download_429 == 2


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    """Non-HTTP scopes (lifespan) reach the app untouched, whatever the faults."""
    seen: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        seen.append(scope["type"])

    await _injector("drop=1")(app)({"type": "lifespan"}, _no_receive, _no_send)
    assert seen == ["lifespan"]


async def _no_receive() -> dict[str, object]:
    return {"type": "lifespan.startup"}


async def _no_send(message: object) -> None:
    return None


class _FakeTransport(asyncio.Transport):
    """Stands in for uvicorn's socket transport: records close()."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True


class _Cycle:
    """Like uvicorn's request cycle: `send` is its bound method, `transport` its socket."""

    def __init__(self) -> None:
        self.transport = _FakeTransport()
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope(path: str = "/crm/v8/org") -> dict[str, object]:
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}


@pytest.mark.anyio
async def test_drop_closes_a_servers_transport() -> None:
    """With uvicorn's own send in reach, drop closes the transport and sends nothing."""
    cycle = _Cycle()
    await _injector("drop=1")(_tiny_app())(_scope(), _receive, cycle.send)
    assert (cycle.transport.closed, cycle.sent) == (True, [])


@pytest.mark.anyio
async def test_drop_under_another_layer_closes_via_drop_connections() -> None:
    """A layer wrapping send (the call log) hides the transport; DropConnections outside
    it still closes the socket without an answer."""
    faulted = _injector("drop=1")(_tiny_app())

    async def call_log(scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped(message: Message) -> None:
            await send(message)

        await faulted(scope, receive, wrapped)

    cycle = _Cycle()
    await DropConnections(call_log)(_scope(), _receive, cycle.send)
    assert (cycle.transport.closed, cycle.sent) == (True, [])


@pytest.mark.anyio
async def test_drop_connections_reraises_without_a_transport() -> None:
    """Under httpx.ASGITransport DropConnections lets the transport error reach the client."""
    app = DropConnections(_injector("drop=1")(_tiny_app()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as c:
        with pytest.raises(httpx.RemoteProtocolError):
            await c.get(STATUS)
