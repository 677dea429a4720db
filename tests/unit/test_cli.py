"""The CLI's own contract: durations, usage errors, exit codes."""

from __future__ import annotations

import argparse

import pytest

from runner import cli
from runner.clock import ManualClock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("2h", 7200.0), ("1h30m", 5400.0)],
)
def test_duration_parses_units(text: str, seconds: float) -> None:
    """--deadline accepts plain seconds and s/m/h/d units, combined."""
    assert cli._duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "0", "-5m"])
def test_duration_rejects_nonsense(text: str) -> None:
    """A duration that is not positive or has unknown units is refused."""
    with pytest.raises(argparse.ArgumentTypeError):
        cli._duration(text)


def test_usage_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A usage error exits 1, because 2 means 'changes' for plan --detailed-exitcode."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["validate"])
    assert exc.value.code == 1
    assert "the following arguments are required: FILE" in capsys.readouterr().err


@pytest.mark.anyio
async def test_manual_clock_sleep_advances_now() -> None:
    """ManualClock.sleep moves now() instead of waiting, and records each sleep."""
    clock = ManualClock(start=100.0)
    await clock.sleep(2.5)
    await clock.sleep(0.5)
    assert clock.now() == 103.0
    assert clock.slept == [2.5, 0.5]


def test_closed_pipe_is_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that closes the pipe early (`schema | head`) ends quietly with 0."""

    def gone(**_: object) -> int:
        raise BrokenPipeError

    monkeypatch.setattr(cli, "_command", lambda name: gone)
    assert cli.main(["schema"]) == 0
