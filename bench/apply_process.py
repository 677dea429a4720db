"""Whole processes, start to exit, as a new user runs them (issue 13).

1. `zcrm-runner apply` of one mass update over 50,000 Deals ids (`ids_file`,
   `--concurrency 10`) against `zcrm-runner sim serve --records 50000 --faults
   latency=50ms,concurrency=10` in its own process, over a socket on 127.0.0.1: wall time
   from spawn to exit, and where it went, from the run's own marks (`ZCRM_TIMINGS=1`,
   `runner/timings.py`) and report.json's job times. The floor is ceil(100 calls / 10)
   x 50 ms = 0.5 s; targets: whole process <= 2.0x, job phase <= 1.15x (medians).
2. `validate` and `plan` of jobs.example.yaml and of the same 50,000-id manifest, and
   `python -c pass`, start to exit; target: validate jobs.example.yaml <= 0.25 s.

Every process is a fresh one with its `.pyc` files written (a warm-up run first); the
rows go round robin, so a busy moment of the machine hits them all alike. Each apply gets
a fresh `sim serve`, state dir and report dir. Several `--root` checkouts (before, after)
are timed in the same round robin, each with its own code (PYTHONPATH) and simulator.

    python bench/apply_process.py [--runs 7] [--root DIR ...] [--only apply|cli] [--control]

`--control` adds, to each round, the job's POSTs sent by bare httpx (bench/raw_client.py)
against a fresh simulator: the HTTP stack's own floor, under the runner's job phase.

Prints the tables for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
IDS, BATCH, LATENCY, LIMIT = 50_000, 500, 0.050, 10
FLOOR = math.ceil(IDS / BATCH / LIMIT) * LATENCY
FAULTS = f"latency={int(LATENCY * 1000)}ms,concurrency={LIMIT}"
# (name, from mark, to mark): the apply's phases, in order; "spawn" and "exit" are the
# bench's own clock, "job start" and "job end" the job's times in report.json.
PHASES = (
    ("interpreter + runner.cli", "spawn", "main"),
    ("command imports", "main", "imported"),
    ("validation", "imported", "validated"),
    ("to the first call", "validated", "job start"),
    ("job (100 calls)", "job start", "job end"),
    ("after the last answer", "job end", "session"),
    ("reports", "session", "reported"),
    ("exit", "reported", "exit"),
)


def write_manifest(folder: Path, *, no_backup: bool) -> Path:
    """One mass update of 50,000 Deals (demo org ids, docs/DEMO_ORG.md) by `ids_file`.

    `no_backup`: the job says `backup: false`, so the figure is the issue's job alone; a
    backup by ids adds 500 GETs (100 ids each) before the first POST (docs/BENCHMARKS.md).
    """
    ids = "\n".join(f"554023004{n:09d}" for n in range(1, IDS + 1))
    (folder / "deal_ids.csv").write_text("id\n" + ids + "\n")
    path = folder / "jobs.yaml"
    path.write_text(
        "version: 1\njobs:\n  - name: deals-stage\n    kind: mass_update\n    module: Deals\n"
        "    ids_file: deal_ids.csv\n    values: {Stage: Closed Won}\n"
        + ("    backup: false\n" if no_backup else "")
    )
    return path


def base_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
    env["PYTHONPATH"] = str(root)
    return env


@dataclass
class Process:
    """One process's wall and CPU seconds, and its phase marks (epoch seconds)."""

    wall: float
    cpu: float
    marks: dict[str, float] = field(default_factory=dict)


