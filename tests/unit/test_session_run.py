"""How apply and resume run a session to its end, and how the process leaves (issue 13)."""

from __future__ import annotations

import gc

import pytest

from runner import cli
from runner.execute.session import run_to_end


class _NoRepr:
    """A result whose repr fails the test: 50,000 outcomes' worth, in spirit."""

    def __repr__(self) -> str:
        raise AssertionError("the run's result was formatted")


def test_run_to_end_hands_the_result_back_unformatted() -> None:
    """The result comes back whole; asyncio's ending never formats it (its SIGINT checks
    format the main task's repr, result included, under asyncio.run)."""

    async def session() -> _NoRepr:
        return _NoRepr()

    assert isinstance(run_to_end(session()), _NoRepr)  # type: ignore[arg-type]


def test_run_to_end_raises_what_the_session_raises() -> None:
    """An error of the session reaches the command as it would through asyncio.run."""

    async def session() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run_to_end(session())  # type: ignore[arg-type]


def test_entry_returns_mains_code_with_the_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script's entry is main() plus a frozen heap, so the exit skips walking it."""
    monkeypatch.setattr(cli, "main", lambda: 7)
    try:
        assert cli.entry() == 7
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
