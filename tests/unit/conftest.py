"""Unit-test fixtures: `--sim` in-process without waiting."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from runner.clock import Clock, ManualClock
from runner.commands import _target, apply, plan
from runner.execute.target import Connection, sim_connection

Connect = Callable[..., tuple[Connection, Clock]]


def manual_connect(*, sim: bool) -> tuple[Connection, Clock]:
    """`connect` with `--sim` on one ManualClock for runner and simulator, started at the
    real time (saved plans and run ids compare with it): a poll's wait moves the clock and
    the simulator's jobs with it, so a run's polling takes no real time (STYLE: unit tests
    do not sleep). Without --sim, the real `connect`."""
    if not sim:
        return _target.connect(sim=False)
    clock = ManualClock(start=time.time())
    return sim_connection(clock=clock), clock


@pytest.fixture(autouse=True)
def sim_without_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every in-process `apply --sim` / `plan --online --sim` runs on `manual_connect`; a test
    that is about the real clocks puts `_target.connect` back (test_cmd_apply.py does,
    once). tests/e2e run the CLI as a process, on real clocks, untouched (issue 13: these
    runs were ~2.5 s each of polling waits)."""
    for module in (apply, plan):
        monkeypatch.setattr(module, "connect", manual_connect)
