"""`zcrm-runner sim serve`: the simulator under uvicorn, announced as env lines on stdout.

The socket is bound before anything is printed, so `--port 0` works and the printed URL is
the real one; a script reads the lines, then points the runner, curl or the SDK at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette

from runner.clock import Clock, ScaledClock, SystemClock
from runner.errors import UsageError
from runner.simulator.app import create_app
from runner.simulator.arrival import stamping_protocol
from runner.simulator.faults import DropConnections, FaultSpec, parse_fault_spec
from runner.simulator.seed import build_demo_org

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_RECORDS = 300  # docs/DEMO_ORG.md: "Default --records is 300 per module"
# Young objects between collections while serving (default 700). The org's record states
# grow with every update, and with the default a 50,000-id apply made the server collect
# ~180 times, one of them a full collection of ~45 ms (on a loaded machine) that held
# every answer due meanwhile (issue 13). Reference counting still frees all but cycles.
SERVE_THRESHOLD0 = 100_000


def run(
    *,
    host: str,
    port: int,
    seed: int,
    records: int | None,
    faults: str,
    speed: float,
    token: str | None,
) -> int:
    """Serve until SIGINT or SIGTERM; 0 after a clean stop, 1 on bad options."""
    try:
        spec = parse_fault_spec(faults)
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}") from None
    if speed <= 0:
        raise UsageError(f"--speed must be positive, not {speed}")
    if host not in LOOPBACK:
        # DESIGN §Simulator: /__sim__/ has no auth and is meant for loopback only.
        print(
            f"zcrm-runner: warning: serving on {host}, not loopback; the simulator's "
            "/__sim__/ hooks have no authentication",
            file=sys.stderr,
        )
    app = build_app(seed=seed, records=records, spec=spec, speed=speed, token=token)
    sock = bind(host, port)
    try:
        for line in env_lines(host, sock.getsockname()[1], app.state.access_token):
            print(line)
        sys.stdout.flush()
        serve(app, sock)
    finally:
        sock.close()
    return 0


def build_app(
    *, seed: int, records: int | None, spec: FaultSpec, speed: float, token: str | None
) -> Starlette:
    """The demo org of `seed`, on a clock `speed` times faster, behind the fault middleware."""
    clock: Clock = SystemClock() if speed == 1.0 else ScaledClock(speed)
    org = build_demo_org(seed=seed, records=records or DEFAULT_RECORDS)
    return create_app(org, clock=clock, faults=spec.middleware(seed, clock), token=token)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port), IPv4 or IPv6."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((host, port), family=family)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections whose socket
    # says proto=TCP, and create_server leaves proto 0. With Nagle on, an answer written
    # as headers then body waited for the client's delayed ACK: 40 ms on every small
    # answer of a kept-alive connection (each poll, each GET).
    return socket.socket(listener.family, listener.type, socket.IPPROTO_TCP, listener.detach())


def env_lines(host: str, port: int, token: str) -> list[str]:
    """What a shell needs to point the runner at this server (API_NOTES §9.3)."""
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return [
        f"ZOHO_API_DOMAIN={url}",
        f"ZOHO_ACCOUNTS_URL={url}",
        f"ZOHO_UPLOAD_DOMAIN={url}",
        # Printed on purpose: the simulator's own throwaway token, valid only on this
        # process, never a real Zoho credential.
        f"ZOHO_ACCESS_TOKEN={token}",
    ]


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGINT/SIGTERM after its graceful stop, which would end
    the process with 130 or a signal; `sim serve` stops cleanly and exits 0 instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        handled = (signal.SIGINT, signal.SIGTERM)
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


def serve(app: Starlette, sock: socket.socket) -> None:
    """Run uvicorn on an already bound socket until a signal stops it. Its h11 protocol:
    the one whose connection DropConnections knows how to close (faults.drop_connection),
    stamping each request's arrival for the latency fault (runner.simulator.arrival)."""
    config = uvicorn.Config(
        DropConnections(app), log_level="warning", http=stamping_protocol(app.state.clock)
    )
    gc.freeze()  # the imports, the app and the org as built: out of the collector's sight
    gc.set_threshold(SERVE_THRESHOLD0, *gc.get_threshold()[1:])
    asyncio.run(_Server(config).serve(sockets=[sock]))
