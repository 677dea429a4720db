"""LimitedTransport: the --concurrency cap at httpx's transport seam."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from runner.zoho.transport import LimitedTransport


class _Gate(httpx.AsyncBaseTransport):
    """Answers only once the test opens the gate, so requests pile up in flight."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        await self.opened.wait()
        # A real transport hands back an unread stream, as the ASGI and socket ones do.
        return httpx.Response(200, stream=_Body([b"x" * 5, b"x" * 5]))


class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for chunk in self._chunks:
            yield chunk


@pytest.mark.anyio
async def test_no_more_than_limit_requests_in_flight() -> None:
    """With 12 concurrent requests and a limit of 3, at most 3 reach the inner transport."""
    gate = _Gate()
    limited = LimitedTransport(gate, 3)
    async with httpx.AsyncClient(transport=limited, base_url="http://t") as client:
        tasks = [asyncio.ensure_future(client.get("/")) for _ in range(12)]
        for _ in range(20):
            await asyncio.sleep(0)
        seen_while_closed = gate.seen
        gate.opened.set()
        responses = await asyncio.gather(*tasks)
    assert seen_while_closed == 3
    assert [r.status_code for r in responses] == [200] * 12
    assert limited.peak_in_flight == 3
    assert limited.in_flight == 0


@pytest.mark.anyio
async def test_streamed_body_holds_its_slot_until_closed() -> None:
    """A response being streamed keeps its slot; closing it frees the slot for the next one."""
    gate = _Gate()
    gate.opened.set()
    limited = LimitedTransport(gate, 1)
    async with httpx.AsyncClient(transport=limited, base_url="http://t") as client:
        async with client.stream("GET", "/") as response:
            assert limited.in_flight == 1
            assert await response.aread() == b"x" * 10
        assert limited.in_flight == 0
        assert (await client.get("/")).status_code == 200


@pytest.mark.anyio
async def test_transport_error_frees_the_slot() -> None:
    """A request that fails in the inner transport does not leak its slot."""

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    limited = LimitedTransport(httpx.MockTransport(boom), 1)
    async with httpx.AsyncClient(transport=limited, base_url="http://t") as client:
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await client.get("/")
    assert limited.in_flight == 0


def test_limit_must_be_positive() -> None:
    """A zero limit is a programming error, refused at once."""
    with pytest.raises(ValueError, match="at least 1"):
        LimitedTransport(httpx.MockTransport(lambda r: httpx.Response(200)), 0)
