"""Fault injection for the simulator: latency, 5xx, 429, dropped connections, a concurrency
limit and Zoho's download rate limit, as pure ASGI middleware with a seeded RNG.

`sim serve --faults "5xx=0.05,429=0.05,latency=20ms,drop=0.01,concurrency=10,download_rate=10/min"`
parses with `parse_fault_spec`; `FaultSpec.middleware(seed, clock)` is the factory that
`create_app(faults=...)` wraps around the app. One RNG draw per faultable request, so the
same seed and the same request sequence give the same faults (DESIGN §Simulator).
`latency` is a response time: the least time from a request's arrival to its answer, with
the simulator's own work inside it (see `FaultMiddleware._faulted`). Under `sim serve` the
arrival is when the request's first bytes were read (runner.simulator.arrival).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.clock import Clock, SystemClock
from runner.simulator import exceptions as e

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Sleeper = Callable[[float], Awaitable[None]]

EXEMPT_PREFIX = "/__sim__/"
# The scope key a server stamps with the clock's time a request's first bytes came in
# (runner.simulator.arrival); without it, a request arrives when the app first sees it.
ARRIVED = "zcrm.arrived"
_WINDOW = 60.0  # API_NOTES §3.3: "10 download requests per minute"

# Zoho's envelope (API_NOTES §5.1), written from the simulator's own error classes so a
# faulted answer and a modelled one cannot drift apart. TOO_MANY_REQUESTS: API_NOTES §5.3.
INTERNAL_ERROR = e.SimInternalError()
TOO_MANY_REQUESTS = e.SimTooManyRequests()


class ConnectionDropped(httpx.RemoteProtocolError):
    """A `drop` fault where no server can close the socket (httpx.ASGITransport): the app
    raises this, ASGITransport hands it to the client as is, so the runner sees the same
    transport error class a real dropped connection gives it."""

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


@dataclass(frozen=True)
class FaultSpec:
    """What to inject. Rates are probabilities per request; None means 'no limit'."""

    error_5xx: float = 0.0
    error_429: float = 0.0
    drop: float = 0.0
    latency: float = 0.0  # seconds: the least time from a request to its answer
    concurrency: int | None = None
    download_rate: int | None = None  # downloads per sliding minute
    retry_after: int | None = None  # seconds; Zoho documents no Retry-After (API_NOTES §5.3)

    def middleware(self, seed: int, clock: Clock | None = None) -> FaultInjector:
        """The factory `create_app(faults=...)` takes; keeps one RNG and one stats object."""
        return FaultInjector(self, seed=seed, clock=clock)


def _rate(key: str, value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(f"fault {key}={value!r}: not a number (try {key}=0.05)") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault {key}={value!r}: a rate must be between 0 and 1")
    return rate


def _duration(key: str, value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", value)
    if match is None:
        raise ValueError(f"fault {key}={value!r}: give a duration in ms or s (try {key}=20ms)")
    number = float(match.group(1))
    return number / 1000.0 if match.group(2) == "ms" else number


def _count(key: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"fault {key}={value!r}: must be a whole number of at least 1")
    return int(value)


def _seconds(key: str, value: str) -> int:
    return _count(key, value.removesuffix("s"))


def _per_minute(key: str, value: str) -> int:
    match = re.fullmatch(r"(\d+)/min", value)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"fault {key}={value!r}: give a rate as N/min (try {key}=10/min)")
    return int(match.group(1))


_KEYS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "5xx": ("error_5xx", _rate),
    "429": ("error_429", _rate),
    "drop": ("drop", _rate),
    "latency": ("latency", _duration),
    "concurrency": ("concurrency", _count),
    "download_rate": ("download_rate", _per_minute),
    "retry_after": ("retry_after", _seconds),
}


def parse_fault_spec(text: str) -> FaultSpec:
    """`"5xx=0.05,latency=20ms"` → FaultSpec; ValueError naming the bad part otherwise."""
    values: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = (s.strip() for s in part.partition("="))
        if key not in _KEYS:
            known = ", ".join(_KEYS)
            raise ValueError(f"unknown fault {key!r} in {text!r} (known: {known})")
        if not sep or not value:
            raise ValueError(f"fault {key!r} needs a value: {key}=...")
        name, convert = _KEYS[key]
        if name in values:
            raise ValueError(f"fault {key!r} given twice")
        values[name] = convert(key, value)
    spec = FaultSpec(**values)
    if spec.error_5xx + spec.error_429 + spec.drop > 1.0:
        raise ValueError("faults 5xx + 429 + drop add up to more than 1")
    return spec


@dataclass
class FaultStats:
    """What was injected, for tests and benchmarks."""

    requests: int = 0
    exempt: int = 0
    delayed: int = 0
    dropped: int = 0
    errors_5xx: int = 0
    errors_429: int = 0
    concurrency_429: int = 0
    download_429: int = 0
    max_in_flight: int = 0


@dataclass
class FaultInjector:
    """The middleware factory; state shared by every app it wraps (one RNG, one window)."""

    spec: FaultSpec
    seed: int
    clock: Clock | None = None
    sleep: Sleeper | None = None  # injectable so unit tests never really wait
    stats: FaultStats = field(default_factory=FaultStats)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.in_flight = 0
        self.downloads: deque[float] = deque()

    def __call__(self, app: ASGIApp) -> FaultMiddleware:
        return FaultMiddleware(app, self)

    def now(self) -> float:
        return (self.clock or SystemClock()).now()

    async def wait(self, seconds: float) -> None:
        if self.sleep is not None:
            await self.sleep(seconds)
        elif self.clock is not None:
            await self.clock.sleep(seconds)
        else:
            await asyncio.sleep(seconds)


def is_download(method: str, path: str) -> bool:
    """Bulk read `/result` (API_NOTES §3.3) and bulk write result zips (§4.5)."""
    return method == "GET" and (path.endswith("/result") or path.endswith(".zip"))


class FaultMiddleware:
    """Pure ASGI, so it works the same under uvicorn and httpx.ASGITransport."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith(EXEMPT_PREFIX):
            if scope["type"] == "http":
                self.injector.stats.exempt += 1
            await self.app(scope, receive, send)
            return
        inj, spec, stats = self.injector, self.injector.spec, self.injector.stats
        stats.requests += 1
        if spec.concurrency is not None and inj.in_flight >= spec.concurrency:
            stats.concurrency_429 += 1  # API_NOTES §5.3 trigger 2
            await self._too_many(send)
            return
        inj.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, inj.in_flight)
        try:
            await self._faulted(scope, receive, send, path)
        finally:
            inj.in_flight -= 1

    async def _faulted(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """Latency is a response time, as Zoho's is: no answer starts sooner than `latency`
        after its request arrived, and the simulator's own work on it happens inside that
        time rather than adding to it (a server's work is part of its response time; 10
        answers of 500 records would otherwise each wait for the others' ~2 ms of work
        on top of their 50 ms). A refusal (drop, 5xx, 429) does no work and just waits."""
        inj, spec, stats = self.injector, self.injector.spec, self.injector.stats
        stamped = scope.get(ARRIVED)
        arrived = inj.now() if stamped is None else stamped
        raw_send = send
        if spec.latency > 0:
            stats.delayed += 1
            send = _after(send, inj, arrived)
        if spec.latency > 0 and stamped is None:
            # No server stamped it (httpx.ASGITransport): let every request that reached
            # the app with this one be stamped before this one's work starts. One event
            # loop does the work of all of them in turn, and the tenth of ten requests
            # sent at once would otherwise "arrive" only after the other nine were made
            # (~2 ms each), its latency counted from there.
            await asyncio.sleep(0)
        draw = inj.rng.random()  # exactly one draw per request keeps seeds reproducible
        if draw < spec.drop:
            await _wait_out(inj, arrived)
            stats.dropped += 1
            await drop_connection(raw_send)  # it closes the server's own transport
            return
        if draw < spec.drop + spec.error_5xx:
            stats.errors_5xx += 1
            await _answer(send, INTERNAL_ERROR)
            return
        if draw < spec.drop + spec.error_5xx + spec.error_429:
            stats.errors_429 += 1
            await self._too_many(send)
            return
        if spec.download_rate is not None and is_download(str(scope.get("method")), path):
            now = inj.now()
            while inj.downloads and inj.downloads[0] <= now - _WINDOW:
                inj.downloads.popleft()
            if len(inj.downloads) >= spec.download_rate:
                stats.download_429 += 1  # API_NOTES §3.3: > 10 downloads a minute → 429
                await self._too_many(send)
                return
            inj.downloads.append(now)
        await self.app(scope, receive, send)

    async def _too_many(self, send: Send) -> None:
        retry_after = self.injector.spec.retry_after
        extra = [] if retry_after is None else [(b"retry-after", str(retry_after).encode())]
        await _answer(send, TOO_MANY_REQUESTS, extra)


async def _answer(
    send: Send, error: e.SimError, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(error.body()).encode()
    headers = [
        (b"content-type", b"application/json;charset=UTF-8"),
        (b"content-length", str(len(payload)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def _after(send: Send, injector: FaultInjector, arrived: float) -> Send:
    """`send`, holding the answer's first message until `latency` after `arrived`."""
    waiting = True

    async def send_when_due(message: Message) -> None:
        nonlocal waiting
        if waiting:
            waiting = False
            await _wait_out(injector, arrived)
        await send(message)

    return send_when_due


async def _wait_out(injector: FaultInjector, arrived: float) -> None:
    """Wait what is left of the latency of a request that arrived at `arrived`."""
    left = injector.spec.latency - (injector.now() - arrived)
    if left > 1e-6:  # below a microsecond is float noise in epoch seconds, not a wait
        await injector.wait(left)


def _transport(send: Send) -> asyncio.BaseTransport | None:
    """uvicorn's `send` is a bound method of its request cycle, which holds the transport."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


async def drop_connection(send: Send) -> None:
    """Close the connection without a byte of answer, or raise ConnectionDropped.

    ASGI has no 'drop' message. When `send` is uvicorn's own, closing its transport sends
    FIN, so the client reads 'server disconnected without sending a response'; yielding once
    lets uvicorn see the connection lost, so it neither logs nor tries a 500. Otherwise
    (httpx.ASGITransport, or another layer wrapped `send`) raise: ASGITransport hands the
    error to the client as httpx.RemoteProtocolError, and DropConnections catches it where
    the server's own `send` is in reach.
    """
    transport = _transport(send)
    if transport is None:
        raise ConnectionDropped
    transport.close()
    await asyncio.sleep(0)


class DropConnections:
    """The outermost layer under a real server: a ConnectionDropped raised anywhere inside
    (the faults middleware sits under the simulator's call log) closes the socket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            await drop_connection(send)
