"""Apply throughput and polling efficiency.

1. Throughput: a mass update of 50,000 Leads by ids (100 calls of 500) against a server
   that answers no sooner than 50 ms after each request and refuses (429) more than 10 in
   flight, applied with `--concurrency 10`. The floor is ceil(100 / 10) x 50 ms = 0.5 s;
   target <= 1.10x. The job phase (first call to last answer handled) is measured in three
   setups, each `--runs` times, and the whole apply (lock, journal, reports) beside it:
   - the in-process simulator (`--sim`): simulator and runner share one core;
   - the runner alone: a transport that costs nothing but the latency, answering what
     Zoho answers, so only the runner's own cost is left;
   - `zcrm-runner sim serve` in its own process, over a socket on 127.0.0.1.
2. Polling: cvid jobs of several sizes on one ManualClock shared by runner and simulator;
   polls made against `ideal_polls()` (the un-jittered backoff schedule).

    PYTHONPATH=. python bench/apply_throughput.py [--runs 5] [--timeline]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from runner.clock import SystemClock
from runner.commands._reports import write_and_summarise
from runner.execute.drivers.mass import MassUpdateDriver
from runner.execute.poll import Backoff, ideal_polls
from runner.execute.session import SessionOptions, run_session
from runner.execute.target import SIM_BASE, Connection, env_connection
from runner.manifest.validate import load_manifests
from runner.simulator.app import create_app
from runner.simulator.faults import parse_fault_spec
from runner.simulator.seed import build_demo_org
from runner.zoho.auth import Credentials, Target

IDS, BATCH, LATENCY, LIMIT = 50_000, 500, 0.050, 10


def _manifest(folder: Path) -> Path:
    ids = "\n".join(f"554023001{n:09d}" for n in range(1, IDS + 1))
    (folder / "ids.csv").write_text("id\n" + ids + "\n")
    path = folder / "jobs.yaml"
    path.write_text(
        "version: 1\njobs:\n  - name: leads-city\n    kind: mass_update\n    module: Leads\n"
        "    ids_file: ids.csv\n    values: {City: Chennai}\n"
    )
    return path


class _Timeline(httpx.AsyncBaseTransport):
    """Wraps a transport and notes each POST's start, headers and end (body closed), so
    `--timeline` can show where a job's time goes beyond the floor."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[float, float, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        if request.method != "POST":
            return response
        headers, stream, calls = time.perf_counter(), response.stream, self.calls

        class Noted(httpx.AsyncByteStream):
            async def __aiter__(self):  # type: ignore[no-untyped-def]
                async for chunk in stream:  # type: ignore[union-attr]
                    yield chunk

            async def aclose(self) -> None:
                await stream.aclose()  # type: ignore[union-attr]
                calls.append((start, headers, time.perf_counter()))

        response.stream = Noted()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def summary(self) -> str:
        """Mean requests in flight, mean wait for headers, and how far apart the calls of
        each wave of LIMIT started (the spread that sets the job's tail)."""
        calls = sorted(self.calls)
        first = calls[0][0]
        edges = sorted([(s, 1) for s, _, _ in calls] + [(e, -1) for _, _, e in calls])
        area, level, last = 0.0, 0, edges[0][0]
        for at, step in edges:
            area, level, last = area + level * (at - last), level + step, at
        span = edges[-1][0] - first
        head = statistics.mean(h - s for s, h, _ in calls)
        starts = [s - first for s, _, _ in calls]
        waves = [starts[k : k + LIMIT] for k in range(0, len(starts), LIMIT)]
        spreads = " ".join(f"{(w[-1] - w[0]) * 1000:.0f}" for w in waves)
        return (
            f"wave spreads (ms): {spreads}; calls {span * 1000:.1f} ms, mean in flight "
            f"{area / span:.2f}, mean wait for headers {head * 1000:.1f} ms"
        )


@dataclass(frozen=True)
class Measure:
    """One apply: its whole wall time, its job phase, and what the server saw."""

    whole: float
    job: float
    refused: int  # 429s for more than LIMIT requests in flight
    peak: int  # most requests in flight at once


TIMELINE = False  # --timeline: note every call and print a summary per run


async def _apply(folder: Path, connection: Connection) -> tuple[float, float]:
    """Whole apply and job phase, in seconds, of the 50,000-id manifest over `connection`."""
    timeline = None
    if TIMELINE:
        inner = connection.transport or httpx.AsyncHTTPTransport(retries=0)
        timeline = _Timeline(inner)
        connection = Connection(connection.target, timeline, connection.kind)
    manifests = load_manifests([_manifest(folder)]).manifests
    options = SessionOptions(folder / "reports", folder / "state", concurrency=LIMIT)
    started = time.perf_counter()
    run = await run_session(manifests, connection, SystemClock(), options, stream=io.StringIO())
    write_and_summarise(run, options.report_dir, out=io.StringIO())
    took = time.perf_counter() - started
    assert run.jobs[0].counts["succeeded"] + run.jobs[0].counts["failed"] == IDS, run.jobs[0]
    if timeline is not None:
        print(f"    {timeline.summary()}")
    return took, run.jobs[0].duration or 0.0


async def _in_process(folder: Path) -> Measure:
    """Against the in-process simulator, as `apply --sim` runs it."""
    faults = parse_fault_spec(f"latency={int(LATENCY * 1000)}ms,concurrency={LIMIT}")
    injector = faults.middleware(seed=1, clock=SystemClock())
    app = create_app(build_demo_org(records=IDS), clock=SystemClock(), faults=injector)
    creds = Credentials(access_token=app.state.access_token)
    target = Target(SIM_BASE, SIM_BASE, SIM_BASE, creds, dc="sim", env="simulator")
    whole, job = await _apply(folder, Connection(target, httpx.ASGITransport(app=app), "sim"))
    return Measure(whole, job, injector.stats.concurrency_429, injector.stats.max_in_flight)


