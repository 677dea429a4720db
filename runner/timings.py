"""Phase marks for whole-process benchmarks (`bench/apply_process.py`, issue 13).

With `ZCRM_TIMINGS=1` in the environment, each `mark(phase)` writes one line to stderr,
`zcrm-runner: timing: <phase> <seconds since the epoch>`; without it, a mark costs one
attribute read. Epoch seconds, not a monotonic clock, so the process that spawned the
command can set each mark against its own spawn and exit times, and against the job times
of `report.json` (the run's `SystemClock` is epoch seconds too).

Phases marked: `main` (the CLI's `main()` entered: the interpreter and `runner.cli` are
up), `imported` (the verb's command module imported), and for `apply`: `validated`,
`session` (the run finished in the journal, the lock released) and `reported`.
"""

from __future__ import annotations

import os
import sys

ENABLED = bool(os.environ.get("ZCRM_TIMINGS"))


def mark(phase: str) -> None:
    """Print when `phase` ended, if timings were asked for."""
    if ENABLED:
        import time  # a built-in module; imported here so a plain start skips even that

        print(f"zcrm-runner: timing: {phase} {time.time():.6f}", file=sys.stderr, flush=True)
