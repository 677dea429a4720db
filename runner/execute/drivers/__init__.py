"""One driver per job kind, in one hand-written registry.

The jobs schema's `kind` enum is tested against `DRIVERS`, so a kind cannot be declared
without a driver, nor a driver exist that no manifest can ask for (STYLE.md, pre-commit).
"""

from __future__ import annotations

from typing import Protocol

from runner.execute.context import JobContext
from runner.execute.drivers.bulk_read import BulkReadDriver
from runner.execute.drivers.bulk_write import BulkWriteDriver
from runner.execute.drivers.mass import MassDeleteDriver, MassUpdateDriver
from runner.results import JobResult


class Driver(Protocol):
    """Runs one job to its end (or to the deadline) and says how it went."""

    kind: str

    async def run(self, ctx: JobContext) -> JobResult: ...


DRIVERS: dict[str, Driver] = {
    driver.kind: driver
    for driver in (MassUpdateDriver(), MassDeleteDriver(), BulkReadDriver(), BulkWriteDriver())
}
