"""e2e fixtures: the simulator under uvicorn in a thread (port 0), and `sim serve` as a
subprocess whose printed env lines tell the test where it listens."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from runner.clock import ScaledClock
from runner.simulator.app import create_app
from runner.simulator.faults import DropConnections, FaultInjector, parse_fault_spec
from runner.simulator.seed import build_demo_org

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
ENV_KEYS = ("ZOHO_API_DOMAIN", "ZOHO_ACCOUNTS_URL", "ZOHO_UPLOAD_DOMAIN", "ZOHO_ACCESS_TOKEN")


@dataclass
class LiveSim:
    """A simulator listening on 127.0.0.1: where, with which token, and its fault stats."""

    base_url: str
    token: str
    app: Any
    faults: FaultInjector | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.token}"}


@contextlib.contextmanager
def uvicorn_in_thread(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1, port 0, in a thread (the httpx test-suite way)."""
    app = DropConnections(app)  # a `drop` fault closes the socket, as `sim serve` does
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-sim", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)


@contextlib.contextmanager
def start_live_sim(
    *, faults: str = "", seed: int = 1, records: int = 300, speed: float = 50.0
) -> Iterator[LiveSim]:
    """The demo org under uvicorn in this process, on a clock `speed` times faster."""
    clock = ScaledClock(speed)
    injector = parse_fault_spec(faults).middleware(seed, clock) if faults else None
    org = build_demo_org(seed=seed, records=records)
    app = create_app(org, clock=clock, faults=injector)
    with uvicorn_in_thread(app) as url:
        yield LiveSim(base_url=url, token=app.state.access_token, app=app, faults=injector)


@pytest.fixture
def live_sim() -> Iterator[LiveSim]:
    """A fresh demo org (seed 1, 300 records a module, speed 50) on a real socket."""
    with start_live_sim() as sim:
        yield sim


@dataclass
class SimProcess:
    """`zcrm-runner sim serve` running as a subprocess, and the env lines it printed."""

    process: subprocess.Popen[str]
    env: dict[str, str]
    stderr_file: Any = field(repr=False)
    stderr_text: str | None = None  # kept once the process has stopped

    @property
    def base_url(self) -> str:
        return self.env["ZOHO_API_DOMAIN"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.env['ZOHO_ACCESS_TOKEN']}"}

    def stderr(self) -> str:
        """What the process wrote to stderr so far (all of it once stopped)."""
        if self.stderr_text is not None:
            return self.stderr_text
        self.stderr_file.seek(0)
        return str(self.stderr_file.read())

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a service manager would; kill only if it hangs. The exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _read_env(process: subprocess.Popen[str], timeout: float) -> dict[str, str]:
    """The KEY=value lines printed at start, read in a thread so a hang cannot block us."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)  # end of output: the process is gone

    threading.Thread(target=pump, name="sim-stdout", daemon=True).start()
    env: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while len(env) < len(ENV_KEYS):
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"sim serve printed {sorted(env)} within {timeout}s") from None
        if line is None:
            raise RuntimeError(f"sim serve exited with {process.wait()}")
        key, _, value = line.partition("=")
        env[key] = value
    return env


@contextlib.contextmanager
def sim_serve_process(*args: str, timeout: float = STARTUP_TIMEOUT) -> Iterator[SimProcess]:
    """Start `python -m runner sim serve --host 127.0.0.1 --port 0 ARGS...`, yield once it
    has printed its env lines, stop it with SIGTERM at the end."""
    command = [sys.executable, "-m", "runner", "sim", "serve"]
    command += ["--host", "127.0.0.1", "--port", "0", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stderr_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr_file, text=True
        )
        sim = SimProcess(process=process, env={}, stderr_file=stderr_file)
        try:
            try:
                sim.env = _read_env(process, timeout)
            except RuntimeError as exc:
                sim.stop()
                raise RuntimeError(f"{exc}; stderr: {sim.stderr()}") from None
            yield sim
        finally:
            sim.stop()
            sim.stderr_text = sim.stderr()
            if process.stdout is not None:
                process.stdout.close()
