"""validate + plan of a 50,000-id manifest, against parsing the same YAML with CSafeLoader.

Run from the checkout:  python bench/validate_plan.py [--runs N] [--ids N]
Target (issue 2): validate + plan ≤ 2× the parse time. Figures go to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

# Run from a checkout without installing: the runner package sits one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.manifest.validate import check_files
from runner.plan.build import build_plan
from runner.plan.render_json import render_json


def manifest_text(count: int) -> str:
    """One mass_update job over `count` Deals ids, one id per line as people write them."""
    ids = "".join(f'      - "554023004{n:09d}"\n' for n in range(1, count + 1))
    return (
        "version: 1\njobs:\n  - name: deals-source\n    kind: mass_update\n"
        f"    module: Deals\n    values: {{Lead_Source: Advertisement}}\n    ids:\n{ids}"
    )


def best_of(runs: int, work: Callable[[], object]) -> float:
    """Shortest wall time of `runs` calls: the least disturbed by the machine."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ids", type=int, default=50_000)
    args = parser.parse_args()
    if not hasattr(yaml, "CSafeLoader"):
        print("PyYAML was built without libyaml: CSafeLoader is missing", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "jobs.yaml"
        text = manifest_text(args.ids)
        path.write_text(text, encoding="utf-8")

        def parse() -> object:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

        def validate_and_plan() -> object:
            checked = check_files([path])
            if checked.errors:
                raise SystemExit(f"the bench manifest is invalid: {checked.errors[0]}")
            plan = build_plan(checked.manifests, warnings=checked.warnings)
            return render_json(plan)

        validate_and_plan()  # warm up: schema compile, imports
        parsed = best_of(args.runs, parse)
        planned = best_of(args.runs, validate_and_plan)
    print(f"manifest: {args.ids:,} ids, {len(text.encode()) / 1e6:.2f} MB; best of {args.runs}")
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"parse (yaml CSafeLoader):           {parsed * 1000:8.1f} ms")
    print(f"validate + plan (+ render JSON):    {planned * 1000:8.1f} ms")
    ratio = planned / parsed
    print(f"ratio: {ratio:.2f}x (target <= 2x) {'OK' if ratio <= 2 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
