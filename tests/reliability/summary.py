"""The soak's summary: cycles, kills by kind, recovery paths, findings by category, time
per cycle and the failing seeds, printed at the end of the pytest run."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tests.reliability.checks import CATEGORIES
from tests.reliability.cycle import CycleResult
from tests.reliability.scenario import short_seeds

DEFAULT_BASE_SEED = 1


def soak_seeds(environ: dict[str, str] | None = None) -> list[int]:
    """The cycles to run: ZCRM_SOAK_CYCLES seeds from ZCRM_SOAK_SEED (default 1), or, with
    no cycle count, the short version's seeds (scenario.SHORT_NEEDS, one cycle each)."""
    env = os.environ if environ is None else environ
    base = int(env.get("ZCRM_SOAK_SEED", DEFAULT_BASE_SEED))
    cycles = env.get("ZCRM_SOAK_CYCLES")
    if cycles is None:
        return [seed for seed, _ in short_seeds(base)]
    return [base + i for i in range(int(cycles))]


def _counter(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "-"


@dataclass(frozen=True)
class Summary:
    """Totals over the cycles run so far."""

    results: Sequence[CycleResult]

    @property
    def failed(self) -> list[CycleResult]:
        return [r for r in self.results if not r.passed]

    def findings(self) -> Counter[str]:
        counts: Counter[str] = Counter(dict.fromkeys(CATEGORIES, 0))
        counts.update(f.category for r in self.results for f in r.findings)
        return counts

    def table_row(self) -> str:
        """The docs/RELIABILITY.md results row: cycles / doubled jobs / wrong counts / stuck."""
        f = self.findings()
        return (
            f"| {len(self.results)} | {f['doubled job']} | {f['wrong count']} | {f['stuck run']} |"
        )

    def lines(self) -> list[str]:
        if not self.results:
            return ["no cycles ran"]
        seconds = sorted(r.seconds for r in self.results)
        kills: Counter[str] = Counter(r.kill for r in self.results)
        kills.update("expired token" for r in self.results if r.scenario.token_ttl)
        kills.update("--deadline" for r in self.results if r.scenario.deadline)
        paths: Counter[str] = Counter(r.scenario.recovery for r in self.results)
        found = Counter({k: v for k, v in self.findings().items() if v})
        failing = [str(r.scenario.seed) for r in self.failed]
        return [
            f"cycles {len(self.results)}: passed {len(self.results) - len(self.failed)}, "
            f"failed {len(self.failed)}",
            f"interrupts: {_counter(kills)}",
            f"recovery paths: {_counter(paths)}",
            f"findings: {_counter(found)}",
            f"seconds per cycle: median {seconds[len(seconds) // 2]:.1f}, max {seconds[-1]:.1f}, "
            f"total {sum(seconds):.1f}",
            f"failing seeds: {' '.join(failing) or 'none'}",
            "cycles / doubled jobs / wrong counts / stuck runs: " + self.table_row(),
        ]
