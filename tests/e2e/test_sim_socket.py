"""The socket `sim serve` listens on: connections it accepts answer without Nagle delays."""

from __future__ import annotations

import asyncio
import socket

from runner.commands.sim import bind


def test_accepted_connections_have_nagle_off() -> None:
    """asyncio sets TCP_NODELAY on what `bind` accepts: no 40 ms wait for a delayed ACK
    between an answer's headers and its body on a kept-alive connection."""
    listener = bind("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            port = listener.getsockname()[1]
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(accept_one())
    assert seen
    assert seen[0] != 0
