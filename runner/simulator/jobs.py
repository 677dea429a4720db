"""Job state machines as data, advanced from the clock when observed (no threads, no sleeps).

A job waits through its `waiting` states (fixed dwell times), then works through its items
at `rate` items per second of clock time, then ends COMPLETED or FAILED. `advance(now)`
applies the effect of every item reached by `now`, in order, so a status poll and a record
read always agree.

    mass update   SCHEDULED → RUNNING → COMPLETED | FAILED          seed 000, API_NOTES §8
    mass delete   RUNNING → COMPLETED | FAILED                      seed 001, SDK8 enum
    bulk read     ADDED → QUEUED → IN PROGRESS → COMPLETED | FAILURE  seed 004, API_NOTES §3.2
    bulk write    ADDED → INPROGRESS → COMPLETED | FAILED           seed 003, API_NOTES §4.4
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Machine:
    """The states of one job kind."""

    waiting: tuple[str, ...]
    working: str
    completed: str
    failed: str


MACHINES: dict[str, Machine] = {
    "mass_update": Machine(("SCHEDULED",), "RUNNING", "COMPLETED", "FAILED"),
    "mass_delete": Machine((), "RUNNING", "COMPLETED", "FAILED"),
    "bulk_read": Machine(("ADDED", "QUEUED"), "IN PROGRESS", "COMPLETED", "FAILURE"),
    "bulk_write": Machine(("ADDED",), "INPROGRESS", "COMPLETED", "FAILED"),
}


@dataclass
class Timing:
    """Knobs: seconds spent in each waiting state, and items processed per second."""

    dwell: float = 1.0
    mass_rate: float = 100.0  # records per second for cvid mass update / delete
    read_rate: float = 100_000.0  # rows per second for a bulk read export
    write_rate: float = 500.0  # CSV rows per second for a bulk write import


@dataclass
class SimJob:
    """One Zoho job as the simulator runs it; subclasses say what reaching an item does."""

    id: str
    kind: str
    module: str
    created_at: float
    total: int
    rate: float
    dwell: float
    user_id: str
    fail: bool = False  # forced failure (control hook): FAILED as soon as work would start
    applied: int = 0
    ok: int = 0
    failed: int = 0
    observed_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def machine(self) -> Machine:
        return MACHINES[self.kind]

    @property
    def work_start(self) -> float:
        return self.created_at + self.dwell * len(self.machine.waiting)

    def reached(self, now: float) -> int:
        if now < self.work_start:
            return 0
        if self.rate <= 0:
            return self.total
        # microsecond rounding absorbs float error at epoch scale (0.1 s × 100/s is 10, not 9)
        elapsed = round(now - self.work_start, 6)
        return min(self.total, math.floor(elapsed * self.rate + 1e-9))

    def done(self) -> bool:
        return self.applied >= self.total and self.observed_at >= self.work_start

    def advance(self, now: float) -> None:
        """Apply every item reached by `now`, in order."""
        self.observed_at = max(self.observed_at, now)
        if self.fail:
            if now >= self.work_start and self.applied < self.total:
                self.failed += self.total - self.applied
                self.applied = self.total
            return
        target = self.reached(now)
        while self.applied < target:
            at = self.work_start + (self.applied + 1) / self.rate if self.rate > 0 else now
            if self.step(self.applied, at):
                self.ok += 1
            else:
                self.failed += 1
            self.applied += 1

    def step(self, index: int, at: float) -> bool:
        """Reach item `index` at clock time `at`; True if it succeeded."""
        return True

    def state(self) -> str:
        m = self.machine
        if self.observed_at < self.work_start:
            i = int((self.observed_at - self.created_at) // self.dwell) if self.dwell > 0 else 0
            return m.waiting[min(max(i, 0), len(m.waiting) - 1)]
        if self.applied < self.total:
            return m.working
        return m.failed if self.fail else m.completed

    def terminal(self) -> bool:
        return self.state() in (self.machine.completed, self.machine.failed)

    def counts(self) -> dict[str, int]:
        return {
            "total": self.total,
            "processed": self.applied,
            "succeeded": self.ok,
            "failed": self.failed,
        }
