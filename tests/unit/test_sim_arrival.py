"""`sim serve` stamps each request's arrival when its first bytes are read, so the latency
fault counts from there (runner.simulator.arrival, issue 13).

The protocol is driven as uvicorn drives it: bytes handed to `data_received`, answers
written to a transport, on a ManualClock that moves between the chunks.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from runner.clock import ManualClock
from runner.simulator.arrival import stamping_protocol
from runner.simulator.faults import ARRIVED, Message, Receive, Scope, Send


class _Socket(asyncio.Transport):
    """What uvicorn writes to: kept, never sent anywhere."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name in ("sockname", "peername") else default

    def is_closing(self) -> bool:
        return False


def _connection(clock: ManualClock, stamps: list[float | None]) -> tuple[Any, _Socket]:
    """A StampingH11Protocol serving an app that notes each request's stamp and answers."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        stamps.append(scope.get(ARRIVED))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    config = uvicorn.Config(app, log_level="warning")
    config.load()
    protocol = stamping_protocol(clock)(config=config, server_state=ServerState(), app_state={})
    socket = _Socket()
    protocol.connection_made(socket)
    return protocol, socket


async def _settle() -> None:
    for _ in range(10):  # the app's task: receive, answer, and uvicorn's end of the cycle
        await asyncio.sleep(0)


POST = b"POST /crm/v8/Deals/actions/mass_update HTTP/1.1\r\nHost: sim\r\nContent-Length: 4\r\n\r\n"


@pytest.mark.anyio
async def test_a_request_arrives_when_its_first_bytes_are_read() -> None:
    """Headers read at t0, the body 3 s later, the app run 5 s after that: the stamp is t0."""
    clock, stamps = ManualClock(), list[float | None]()
    protocol, socket = _connection(clock, stamps)
    t0 = clock.now()
    protocol.data_received(POST[:20])
    clock.advance(1.0)
    protocol.data_received(POST[20:])
    clock.advance(3.0)
    protocol.data_received(b"body")
    clock.advance(5.0)
    await _settle()
    assert stamps == [t0]
    assert socket.written.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.anyio
async def test_each_request_of_a_kept_alive_connection_has_its_own_arrival() -> None:
    """The second request on the same connection arrives when its own bytes come, not when
    the first request's body did."""
    clock, stamps = ManualClock(), list[float | None]()
    protocol, _socket = _connection(clock, stamps)
    first = clock.now()
    protocol.data_received(POST)
    clock.advance(2.0)
    protocol.data_received(b"body")  # the first request's body: no new arrival
    await _settle()
    clock.advance(7.0)
    second = clock.now()
    protocol.data_received(POST + b"body")
    await _settle()
    assert stamps == [first, second]


@pytest.mark.anyio
async def test_the_stamp_is_what_the_latency_counts_from() -> None:
    """latency=20ms and a request stamped 15 ms before the app saw it: 5 ms left to wait."""
    from runner.simulator.faults import parse_fault_spec

    clock = ManualClock()
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    faulted = parse_fault_spec("latency=20ms").middleware(1, clock)(app)
    scope = {"type": "http", "method": "GET", "path": "/crm/v8/org", ARRIVED: clock.now()}
    clock.advance(0.015)
    await faulted(scope, receive, send)
    assert [round(s, 6) for s in clock.slept] == [0.005]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
