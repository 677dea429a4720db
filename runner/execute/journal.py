"""The write-ahead journal: SQLite in `<state_dir>/state.db`, so resume and apply-once work
(or PostgreSQL for teams, `ZCRM_STATE_URL`: journal_pg.py; the SQL is the same, the
dialect is the `JournalDb`'s).

Every POST that changes the org goes through `JobContext.step` (runner/execute/context.py),
the one place the write-ahead protocol lives: `record_intent` commits a PENDING intent
before the request is sent, then `ack_intent`, `refuse_intent` or `mark_unknown` records
its answer; on resume, the latest attempt at a step (`latest_intent`) says whether to
replay its answer or report it lost, never to send it again. Why write-ahead: Zoho's
create endpoints take no idempotency key and there is no list-jobs endpoint, so a job id
lost in a crash cannot be found again (DESIGN §CLI contract, API_NOTES §8). Polls are
journaled by `JobContext.on_poll`; the executor records each job (`record_job`,
`update_job`), its errors and its apply-once ledger entry.

Durability (SQLite): WAL with `synchronous=FULL` by default. NORMAL is already safe against a
killed process (the WAL write reaches the OS before commit returns) but may lose the last
commits on power loss or an OS crash; losing a PENDING intent there means a resume could
create a second Zoho job, so FULL (one fsync of the WAL per commit) is the default. Two
kinds of commit skip their own fsync (`JournalDb.tx(durable=False)`): a batch's answer
and a poll. A power cut may lose them only back to a state the protocol recovers from (the
batch's intent reads as lost and its records are read back; a poll is asked again), and
the next FULL commit, the next intent at the latest, syncs them with it: one fsync per
POST instead of two. An answer that names a Zoho job is durable at once: a lost job id
cannot be found again. `durability="normal"` is for benchmarks and tests on slow disks.

One `Journal` per process, used from the event-loop thread (calls are short writes); the
one thing another thread does is `record_intent_async`'s fsync, of a descriptor of its own.
`runs`/`resume` may read while an apply writes: WAL (or PostgreSQL's MVCC) lets readers in. Nothing
that can hold a credential is stored: requests are summaries (`RequestSummary`), JSON
columns go through `scrub`, and `add_secret` lets the client register values to redact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import orjson

from runner.clock import Clock, SystemClock
from runner.execute import journal_read as q
from runner.execute.fingerprint import job_fingerprint
from runner.execute.journal_db import JournalDb, SqliteDb, migrate, open_postgres
from runner.execute.journal_outcomes import pack_errors, pack_outcomes
from runner.execute.journal_schema import (
    Ledger,
    RequestSummary,
    RunStatus,
    dumps,
    may_hold_secret,
    scrub,
    scrub_path,
)
from runner.refs import ManifestRef
from runner.results import JobError, RecordOutcome, RunTarget

__all__ = ["DB_NAME", "Journal", "RequestSummary", "job_fingerprint"]

DB_NAME = "state.db"
Durability = Literal["full", "normal"]


class Journal(q.JournalReader):
    """The state file of one state directory; `JobContext.step` drives its intents."""

    def __init__(
        self,
        state_dir: Path,
        *,
        clock: Clock | None = None,
        durability: Durability = "full",
        url: str | None = None,
    ) -> None:
        """The journal of `state_dir`, or with `url` the PostgreSQL one (the state dir
        then holds only local files: crash logs, run folders)."""
        self.path = Path(state_dir) / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock: Clock = clock or SystemClock()
        self._secrets: list[str] = []
        if url is not None:
            super().__init__(open_postgres(url))
        else:
            super().__init__(_open_sqlite(self.path, durability))

    # --- plumbing ---------------------------------------------------------------------
    @property
    def db(self) -> JournalDb:
        """The open connection (the PostgreSQL org lock holds its lock on it)."""
        return self._db

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add_secret(self, value: str) -> None:
        """Register a credential value (e.g. the current access token) to redact anywhere."""
        if value and value not in self._secrets:
            self._secrets.append(value)

    def redact(self, value: Any) -> Any:
        """`value` as this journal stores it: credential keys, token-shaped strings and the
        registered values redacted (for what the console and the reports show); `value`
        itself when it holds nothing to redact (one serialisation and substring tests: by
        orjson, ~10x faster than json on a job's 50,000 outcomes, and strings as they are,
        where json writes non-ASCII as \\u escapes a registered value would not match)."""
        try:
            text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except (TypeError, orjson.JSONEncodeError):  # beyond orjson (an int over 64 bits)
            text = json.dumps(value, default=str)
        if not may_hold_secret(text, self._secrets):
            return value
        return scrub(value, self._secrets)

    def _json(self, value: Any) -> str:
        return dumps(value, self._secrets)

    # --- runs -------------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        *,
        target: RunTarget,
        manifests: Sequence[ManifestRef] = (),
        options: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a new run as RUNNING."""
        with self._db.tx() as c:
            c.execute(
                "INSERT INTO runs (run_id, started_at, status, org_id, target, manifests, options)"
                " VALUES (?, ?, 'RUNNING', ?, ?, ?, ?)",
                (
                    run_id,
                    self.clock.now(),
                    target.org_id,
                    self._json(asdict(target)),
                    self._json([asdict(m) for m in manifests]),
                    self._json(dict(options or {})),
                ),
            )

    def finish_run(self, run_id: str, *, status: RunStatus, exit_code: int) -> None:
        """Record how a run (or a resume of it) ended."""
        self._update_run(run_id, status, self.clock.now(), exit_code)

    def abandon_run(self, run_id: str) -> None:
        """The user checked the org and gives up on finishing this run (`--abandon`)."""
        self._update_run(run_id, "ABANDONED", self.clock.now(), None)

    def reopen_run(self, run_id: str) -> None:
        """Mark a run RUNNING again for `resume`."""
        self._update_run(run_id, "RUNNING", None, None)

    def _update_run(
        self, run_id: str, status: str, ended_at: float | None, exit_code: int | None
    ) -> None:
        with self._db.tx() as c:
            cur = c.execute(
                "UPDATE runs SET status = ?, ended_at = ?, exit_code = ? WHERE run_id = ?",
                (status, ended_at, exit_code, run_id),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no run {run_id!r} in {self._db.where}")

    # --- jobs -------------------------------------------------------------------------
    def record_job(
        self, run_id: str, name: str, *, kind: str, module: str, fingerprint: str, status: str
    ) -> None:
        """Add a job to a run (or reset its status when a resume starts it again)."""
        with self._db.tx() as c:
            c.execute(
                "INSERT INTO jobs (run_id, name, kind, module, fingerprint, status)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET"
                " kind = excluded.kind, module = excluded.module,"
                " fingerprint = excluded.fingerprint, status = excluded.status",
                (run_id, name, kind, module, fingerprint, status),
            )

    def update_job(
        self,
        run_id: str,
        name: str,
        *,
        status: str | None = None,
        counts: Mapping[str, int] | None = None,
        zoho_job_ids: Sequence[str] | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        errors: Sequence[JobError] | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        """Change the given fields of a job; the others keep their value."""
        fields: dict[str, Any] = {
            "status": status,
            "counts": None if counts is None else self._json(dict(counts)),
            "zoho_job_ids": None if zoho_job_ids is None else self._json(list(zoho_job_ids)),
            "started_at": started_at,
            "ended_at": ended_at,
            "errors": None if errors is None else self._json(pack_errors(errors)),
            "ledger": ledger,
        }
        changes = {k: v for k, v in fields.items() if v is not None}
        if not changes:
            return
        sets = ", ".join(f"{k} = ?" for k in changes)
        with self._db.tx() as c:
            cur = c.execute(
                f"UPDATE jobs SET {sets} WHERE run_id = ? AND name = ?",
                (*changes.values(), run_id, name),
            )
            if cur.rowcount != 1:
                raise KeyError(f"no job {name!r} in run {run_id!r}")

    # --- intents ----------------------------------------------------------------------
    def record_intent(self, run_id: str, job: str, step_key: str, request: RequestSummary) -> int:
        """Write a PENDING intent and commit it, before the POST is sent; returns its id."""
        q.check_summary(request)
        with self._db.tx() as c:
            return self._write_intent(c, run_id, job, step_key, request)

    async def record_intent_async(
        self, run_id: str, job: str, step_key: str, request: RequestSummary
    ) -> int:
        """`record_intent`, durable when it returns as well, but the event loop parses and
        journals other answers while the disk syncs (`JournalDb.write_durably`: SQLite's
        fsync in a worker thread; issue 13)."""
        q.check_summary(request)
        return await self._db.write_durably(
            partial(self._write_intent, run_id=run_id, job=job, step_key=step_key, request=request)
        )

    def _write_intent(
        self, c: JournalDb, run_id: str, job: str, step_key: str, request: RequestSummary
    ) -> int:
        now = self.clock.now()
        (attempt,) = c.execute(
            "SELECT COALESCE(MAX(attempt), 0) + 1 FROM intents"
            " WHERE run_id = ? AND job = ? AND step_key = ?",
            (run_id, job, step_key),
        ).fetchone()
        return c.insert(
            "INSERT INTO intents (run_id, job, step_key, attempt, method, path, body_sha256,"
            " ids_count, state, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)",
            (
                run_id,
                job,
                step_key,
                attempt,
                request.method.upper(),
                scrub_path(request.path, self._secrets),
                request.body_sha256,
                request.ids_count,
                now,
                now,
            ),
        )

    def ack_intent(
        self,
        intent_id: int,
        *,
        zoho_job_id: str | None = None,
        result: Mapping[str, Any] | None = None,
        outcomes: Sequence[RecordOutcome] = (),
    ) -> None:
        """Record the answer: the Zoho job id, and/or a batch's result and per-record outcomes
        (stored as `journal_outcomes` packs them)."""
        packed = pack_outcomes(outcomes)
        # A batch's answer commits without its own fsync (see JournalDb.tx): a killed
        # process keeps it, and on a power cut it is the intent's next durable commit
        # that carries it, or the intent reads as lost and is verified. A Zoho job id
        # would be lost for good, so that answer is durable at once.
        with self._db.tx(durable=zoho_job_id is not None) as c:
            self._transition(c, intent_id, "ACKED", zoho_job_id=zoho_job_id)
            c.execute(
                "INSERT INTO results (intent_id, result, outcomes) VALUES (?, ?, ?)",
                (intent_id, self._json(dict(result or {})), self._json(packed)),
            )

    def refuse_intent(self, intent_id: int, *, code: str, message: str) -> None:
        """Record a definite request-level error: nothing was created, the step may be retried."""
        with self._db.tx() as c:
            self._transition(c, intent_id, "REFUSED", error_code=code, error_message=message)

    def mark_unknown(self, intent_id: int, *, reason: str) -> None:
        """Record that the answer was lost: the POST may or may not have taken effect."""
        with self._db.tx() as c:
            self._transition(c, intent_id, "UNKNOWN", error_code="UNKNOWN", error_message=reason)

    def _transition(self, c: JournalDb, intent_id: int, state: str, **cols: Any) -> None:
        # PENDING → any outcome; UNKNOWN → ACKED/REFUSED if the answer turns up later.
        allowed = ("PENDING",) if state == "UNKNOWN" else ("PENDING", "UNKNOWN")
        sets = "".join(f", {k} = ?" for k in cols)
        values = [scrub(v, self._secrets) if isinstance(v, str) else v for v in cols.values()]
        cur = c.execute(
            f"UPDATE intents SET state = ?, updated_at = ?{sets}"
            f" WHERE id = ? AND state IN ({','.join('?' * len(allowed))})",
            (state, self.clock.now(), *values, intent_id, *allowed),
        )
        if cur.rowcount != 1:
            found = c.execute("SELECT state FROM intents WHERE id = ?", (intent_id,)).fetchone()
            now = "no such intent" if found is None else f"it is {found[0]}"
            raise ValueError(f"intent {intent_id} cannot become {state}: {now}")

    # --- polls ------------------------------------------------------------------------
    def record_poll(
        self, intent_id: int, *, status: str, counts: Mapping[str, int] | None = None
    ) -> None:
        """Record one status poll of the Zoho job created by `intent_id` (a read, so its
        record may wait for the next durable commit)."""
        with self._db.tx(durable=False) as c:
            c.execute(
                "INSERT INTO polls (intent_id, at, status, counts) VALUES (?, ?, ?, ?)",
                (intent_id, self.clock.now(), status, self._json(dict(counts or {}))),
            )


def _open_sqlite(path: Path, durability: Durability) -> SqliteDb:
    """The state file, in WAL mode, migrated; a file that is not a journal is refused."""
    # isolation_level=None: no implicit transactions; `SqliteDb.tx` opens each one.
    db = SqliteDb(sqlite3.connect(path, isolation_level=None, timeout=10.0), path)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={durability.upper()}")
        db.settle_modes()
        db.execute("PRAGMA foreign_keys=ON")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise q.not_a_journal(path, exc) from exc
    except BaseException:
        db.close()
        raise
    return db
