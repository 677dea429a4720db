"""`zcrm-runner runs [RUN_ID]`: the history the journal keeps, as a table or one run's jobs.

`--format json` prints the same facts as one document (schemas/runs.schema.json): every
run, or the one named, each with its target (never a credential), manifests and jobs.
Without a terminal the table is printed whole, however wide: ids are never cut.
With the journal in PostgreSQL (ZCRM_STATE_URL) the table's first line names it, password
masked: a team's runs are everyone's, and this says whose journal they come from.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from runner.commands._preflight import existing_dir_problem
from runner.errors import UsageError
from runner.execute.journal import Journal
from runner.execute.journal_schema import JobRow, RunRow
from runner.execute.state_store import StateStore
from runner.report.build import iso

FORMATS = ("table", "json")
FORMAT_VERSION = 1
UNBOUNDED = 100_000  # columns for a console that is not a terminal: nothing is cut
TARGET_KEYS = ("kind", "api_domain", "org_id", "dc")  # RunTarget's fields, no credential


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def _console() -> Console:
    console = Console(soft_wrap=True)
    return console if console.is_terminal else Console(soft_wrap=True, width=UNBOUNDED)


def run(
    *, run_id: str | None = None, state_dir: Path = Path(".zcrm"), format: str = "table"
) -> int:
    """List runs (newest first), or the jobs of one run; 0, or 1 when there is no such run."""
    if format not in FORMATS:
        raise UsageError(f"--format {format}: choose one of {', '.join(FORMATS)}")
    why = existing_dir_problem(state_dir)
    if why is not None:
        raise UsageError(f"--state-dir {state_dir}: {why}; name the folder of the journal")
    store = StateStore.from_env(state_dir, os.environ)
    if not store.exists():
        raise UsageError(f"no journal in {store.where}: no run was applied from here yet")
    with store.journal() as journal:
        found = None if run_id is None else journal.get_run(run_id)
        if run_id is not None and found is None:
            raise UsageError(f"no run {run_id!r} in {store.where}")
        if format == "json":
            rows = journal.list_runs() if found is None else [found]
            sys.stdout.write(runs_json(journal, rows))
            return 0
        console = _console()
        if store.url is not None:
            console.print(f"journal: {store.where}", markup=False, highlight=False)
        if found is None:
            table = Table(
                Column("run", no_wrap=True), "started (UTC)", "ended (UTC)", "status", "exit", "org"
            )
            for row in journal.list_runs():
                exit_code = "-" if row.exit_code is None else str(row.exit_code)
                table.add_row(row.run_id, _when(row.started_at), _when(row.ended_at),
                              row.status, exit_code, row.org_id or "-")  # fmt: skip
            console.print(table)
            return 0
        table = Table(
            Column("job", no_wrap=True),
            "kind",
            "module",
            "status",
            "counts",
            "Zoho job ids",
            "polls",
        )
        for job in journal.jobs(found.run_id):
            counts = ", ".join(f"{k} {v}" for k, v in job.counts.items()) or "-"
            table.add_row(job.name, job.kind, job.module, job.status, counts,
                          ", ".join(job.zoho_job_ids) or "-",
                          str(journal.poll_count(found.run_id, job.name)))  # fmt: skip
        console.print(f"run {found.run_id}: {found.status}, started {_when(found.started_at)}")
        console.print(table)
    return 0


def _job(journal: Journal, job: JobRow) -> dict[str, Any]:
    return {
        "name": job.name,
        "kind": job.kind,
        "module": job.module,
        "status": job.status,
        "counts": {k: int(v) for k, v in job.counts.items()},
        "zoho_job_ids": list(job.zoho_job_ids),
        "polls": journal.poll_count(job.run_id, job.name),
        "started_at": iso(job.started_at),
        "ended_at": iso(job.ended_at),
        "errors": [
            {"code": e.code, "message": e.message, "details": dict(e.details)} for e in job.errors
        ],
    }


def _run(journal: Journal, row: RunRow) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at),
        "status": row.status,
        "exit_code": row.exit_code,
        "target": {key: row.target.get(key) for key in TARGET_KEYS},
        "manifests": [{"path": m.get("path"), "sha256": m.get("sha256")} for m in row.manifests],
        "jobs": [_job(journal, job) for job in journal.jobs(row.run_id)],
    }


def runs_json(journal: Journal, rows: list[RunRow]) -> str:
    """The `runs --format json` document: these runs, newest first, keys in a stable order."""
    document = {"format_version": FORMAT_VERSION, "runs": [_run(journal, row) for row in rows]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
