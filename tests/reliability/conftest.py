"""The soak's results, kept across its cycles and summarised after the test session."""

from __future__ import annotations

import pytest

from tests.reliability.cycle import CycleResult
from tests.reliability.summary import Summary

SOAK_RESULTS = pytest.StashKey[list[CycleResult]]()


@pytest.fixture
def soak_results(request: pytest.FixtureRequest) -> list[CycleResult]:
    """Where each cycle leaves its result for the end-of-session summary."""
    return request.config.stash.setdefault(SOAK_RESULTS, [])


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the soak summary (cycles, kills, recovery paths, findings) when cycles ran."""
    results = config.stash.get(SOAK_RESULTS, [])
    if results:
        terminalreporter.section("reliability soak")
        for line in Summary(results).lines():
            terminalreporter.write_line(line)
