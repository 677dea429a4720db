"""The journal's read side: queries and row mapping, shared by `Journal` and `runs`.

`JournalReader` holds the read-only half of the API over an open `JournalDb` (SQLite or
PostgreSQL, journal_db.py); `Journal` (journal.py) adds the writes. Rows come back as the
frozen dataclasses of journal_schema.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from runner.execute.journal_db import JournalDb, SqliteDb
from runner.execute.journal_outcomes import unpack_errors, unpack_outcomes
from runner.execute.journal_schema import (
    READABLE_FROM,
    UNFINISHED_RUN_STATUSES,
    Intent,
    JobRow,
    RequestSummary,
    RunRow,
    too_new,
)
from runner.results import RecordOutcome

RUN_SELECT = (
    "SELECT run_id, started_at, ended_at, status, exit_code, org_id, target, manifests,"
    " options FROM runs"
)
_JOB_COLS = "run_id, name, kind, module, fingerprint, status, counts, zoho_job_ids,"
_JOB_COLS += " started_at, ended_at, errors, ledger"
JOB_SELECT = f"SELECT {_JOB_COLS} FROM jobs"
JOB_SELECT_J = (
    "SELECT " + ", ".join(f"j.{c.strip()}" for c in _JOB_COLS.split(",")) + " FROM jobs j"
)
INTENT_SELECT = (
    "SELECT id, run_id, job, step_key, attempt, method, path, body_sha256, ids_count, state,"
    " zoho_job_id, error_code, error_message, created_at, updated_at FROM intents"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_METHOD = re.compile(r"^[A-Z]{3,7}$")


def run_row(r: Any) -> RunRow:
    return RunRow(
        run_id=r[0],
        started_at=r[1],
        ended_at=r[2],
        status=r[3],
        exit_code=r[4],
        org_id=r[5],
        target=json.loads(r[6]),
        manifests=tuple(json.loads(r[7])),
        options=json.loads(r[8]),
    )


def job_row(r: Any) -> JobRow:
    return JobRow(
        run_id=r[0],
        name=r[1],
        kind=r[2],
        module=r[3],
        fingerprint=r[4],
        status=r[5],
        counts=json.loads(r[6]),
        zoho_job_ids=tuple(json.loads(r[7])),
        started_at=r[8],
        ended_at=r[9],
        errors=unpack_errors(json.loads(r[10])),
        ledger=r[11],
    )


def intent_row(r: Any) -> Intent:
    return Intent(
        id=r[0],
        run_id=r[1],
        job=r[2],
        step_key=r[3],
        attempt=r[4],
        request=RequestSummary(method=r[5], path=r[6], body_sha256=r[7], ids_count=r[8]),
        state=r[9],
        zoho_job_id=r[10],
        error_code=r[11],
        error_message=r[12],
        created_at=r[13],
        updated_at=r[14],
    )


def check_summary(request: RequestSummary) -> None:
    """Refuse a summary that could smuggle content in: the body is a hash, nothing else."""
    if not _METHOD.match(request.method.upper()):
        raise ValueError(f"not an HTTP method: {request.method!r}")
    if request.body_sha256 is not None and not _SHA256.match(request.body_sha256):
        raise ValueError("body_sha256 must be a sha256 hex digest (use RequestSummary.of)")
    if request.ids_count is not None and request.ids_count < 0:
        raise ValueError("ids_count must be >= 0")


def not_a_journal(path: Path, exc: sqlite3.DatabaseError) -> RunnerError:
    """The error for a state file something else overwrote (issue 9: a CSV export)."""
    return RunnerError(
        f"{path} is not a journal ({exc}); something overwrote it. Restore it from a "
        "backup, or move it aside to start a new one: the record of jobs already applied "
        "goes with it"
    )


class JournalReader:
    """Read-only queries over a journal connection (runs, jobs, intents, poll counts)."""

    def __init__(self, db: JournalDb) -> None:
        self._db = db

    @classmethod
    def open_read_only(cls, db_path: Path) -> JournalReader | None:
        """The journal at `db_path` for reading only (`plan` writes nothing); None when
        there is none yet, or it predates the ledger (an apply migrates it). A journal of
        a newer zcrm-runner is refused, as `Journal` refuses it."""
        if not db_path.is_file():
            return None
        conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        db = SqliteDb(conn, db_path)
        try:
            version = db.schema_version()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise not_a_journal(db_path, exc) from exc
        return cls.readable(db, version)

    @classmethod
    def readable(cls, db: JournalDb, version: int) -> JournalReader | None:
        """A reader over `db` if its schema `version` can be read unmigrated; else None
        (too old: an apply migrates it) or a RunnerError (too new). `db` is closed unless
        a reader is returned."""
        if version >= READABLE_FROM and too_new(version) is None:
            return cls(db)
        db.close()
        error = too_new(version)
        if error is not None:
            raise error
        return None

    @property
    def where(self) -> str:
        """Where the journal is, for messages: its file, or its URL without the password."""
        return self._db.where

    def close(self) -> None:
        self._db.close()

    def schema_version(self) -> int:
        return self._db.schema_version()

    def ledger_entries(self, fingerprint: str) -> list[tuple[JobRow, RunRow]]:
        """Every ledger entry of this content on any org, with its run, newest first."""
        sql = (
            f"{JOB_SELECT_J} JOIN runs r USING (run_id) WHERE j.fingerprint = ?"
            " AND j.ledger IS NOT NULL ORDER BY r.started_at DESC, j.rowid DESC"
        )
        jobs = [job_row(r) for r in self._db.execute(sql, (fingerprint,))]
        out = []
        for job in jobs:
            run = self.get_run(job.run_id)
            if run is not None:
                out.append((job, run))
        return out

    def pragma(self, name: str) -> Any:
        """A PRAGMA's current value (journal_mode, synchronous, user_version); SQLite only."""
        if not isinstance(self._db, SqliteDb):
            raise TypeError(f"no PRAGMA in the journal at {self._db.where}")
        return self._db.pragma(name)

    def get_run(self, run_id: str) -> RunRow | None:
        row = self._db.execute(f"{RUN_SELECT} WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else run_row(row)

    def list_runs(self, limit: int | None = None) -> list[RunRow]:
        """Runs, newest first."""
        sql = f"{RUN_SELECT} ORDER BY started_at DESC, rowid DESC"
        if limit is None:
            return [run_row(r) for r in self._db.execute(sql)]
        return [run_row(r) for r in self._db.execute(f"{sql} LIMIT ?", (limit,))]

    def latest_unfinished_run(self) -> RunRow | None:
        """The newest run that crashed, was interrupted or stopped at its deadline."""
        marks = ",".join("?" * len(UNFINISHED_RUN_STATUSES))
        row = self._db.execute(
            f"{RUN_SELECT} WHERE status IN ({marks}) ORDER BY started_at DESC, rowid DESC",
            UNFINISHED_RUN_STATUSES,
        ).fetchone()
        return None if row is None else run_row(row)

    def jobs(self, run_id: str) -> list[JobRow]:
        sql = f"{JOB_SELECT} WHERE run_id = ? ORDER BY rowid"
        return [job_row(r) for r in self._db.execute(sql, (run_id,))]

    def job_history(self, org_id: str | None, fingerprint: str) -> list[JobRow]:
        """Every run of this exact job content on this org, newest first."""
        sql = (
            f"{JOB_SELECT_J} JOIN runs r USING (run_id) WHERE j.fingerprint = ?"
            " AND r.org_id IS ? ORDER BY r.started_at DESC, j.rowid DESC"
        )
        return [job_row(r) for r in self._db.execute(sql, (fingerprint, org_id))]

    def unfinished_runs(self, org_id: str | None) -> list[RunRow]:
        """Runs on this org that `resume` can still finish, newest first."""
        marks = ",".join("?" * len(UNFINISHED_RUN_STATUSES))
        rows = self._db.execute(
            f"{RUN_SELECT} WHERE status IN ({marks}) AND org_id IS ?"
            " ORDER BY started_at DESC, rowid DESC",
            (*UNFINISHED_RUN_STATUSES, org_id),
        )
        return [run_row(r) for r in rows]

    def get_intent(self, intent_id: int) -> Intent | None:
        row = self._db.execute(f"{INTENT_SELECT} WHERE id = ?", (intent_id,)).fetchone()
        return None if row is None else intent_row(row)

    def intents(self, run_id: str, job: str | None = None) -> list[Intent]:
        """A run's intents (optionally one job's), in the order they were written."""
        sql, args = f"{INTENT_SELECT} WHERE run_id = ?", [run_id]
        if job is not None:
            sql, args = f"{sql} AND job = ?", [run_id, job]
        return [intent_row(r) for r in self._db.execute(f"{sql} ORDER BY id", args)]

    def latest_intent(self, run_id: str, job: str, step_key: str) -> Intent | None:
        """The latest attempt at one step (indexed by the UNIQUE key: no scan per batch)."""
        row = self._db.execute(
            f"{INTENT_SELECT} WHERE run_id = ? AND job = ? AND step_key = ?"
            " ORDER BY attempt DESC LIMIT 1",
            (run_id, job, step_key),
        ).fetchone()
        return None if row is None else intent_row(row)

    def intent_result(self, intent_id: int) -> Mapping[str, Any] | None:
        row = self._db.execute(
            "SELECT result FROM results WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def job_outcomes(self, run_id: str, job: str) -> list[RecordOutcome]:
        """Per-record outcomes of every acknowledged batch of a job, in batch order."""
        rows = self._db.execute(
            "SELECT r.outcomes FROM results r JOIN intents i ON i.id = r.intent_id"
            " WHERE i.run_id = ? AND i.job = ? ORDER BY i.id",
            (run_id, job),
        )
        return [o for (blob,) in rows for o in unpack_outcomes(json.loads(blob))]

    def intent_outcomes(self, intent_id: int) -> list[RecordOutcome]:
        """Per-record outcomes recorded with one acknowledged intent (a batch)."""
        row = self._db.execute(
            "SELECT outcomes FROM results WHERE intent_id = ?", (intent_id,)
        ).fetchone()
        return [] if row is None else unpack_outcomes(json.loads(row[0]))

    def poll_count(self, run_id: str, job: str) -> int:
        """Polls made for a job across all its Zoho jobs (the report's `polls`)."""
        sql = "SELECT COUNT(*) FROM polls p JOIN intents i ON i.id = p.intent_id"
        row = self._db.execute(f"{sql} WHERE i.run_id = ? AND i.job = ?", (run_id, job))
        return int(row.fetchone()[0])
