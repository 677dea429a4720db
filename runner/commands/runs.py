"""`zcrm-runner runs [RUN_ID]`: the history the journal keeps, as a table or one run's jobs."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Column, Table

from runner.commands._preflight import existing_dir_problem
from runner.errors import UsageError
from runner.execute.journal import Journal


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def run(*, run_id: str | None = None, state_dir: Path = Path(".zcrm")) -> int:
    """List runs (newest first), or the jobs of one run; 0, or 1 when there is no such run."""
    why = existing_dir_problem(state_dir)
    if why is not None:
        raise UsageError(f"--state-dir {state_dir}: {why}; name the folder of the journal")
    if not (state_dir / "state.db").exists():
        raise UsageError(f"no journal in {state_dir}: no run was applied from here yet")
    console = Console(soft_wrap=True)
    with Journal(state_dir) as journal:
        if run_id is None:
            table = Table(
                Column("run", no_wrap=True), "started (UTC)", "ended (UTC)", "status", "exit", "org"
            )
            for row in journal.list_runs():
                exit_code = "-" if row.exit_code is None else str(row.exit_code)
                table.add_row(row.run_id, _when(row.started_at), _when(row.ended_at),
                              row.status, exit_code, row.org_id or "-")  # fmt: skip
            console.print(table)
            return 0
        found = journal.get_run(run_id)
        if found is None:
            raise UsageError(f"no run {run_id!r} in {state_dir}")
        table = Table(
            Column("job", no_wrap=True),
            "kind",
            "module",
            "status",
            "counts",
            "Zoho job ids",
            "polls",
        )
        for job in journal.jobs(run_id):
            counts = ", ".join(f"{k} {v}" for k, v in job.counts.items()) or "-"
            table.add_row(job.name, job.kind, job.module, job.status, counts,
                          ", ".join(job.zoho_job_ids) or "-",
                          str(journal.poll_count(run_id, job.name)))  # fmt: skip
        console.print(f"run {found.run_id}: {found.status}, started {_when(found.started_at)}")
        console.print(table)
    return 0