class _FakeZoho(httpx.AsyncBaseTransport):
    """A server that costs nothing but its latency: isolates the runner's own overhead.

    Answers GET /org and mass update by ids (every record a success, seed 002's shape)
    after `LATENCY`, refusing with 429 above `LIMIT` requests in flight, as the simulator
    does under `--faults latency=50ms,concurrency=10`.
    """

    def __init__(self) -> None:
        self.in_flight = self.peak = self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.in_flight > LIMIT:
                self.refused += 1
                body = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "x",
                        "status": "error"}  # fmt: skip
                return httpx.Response(429, json=body)
            await asyncio.sleep(LATENCY)
            if request.url.path.endswith("/org"):
                org = {"id": "554023000000046001", "zgid": "673573045"}
                return httpx.Response(200, json={"org": [org]})
            ids = json.loads(await request.aread())["ids"]
            # seed 002's success entry, whole: what Zoho answers for every record.
            user = '{"id":"554023000000235011","name":"Patricia Boyle"}'
            entry = (
                '{"code":"SUCCESS","details":{"Modified_Time":"2026-11-26T10:00:00+00:00",'
                f'"Modified_By":{user},"Created_Time":"2025-01-01T00:00:00+00:00","id":"%s",'
                f'"Created_By":{user}}},"message":"record updated","status":"success"}}'
            )
            data = ",".join(entry % i for i in ids)
            stream = _Body(('{"data":[' + data + "]}").encode())
            # A streamed body, as a socket or ASGI transport gives, not one already read.
            return httpx.Response(200, stream=stream, headers={"Content-Type": "application/json"})
        finally:
            self.in_flight -= 1


class _Body(httpx.AsyncByteStream):
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        yield self._data


async def _runner_alone(folder: Path) -> Measure:
    """Against `_FakeZoho`: the runner's own cost and nothing else."""
    fake = _FakeZoho()
    creds = Credentials(access_token="1000.bench.token")
    target = Target(SIM_BASE, SIM_BASE, SIM_BASE, creds, dc="sim", env="simulator")
    whole, job = await _apply(folder, Connection(target, fake, "sim"))
    return Measure(whole, job, fake.refused, fake.peak)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _over_socket(folder: Path) -> Measure:
    """Against `sim serve` in its own process (its CPU on the other core), over a socket:
    the simulator as a user would run it. Prints both processes' CPU during the apply."""
    command = [sys.executable, "-m", "runner", "sim", "serve", "--port", "0",
               "--records", str(IDS), "--faults", f"latency=50ms,concurrency={LIMIT}"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        env = dict(server.stdout.readline().strip().split("=", 1) for _ in range(4))
        sim_cpu, own_cpu = _cpu_seconds(server.pid), time.process_time()
        whole, job = await _apply(folder, env_connection(env))
        sim_cpu, own_cpu = _cpu_seconds(server.pid) - sim_cpu, time.process_time() - own_cpu
        print(f"    CPU during the apply: simulator {sim_cpu:.3f} s, runner {own_cpu:.3f} s")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return Measure(whole, job, 0, LIMIT)


async def _polls(records: int) -> tuple[int, int, float]:
    """Polls made for one cvid mass update of `records` Leads, and the ideal count."""
    from runner.manifest.model import MassUpdateJob
    from tests.unit.exec_fixtures import harness  # the test harness: sim + client + journal

    with tempfile.TemporaryDirectory() as tmp:
        async with harness(Path(tmp), records=records) as h:
            job = MassUpdateJob(name="all", module="Leads", cvid="554023000000092002",
                                values={"City": "Pune"})  # fmt: skip
            ctx = h.context(job)
            ctx.poll_backoff = Backoff(jitter="equal", rng=random.Random(11))
            start = h.clock.now()
            result = await MassUpdateDriver().run(ctx)
            duration = h.clock.now() - start
    ideal = ideal_polls(duration, Backoff(jitter="none"))
    return result.polls, ideal, duration


SETUPS = (
    ("in-process simulator (apply --sim)", _in_process),
    ("runner alone (zero-cost server)", _runner_alone),
    ("`sim serve` over a socket", _over_socket),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="applies per setup (default 5)")
    parser.add_argument("--timeline", action="store_true", help="note every call; summarise")
    args = parser.parse_args()
    global TIMELINE
    TIMELINE = args.timeline
    floor = math.ceil(IDS / BATCH / LIMIT) * LATENCY
    print(f"floor: ceil({IDS // BATCH} / {LIMIT}) x {LATENCY * 1000:.0f} ms = {floor:.3f} s; "
          "target: job phase <= 1.10x")  # fmt: skip
    for name, setup in SETUPS:
        runs: list[Measure] = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                m = asyncio.run(setup(Path(tmp)))
            runs.append(m)
            print(f"  {name}: job {m.job:.3f} s ({m.job / floor:.2f}x), whole apply "
                  f"{m.whole:.3f} s, 429s {m.refused}, peak in flight {m.peak}")  # fmt: skip
        jobs = sorted(m.job for m in runs)
        median, whole = statistics.median(jobs), statistics.median(m.whole for m in runs)
        print(f"{name}: job phase median {median:.3f} s = {median / floor:.3f}x floor "
              f"(best {jobs[0] / floor:.3f}x, worst {jobs[-1] / floor:.3f}x); "
              f"whole apply median {whole:.3f} s")  # fmt: skip
    for records in (300, 5_000, 50_000):
        polls, ideal, duration = asyncio.run(_polls(records))
        print(f"cvid job of {records} records ({duration:.0f} s): {polls} polls, ideal {ideal}")


if __name__ == "__main__":
    main()
