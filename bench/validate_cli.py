"""`validate` as the pre-commit hook runs it: a whole new process per commit, cold start
included, against the interpreter alone; and what that process imports.

Run from the checkout:  python bench/validate_cli.py [--runs N] [--root DIR]
Target (issue 11): fast enough for every commit, and none of the modules `apply` and the
simulator need is imported. Figures go to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# validate works offline on one file: none of these may be imported (issue 11)
NOT_FOR_VALIDATE = (
    "httpx",
    "httpcore",
    "starlette",
    "uvicorn",
    "rich",
    "sqlite3",
    "runner.simulator",
    "runner.execute",
    "runner.zoho.client",
    "runner.plan",
    "runner.report",
)


def commands(root: Path) -> dict[str, list[str]]:
    """The timed commands: the interpreter's floor, the CLI's, and validate itself."""
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "python -m runner --version": [python, "-m", "runner", "--version"],
        "python -m runner validate jobs.example.yaml": [
            *(python, "-m", "runner", "validate", str(root / "jobs.example.yaml")),
        ],
    }


def wall(argv: list[str], root: Path, env: dict[str, str]) -> float:
    """Seconds from spawning the process to its exit (exit code 0 required)."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return took


def imported(root: Path, env: dict[str, str]) -> list[tuple[str, int]]:
    """(module, self µs) of every module `validate` imports, from `-X importtime`."""
    argv = [sys.executable, "-X", "importtime", "-m", "runner", "validate", "jobs.example.yaml"]
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(self_us)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure")
    args = parser.parse_args()
    root = args.root.resolve()
    env = {**os.environ, "PYTHONPATH": str(root)}  # `-m` also puts the cwd (root) first
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    timed = commands(root)
    for argv in timed.values():  # warm up: .pyc files written, the OS page cache filled
        wall(argv, root, env)
    times: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.runs):  # round robin: a busy moment of the machine hits every row
        for name, argv in timed.items():
            times[name].append(wall(argv, root, env))

    print(f"root: {root}; {args.runs} runs each, round robin, fresh process every run")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'command':48} {'best ms':>8} {'median ms':>10} {'worst ms':>9}")
    for name, values in times.items():
        best, median, worst = min(values), statistics.median(values), max(values)
        print(f"{name:48} {best * 1000:8.1f} {median * 1000:10.1f} {worst * 1000:9.1f}")

    rows = imported(root, env)
    names = {name for name, _ in rows}
    by_package: dict[str, int] = {}
    for name, self_us in rows:
        parts = name.split(".")
        top = ".".join(parts[:2]) if parts[0] == "runner" else parts[0]  # runner by subpackage
        by_package[top] = by_package.get(top, 0) + self_us
    heaviest = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    print(f"validate imports {len(rows)} modules; heaviest (self time under -X importtime):")
    print("  " + ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in heaviest))
    wrong = sorted(
        n for n in names if any(n == bad or n.startswith(bad + ".") for bad in NOT_FOR_VALIDATE)
    )
    print(f"imported though validate does not need them: {', '.join(wrong) or 'none'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
