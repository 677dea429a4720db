"""Progress output: plain lines off a terminal, rich bars on one; never a secret."""

from __future__ import annotations

import io

from rich.console import Console

from runner.execute.progress import BarsProgress, PlainProgress


def test_plain_progress_prints_one_line_per_change() -> None:
    """Repeated identical ticks print once; each state change prints a line."""
    out = io.StringIO()
    p = PlainProgress(out)
    p.job_started("j", total=10, detail="10 ids")
    for _ in range(3):
        p.job_advanced("j", done=5, total=10, state="RUNNING")
    p.job_advanced("j", done=10, total=10, state="COMPLETED")
    p.job_finished("j", status="COMPLETED", detail="total 10")
    assert out.getvalue().splitlines() == [
        "[j] started: 10 ids (10 records)",
        "[j] RUNNING: 5/10",
        "[j] COMPLETED: 10/10",
        "[j] COMPLETED: total 10",
    ]


def test_bars_show_each_job_with_its_state() -> None:
    """On a terminal each job has a bar with records done / total and its Zoho state."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with BarsProgress(console) as bars:
        bars.job_started("deals", total=12, detail="12 ids")
        bars.job_advanced("deals", done=12, total=12, state="sending")
        bars.job_finished("deals", status="COMPLETED", detail="total 12")
    text = buffer.getvalue()
    assert "deals" in text
    assert "12/12" in text
    assert "COMPLETED" in text
