"""Garbage collection tuned for a short command line process and for the length of a run.

A run allocates in bursts: every 500-record answer makes ~2,000 short-lived JSON objects,
and CPython's default cycle collector (a young collection every 700 allocations, a full
one every 100 young ones) then walks the whole heap again and again: the manifest, the
models, and the job's own growing lists. In the apply benchmark that was ~0.1 s of
pauses in a 0.5 s job, each one holding every request in flight. For the run's length:
- `gc.freeze()` moves what exists before the run (imports, manifests, plans) out of the
  collector's sight; `gc.unfreeze()` gives it back after;
- the young generation's threshold goes up, so a job of 50,000 records runs without a
  collection instead of with hundreds. Reference counting still frees everything that is
  not in a cycle at once, so memory does not grow; only cycles wait a little longer.

The command line process (`for_process`, from `runner.cli.entry`) runs with the same young
threshold from its first import: importing the commands, validating a 50,000-id file and
building the plan made ~140 young and one full collection, ~40-80 ms of every apply start
to exit, for garbage that is nearly all freed by reference counting anyway (issue 13).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young objects between collections during a run (default 700): a 50,000-record job
# keeps ~60,000 (its outcomes), so it runs with no collection at all; the price is up to
# 200,000 objects' worth of cyclic garbage (tens of MB at most) waiting a while longer.
RUN_THRESHOLD0 = 200_000

_depth = 0  # runs under way in this process (tests may overlap them)
_saved: tuple[int, int, int] = gc.get_threshold()


def for_process() -> None:
    """The young threshold of a run, for the whole command line process (not for tests
    calling `main()` in a process of their own)."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(RUN_THRESHOLD0, threshold[0]), *threshold[1:])


@contextmanager
def run_gc() -> Iterator[None]:
    """Collector settings for a run; nested or overlapping runs restore them once."""
    global _depth, _saved
    if _depth == 0:
        _saved = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(RUN_THRESHOLD0, _saved[0]), _saved[1], _saved[2])
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.set_threshold(*_saved)
            gc.unfreeze()
