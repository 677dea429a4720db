"""`validate` as the pre-commit hook runs it: a whole new process per commit, cold start
included, against the interpreter alone; and what that process imports.

Run from the checkout:  python bench/validate_cli.py [--runs N] [--root DIR ...]
Several --root checkouts (before and after a change) are timed in the same round robin.
Target (issue 11): fast enough for every commit, and none of the modules `apply` and the
simulator need is imported. Figures go to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
# validate works offline: none of these may be imported (issue 11)
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
# A manifest without templates: jobs.example.yaml's jobs by id and by view, values written out
PLAIN = """\
version: 1
jobs:
  - name: deals-close-won
    kind: mass_update
    module: Deals
    ids: ["554023000000400001", "554023000000400002"]
    values: {Stage: Closed Won, Lead_Source: Advertisement}
  - name: delete-junk-leads
    kind: mass_delete
    module: Leads
    cvid: "554023000000091999"
"""


def commands(root: Path, plain: Path) -> dict[str, list[str]]:
    """The timed commands: the interpreter's floor, the CLI's, and validate itself."""
    runner = [sys.executable, "-m", "runner"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -m runner --version": [*runner, "--version"],
        "python -m runner validate jobs.example.yaml": [*runner, "validate", "jobs.example.yaml"],
        "... validate, a manifest without templates": [*runner, "validate", str(plain)],
    }


def timed_run(argv: list[str], root: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process from spawn to exit (exit code 0 required). CPU is
    the child's user + system time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def imported(root: Path, env: dict[str, str], manifest: Path) -> list[tuple[str, int]]:
    """(module, self µs) of every module `validate manifest` imports, from `-X importtime`."""
    argv = [sys.executable, "-X", "importtime", "-m", "runner", "validate", str(manifest)]
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((name.strip(), int(self_us)))
    return rows


def report_imports(root: Path, env: dict[str, str], plain: Path) -> bool:
    """Print the heaviest packages validate imports; False if it imports one it should not."""
    rows = imported(root, env, root / "jobs.example.yaml")
    by_package: dict[str, int] = {}
    for name, self_us in rows:
        parts = name.split(".")
        top = ".".join(parts[:2]) if parts[0] == "runner" else parts[0]  # runner by subpackage
        by_package[top] = by_package.get(top, 0) + self_us
    heaviest = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    print(f"{root}: validate jobs.example.yaml imports {len(rows)} modules; heaviest (self):")
    print("  " + ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in heaviest))
    wrong = _unwanted(rows, NOT_FOR_VALIDATE)
    print(f"  imported though validate does not need them: {', '.join(wrong) or 'none'}")
    plain_rows = imported(root, env, plain)
    plain_wrong = _unwanted(plain_rows, (*NOT_FOR_VALIDATE, "jinja2"))
    print(f"  without templates: {len(plain_rows)} modules; jinja2 and the above: ", end="")
    print(", ".join(plain_wrong) or "none")
    return not wrong and not plain_wrong


def _unwanted(rows: list[tuple[str, int]], banned: tuple[str, ...]) -> list[str]:
    names = (name for name, _ in rows)
    return sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--root", type=Path, action="append", help="a checkout to measure (default: this one)"
    )
    args = parser.parse_args()
    roots = [r.resolve() for r in args.root or [HERE]]
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a hook's installed package has its .pyc files
    with tempfile.TemporaryDirectory() as folder:
        plain = Path(folder) / "plain.yaml"
        plain.write_text(PLAIN, encoding="utf-8")
        jobs: dict[str, tuple[Path, list[str], dict[str, str]]] = {}
        for root in roots:
            root_env = {**env, "PYTHONPATH": str(root)}  # `-m` also puts the cwd (root) first
            for name, argv in commands(root, plain).items():
                label = f"{root.name}: {name}" if len(roots) > 1 else name
                jobs[label] = (root, argv, root_env)
        for root, argv, root_env in jobs.values():  # warm up: .pyc files written, page cache
            timed_run(argv, root, root_env)
        walls: dict[str, list[float]] = {label: [] for label in jobs}
        cpus: dict[str, list[float]] = {label: [] for label in jobs}
        for _ in range(args.runs):  # round robin: a busy moment of the machine hits every row
            for label, (root, argv, root_env) in jobs.items():
                took, cpu = timed_run(argv, root, root_env)
                walls[label].append(took)
                cpus[label].append(cpu)

        print(f"{args.runs} runs each, round robin, a fresh process every run")
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        width = max(len(label) for label in jobs)
        print(f"{'command':{width}}  wall best  median   worst   CPU median (ms)")
        for label in jobs:
            w, c = walls[label], cpus[label]
            print(
                f"{label:{width}}  {min(w) * 1000:9.1f} {statistics.median(w) * 1000:7.1f} "
                f"{max(w) * 1000:7.1f}   {statistics.median(c) * 1000:10.1f}"
            )
        clean = [report_imports(r, {**env, "PYTHONPATH": str(r)}, plain) for r in roots]
    return 0 if all(clean) else 1


if __name__ == "__main__":
    raise SystemExit(main())