def run_process(argv: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...]) -> Process:
    """Spawn to exit; CPU is the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawn, start = time.time(), time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    marks = {"spawn": spawn, "exit": spawn + wall}
    for line in done.stderr.splitlines():
        if line.startswith("zcrm-runner: timing: "):
            phase, at = line.removeprefix("zcrm-runner: timing: ").rsplit(" ", 1)
            marks[phase] = float(at)
    return Process(wall, cpu, marks)


class Sim:
    """`sim serve` in its own process on a free port, stopped on leaving."""

    def __init__(self, root: Path) -> None:
        argv = [sys.executable, "-m", "runner", "sim", "serve", "--port", "0",
                "--records", str(IDS), "--faults", FAULTS]  # fmt: skip
        self.proc = subprocess.Popen(argv, env=base_env(root), stdout=subprocess.PIPE, text=True)

    def __enter__(self) -> dict[str, str]:
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline().strip() for _ in range(4)]
        return dict(line.split("=", 1) for line in lines)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def apply_once(root: Path, manifest: Path, work: Path) -> Process:
    """One apply, fresh simulator, state and reports; its phases from marks and report.json."""
    state, reports = Path(tempfile.mkdtemp(dir=work)), Path(tempfile.mkdtemp(dir=work))
    argv = [sys.executable, "-m", "runner", "apply", str(manifest), "--yes", "--concurrency",
            str(LIMIT), "--state-dir", str(state), "--report-dir", str(reports)]  # fmt: skip
    with Sim(root) as sim_env:
        env = {**base_env(root), **sim_env, "ZCRM_TIMINGS": "1"}
        proc = run_process(argv, work, env, ok=(3,))  # 3: the demo org's locked records fail
    (report,) = reports.glob("*/report.json")
    job = json.loads(report.read_text())["jobs"][0]
    assert job["counts"]["total"] == IDS, job
    assert job["calls"] == IDS // BATCH, job
    start = datetime.fromisoformat(job["started_at"].replace("Z", "+00:00")).timestamp()
    proc.marks["job start"], proc.marks["job end"] = start, start + job["duration_s"]
    return proc


def control_once(work: Path) -> float:
    """One bare-httpx run of the job's POSTs (bench/raw_client.py), fresh simulator."""
    with Sim(HERE) as sim_env:
        env = {**base_env(HERE), **sim_env}
        argv = [sys.executable, str(HERE / "bench" / "raw_client.py")]
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def cli_commands(root: Path, manifest: Path, state: Path) -> dict[str, tuple[list[str], Path]]:
    """The other timed processes: (argv, cwd)."""
    runner = [sys.executable, "-m", "runner"]
    example, none = root / "jobs.example.yaml", ["--state-dir", str(state)]
    return {
        "python -c pass": ([sys.executable, "-c", "pass"], root),
        "validate jobs.example.yaml": ([*runner, "validate", str(example)], root),
        "validate, 50,000 ids": ([*runner, "validate", str(manifest)], root),
        "plan jobs.example.yaml": ([*runner, "plan", str(example), *none], root),
        "plan, 50,000 ids": ([*runner, "plan", str(manifest), *none], root),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def phase_rows(runs: list[Process]) -> list[str]:
    """Median of each phase across runs, in ms; phases whose marks are missing are blank."""
    rows = []
    for name, a, b in PHASES:
        spans = [p.marks[b] - p.marks[a] for p in runs if a in p.marks and b in p.marks]
        rows.append(f"| {name} | {ms(statistics.median(spans)) if spans else '-'} |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each row (default 7)")
    parser.add_argument("--root", type=Path, action="append", help="a checkout (default: this)")
    parser.add_argument("--only", choices=["apply", "cli"], help="time only these rows")
    parser.add_argument(
        "--control", action="store_true", help="also time the POSTs by bare httpx (raw_client.py)"
    )
    args = parser.parse_args()
    roots = [r.resolve() for r in args.root or [HERE]]
    label: Callable[[Path], str] = (lambda r: f"{r.name}: ") if len(roots) > 1 else (lambda r: "")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Checkouts from before backups (issue 12) know no `backup` key and take none.
        knows = [r for r in roots if '"backup"' in (r / "schemas/jobs.schema.json").read_text()]
        if knows and len(knows) < len(roots):
            print("note: only some checkouts know `backup`; each runs the job without one")
        manifest = write_manifest(work, no_backup=len(knows) == len(roots))
        state = work / "no-state"
        applies: dict[Path, list[Process]] = {root: [] for root in roots}
        controls: list[float] = []
        clis: dict[str, list[Process]] = {}
        jobs: dict[str, tuple[list[str], Path, dict[str, str]]] = {}
        for root in roots:
            for name, (argv, cwd) in cli_commands(root, manifest, state).items():
                jobs[label(root) + name] = (argv, cwd, base_env(root))
        do_apply, do_cli = args.only in (None, "apply"), args.only in (None, "cli")
        for root in roots:  # warm up: .pyc files written, page cache
            if do_apply:
                apply_once(root, manifest, work)
        for argv, cwd, env in jobs.values() if do_cli else ():
            run_process(argv, cwd, env, ok=(0,))
        for _ in range(args.runs):
            for root in roots if do_apply else ():
                applies[root].append(apply_once(root, manifest, work))
            if do_apply and args.control:
                controls.append(control_once(work))
            for name, (argv, cwd, env) in jobs.items() if do_cli else ():
                clis.setdefault(name, []).append(run_process(argv, cwd, env, ok=(0,)))
    load_after = os.getloadavg()
    print(f"{args.runs} runs of each row, round robin, a fresh process every run")
    print(f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
          f"{platform.python_version()}; load average before {load_before[0]:.2f}, "
          f"after {load_after[0]:.2f} (1 min)")  # fmt: skip
    for root in roots:
        git = ["git", "-C", str(root), "rev-parse", "--short", "HEAD"]
        commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip()
        print(f"{label(root) or 'checkout: '}{root} at {commit or 'no git'}")
    if do_apply:
        print(f"\napply of {IDS:,} ids over a socket; floor {FLOOR:.3f} s")
        print("| checkout | whole: median (best – worst) | × floor | job phase | × floor | CPU |")
        print("|---|---:|---:|---:|---:|---:|")
        for root, runs in applies.items():
            walls = sorted(p.wall for p in runs)
            job = statistics.median(p.marks["job end"] - p.marks["job start"] for p in runs)
            cpu = statistics.median(p.cpu for p in runs)
            print(f"| {label(root) or '-'} | {ms(statistics.median(walls))} ms ({ms(walls[0])} "
                  f"– {ms(walls[-1])}) | {statistics.median(walls) / FLOOR:.2f}× | {ms(job)} ms "
                  f"| {job / FLOOR:.3f}× | {ms(cpu)} ms |")  # fmt: skip
        if controls:
            raw = statistics.median(controls)
            print(f"| bare httpx, the POSTs only (raw_client.py) | - | - | {ms(raw)} ms "
                  f"| {raw / FLOOR:.3f}× | - |")  # fmt: skip
        for root, runs in applies.items():
            print(f"\n{label(root)}phases of the apply, median of {len(runs)} (ms)")
            print("| phase | ms |\n|---|---:|")
            print("\n".join(phase_rows(runs)))
    if do_cli:
        print("\n| command | wall: best | median | worst | CPU median |")
        print("|---|---:|---:|---:|---:|")
        for name, runs in clis.items():
            walls = sorted(p.wall for p in runs)
            cpu = statistics.median(p.cpu for p in runs)
            print(f"| {name} | {ms(walls[0])} ms | {ms(statistics.median(walls))} ms "
                  f"| {ms(walls[-1])} ms | {ms(cpu)} ms |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
