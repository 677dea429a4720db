"""Transport wrappers at httpx's seam, so limits apply the same to sockets and ASGI apps.

`LimitedTransport` caps the requests in flight (`--concurrency`): Zoho counts concurrency
per org and app (API_NOTES §5.4), and httpx's own pool limits do not apply to an
in-process ASGITransport, so the cap lives here, below retries and above the wire. A slot
is held until the response body is closed: a download still streaming is still in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx


class _SlotReleasingStream(httpx.AsyncByteStream):
    """Passes the body through and frees the request's slot when the body is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, release: _Release) -> None:
        self._inner = inner
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._release()
        # Let a request waiting for this slot go out now, so its round trip overlaps the
        # parsing of this answer instead of queueing behind it (10 answers of 500 records
        # arriving together otherwise delay the next wave by their whole parse time).
        await asyncio.sleep(0)


class _Release:
    """Releases one semaphore slot exactly once, however often it is called."""

    def __init__(self, owner: LimitedTransport) -> None:
        self._owner = owner
        self._done = False

    def __call__(self) -> None:
        if not self._done:
            self._done = True
            self._owner._free()


class LimitedTransport(httpx.AsyncBaseTransport):
    """At most `limit` requests in flight through `inner`, however many tasks ask."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._inner = inner
        self._slots = asyncio.Semaphore(limit)
        self.limit = limit
        self.in_flight = 0
        self.peak_in_flight = 0

    def _free(self) -> None:
        self.in_flight -= 1
        self._slots.release()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._slots.acquire()
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        release = _Release(self)
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            release()
            raise
        stream = response.stream
        if response.is_closed or not isinstance(stream, httpx.AsyncByteStream):
            release()  # a body given whole (mock transports) is no longer in flight
            return response
        response.stream = _SlotReleasingStream(stream, release)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
