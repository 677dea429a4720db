"""One driver per job kind, in one hand-written registry.

The jobs schema's `kind` enum is tested against `DRIVERS`, so a kind cannot be declared
without a driver, nor a driver exist that no manifest can ask for (STYLE.md, pre-commit).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Protocol

from runner.execute.context import JobContext
from runner.results import JobResult


class Driver(Protocol):
    """Runs one job to its end (or to the deadline) and says how it went."""

    kind: str

    async def run(self, ctx: JobContext) -> JobResult: ...


# kind -> (module, class): written out, not discovered, so the registry reads as a list.
_WHERE: dict[str, tuple[str, str]] = {
    "mass_update": ("runner.execute.drivers.mass", "MassUpdateDriver"),
    "mass_delete": ("runner.execute.drivers.mass", "MassDeleteDriver"),
    "bulk_read": ("runner.execute.drivers.bulk_read", "BulkReadDriver"),
    "bulk_write": ("runner.execute.drivers.bulk_write", "BulkWriteDriver"),
}


class _Registry(Mapping[str, Driver]):
    """kind -> driver, a driver's module imported the first time a job of its kind runs:
    an apply of mass updates never imports the bulk write driver and what only it uses
    (issue 13); the session imports a run's drivers while GET /org is answered."""

    def __init__(self, where: dict[str, tuple[str, str]]) -> None:
        self._where = where
        self._made: dict[str, Driver] = {}

    def __getitem__(self, kind: str) -> Driver:
        if kind not in self._made:
            module, name = self._where[kind]  # KeyError for an unknown kind, as a dict's
            driver: Driver = getattr(importlib.import_module(module), name)()
            self._made[kind] = driver
        return self._made[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


DRIVERS: Mapping[str, Driver] = _Registry(_WHERE)
