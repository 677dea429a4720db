"""Applied exactly once, counts true: each cycle interrupts an apply against `sim serve`
(faults on), recovers as a user would, and checks the simulator's ground truth.

Short by default (scenario.SHORT_NEEDS); `ZCRM_SOAK_CYCLES=200 python -m pytest -m
reliability` soaks. See docs/RELIABILITY.md.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability.cycle import CycleResult, run_cycle
from tests.reliability.summary import soak_seeds

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]


@pytest.mark.parametrize("seed", soak_seeds(), ids=lambda seed: f"seed{seed}")
def test_cycle_applies_exactly_once_with_true_counts(
    seed: int, soak_results: list[CycleResult]
) -> None:
    """The cycle of `seed` ends with one Zoho job per view job and report counts equal to
    the org's, whatever the kill and whichever recovery path."""
    result = run_cycle(seed, keep=os.environ.get("ZCRM_SOAK_KEEP") == "1")
    soak_results.append(result)
    if not result.passed:
        pytest.fail(result.paragraph(), pytrace=False)
