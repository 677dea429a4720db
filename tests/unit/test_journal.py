"""Journal: write-ahead intents, crash survival, runs, apply-once history, no secrets.

Tests taking `journal` or `journal_store` run twice: SQLite, and PostgreSQL (a schema of
their own; skipped where no server is given, tests/postgres.py)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path

import pytest

from runner.clock import ManualClock
from runner.errors import RunnerError
from runner.execute.journal import Journal, RequestSummary
from runner.execute.journal_db import SqliteDb
from runner.execute.journal_read import JournalReader
from runner.execute.journal_schema import MIGRATIONS, REDACTED, SCHEMA_VERSION
from runner.execute.state_store import StateStore
from runner.refs import ManifestRef
from runner.results import JobError, RecordOutcome, RunTarget

SIM = RunTarget(kind="sim", api_domain="http://127.0.0.1:8030", org_id="org1", dc="us")
TOKEN = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210"
REQ = RequestSummary.of("POST", "/crm/v8/Deals/actions/mass_update", b'{"ids":[]}', 500)


@pytest.fixture
def journal(journal_store: StateStore) -> Iterator[Journal]:
    """A journal in a fresh store (SQLite state dir, or PostgreSQL schema) on a manual clock."""
    with journal_store.journal(clock=ManualClock()) as j:
        yield j


ROOT = Path(__file__).resolve().parents[2]  # the checkout, so `runner` imports


def started(j: Journal, run_id: str = "r1", target: RunTarget = SIM) -> str:
    """Start a run with one job and return its id."""
    j.start_run(run_id, target=target, manifests=[ManifestRef("jobs.yaml", "ab" * 32)])
    j.record_job(
        run_id, "deals", kind="mass_update", module="Deals", fingerprint="f1", status="PENDING"
    )
    return run_id


def test_pragmas_wal_full_and_schema_version(tmp_path: Path) -> None:
    """The state file is in WAL mode, fsyncs each commit, and carries its schema version."""
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        assert journal.pragma("journal_mode") == "wal"
        assert journal.pragma("synchronous") == 2  # FULL
        assert journal.pragma("user_version") == SCHEMA_VERSION
        assert journal.path.name == "state.db"


def test_reopening_keeps_data_and_refuses_a_newer_schema(journal_store: StateStore) -> None:
    """A second open migrates nothing; a store from a newer runner is refused, not touched."""
    with journal_store.journal() as j:
        started(j)
    with journal_store.journal() as j:
        assert j.get_run("r1") is not None
        assert j.schema_version() == SCHEMA_VERSION
        j.db.set_schema_version(SCHEMA_VERSION + 1)
    with pytest.raises(RunnerError, match="upgrade zcrm-runner"):
        journal_store.journal()
    with pytest.raises(RunnerError, match="upgrade zcrm-runner"):
        journal_store.read_only()


def _killed_after(journal_store: StateStore, kind: str, writes: str) -> None:
    """In a process of its own: open the store, start run r1 with job c of `kind`, run
    `writes` (Python, `j` the journal), then SIGKILL itself."""
    script = (
        textwrap.dedent(f"""
        import asyncio, os, signal
        from pathlib import Path
        from runner.execute.journal import Journal, RequestSummary
        from runner.results import RecordOutcome, RunTarget
        j = Journal(Path({str(journal_store.state_dir)!r}), url={journal_store.url!r})
        j.start_run("r1", target=RunTarget("sim", "http://sim", "org1"))
        j.record_job("r1", "c", kind={kind!r}, module="Leads", fingerprint="f",
                     status="RUNNING")
    """)
        + textwrap.dedent(writes)
        + "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT)
    assert proc.returncode == -9


def test_pending_intent_survives_a_killed_process(journal_store: StateStore) -> None:
    """An intent committed before a SIGKILL is seen PENDING by the next process."""
    _killed_after(
        journal_store,
        "mass_delete",
        'j.record_intent("r1", "c", "schedule", RequestSummary.of("POST", "/x", b"{}"))\n',
    )
    with journal_store.journal() as j:
        pending = j.latest_intent("r1", "c", "schedule")
        assert pending is not None
        assert (pending.attempt, pending.state) == (1, "PENDING")
        run = j.latest_unfinished_run()
        assert run is not None
        assert run.run_id == "r1"


def test_a_batch_answer_survives_a_killed_process(journal_store: StateStore) -> None:
    """A batch's answer commits without its own fsync, yet a SIGKILL right after it keeps
    it: the commit is in the WAL (or the server) before `ack_intent` returns."""
    _killed_after(
        journal_store,
        "mass_update",
        """
        i = j.record_intent("r1", "c", "batch:1", RequestSummary.of("POST", "/x", b"{}"))
        j.ack_intent(i, result={"succeeded": 1},
                     outcomes=[RecordOutcome("1", "success", "SUCCESS", "record updated")])
        """,
    )
    with journal_store.journal() as j:
        acked = j.latest_intent("r1", "c", "batch:1")
        assert acked is not None
        assert acked.state == "ACKED"
        assert [o.record_id for o in j.intent_outcomes(acked.id)] == ["1"]


def test_only_batch_answers_and_polls_skip_their_own_fsync(tmp_path: Path) -> None:
    """Intents, job ids and job records wait for the disk (synchronous=FULL); a batch's
    answer and a poll commit at NORMAL, which the next FULL commit's fsync covers, and the
    connection is back at FULL after each."""
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        run = started(journal)
        assert isinstance(journal.db, SqliteDb)
        sql: list[str] = []
        journal.db.conn.set_trace_callback(sql.append)

        def lazy(write: Callable[[], object]) -> bool:
            sql.clear()
            write()
            return "PRAGMA synchronous=NORMAL" in sql

        batch = journal.record_intent(run, "deals", "batch:1", REQ)
        schedule = journal.record_intent(run, "deals", "schedule", REQ)
        assert "PRAGMA synchronous=NORMAL" not in sql
        assert lazy(lambda: journal.ack_intent(batch, result={"succeeded": 0}))
        assert not lazy(lambda: journal.ack_intent(schedule, zoho_job_id="554023000000600001"))
        assert lazy(lambda: journal.record_poll(schedule, status="IN PROGRESS"))
        assert not lazy(lambda: journal.update_job(run, "deals", status="COMPLETED"))
        assert journal.pragma("synchronous") == 2  # FULL again


def test_an_async_intent_is_on_disk_before_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`record_intent_async` commits at NORMAL, then fsyncs the WAL file in a worker
    thread before it returns: the intent is as durable as `record_intent`'s."""
    from runner.execute import journal_db

    synced: list[tuple[int, str]] = []  # (inode, thread) of each fsync
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((os.fstat(fd).st_ino, threading.current_thread().name))
        real_fsync(fd)

    monkeypatch.setattr(journal_db.os, "fsync", fsync)
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        run = started(journal)
        assert isinstance(journal.db, SqliteDb)
        sql: list[str] = []
        journal.db.conn.set_trace_callback(sql.append)
        intent = asyncio.run(journal.record_intent_async(run, "deals", "batch:1", REQ))
        assert "PRAGMA synchronous=NORMAL" in sql
        wal = Path(f"{journal.path}-wal")
        assert [inode for inode, _ in synced] == [wal.stat().st_ino]
        assert synced[0][1] != threading.current_thread().name
        pending = journal.get_intent(intent)
        assert pending is not None
        assert pending.state == "PENDING"
        assert journal.pragma("synchronous") == 2


def test_an_async_intent_survives_a_killed_process(journal_store: StateStore) -> None:
    """An intent `record_intent_async` returned is seen PENDING after a SIGKILL (SQLite:
    flushed by its own fsync; PostgreSQL: committed durably as `record_intent` does)."""
    _killed_after(
        journal_store,
        "mass_update",
        """
        asyncio.run(j.record_intent_async("r1", "c", "batch:1",
                                          RequestSummary.of("POST", "/x", b"{}")))
        """,
    )
    with journal_store.journal() as j:
        pending = j.latest_intent("r1", "c", "batch:1")
        assert pending is not None
        assert pending.state == "PENDING"


def test_without_wal_every_commit_waits_for_the_disk(tmp_path: Path) -> None:
    """Where SQLite stays in its rollback journal (a file system without WAL's shared
    memory), no commit is made at NORMAL and an intent is committed durably in place:
    there is no WAL file to fsync from a thread."""
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        run = started(journal)
        assert isinstance(journal.db, SqliteDb)
        journal.db.conn.execute("PRAGMA journal_mode=DELETE")
        journal.db.settle_modes()
        assert not journal.db.wal
        sql: list[str] = []
        journal.db.conn.set_trace_callback(sql.append)
        intent = asyncio.run(journal.record_intent_async(run, "deals", "batch:1", REQ))
        journal.ack_intent(intent, result={"succeeded": 0})
        journal.record_poll(intent, status="IN PROGRESS")
        assert "PRAGMA synchronous=NORMAL" not in sql
        acked = journal.get_intent(intent)
        assert acked is not None
        assert acked.state == "ACKED"
        assert not Path(f"{journal.path}-wal").exists()


def test_a_failed_lazy_commit_leaves_the_connection_at_full(tmp_path: Path) -> None:
    """An answer for an intent that does not exist is refused and rolled back; the
    connection's next commits still wait for the disk."""
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        started(journal)
        with pytest.raises(ValueError, match="no such intent"):
            journal.ack_intent(999, result={})
        assert journal.pragma("synchronous") == 2


def test_intent_lifecycle_per_step(journal: Journal) -> None:
    """PENDING → ACKED with a job id; each step's latest attempt says which it is."""
    run = started(journal)
    a = journal.record_intent(run, "deals", "schedule", REQ)
    b = journal.record_intent(run, "deals", "batch:1", REQ)
    assert [i.state for i in journal.intents(run, "deals")] == ["PENDING", "PENDING"]
    journal.ack_intent(a, zoho_job_id="554023000000600001")
    acked = journal.latest_intent(run, "deals", "schedule")
    assert acked is not None
    assert (acked.id, acked.state, acked.zoho_job_id) == (a, "ACKED", "554023000000600001")
    assert journal.get_intent(b) == journal.latest_intent(run, "deals", "batch:1")
    assert journal.latest_intent(run, "deals", "batch:2") is None
    assert journal.latest_intent(run, "other", "schedule") is None


def test_refused_and_unknown_then_a_retry_is_a_new_attempt(journal: Journal) -> None:
    """REFUSED/UNKNOWN keep their reason; writing the step again makes attempt 2."""
    run = started(journal)
    a = journal.record_intent(run, "deals", "batch:1", REQ)
    journal.refuse_intent(a, code="INVALID_DATA", message="bad field")
    b = journal.record_intent(run, "deals", "batch:2", REQ)
    journal.mark_unknown(b, reason="connection dropped after sending")
    again = journal.record_intent(run, "deals", "batch:1", REQ)
    got = {i.id: i for i in journal.intents(run, "deals")}
    assert (got[a].state, got[a].error_code, got[a].error_message) == (
        "REFUSED",
        "INVALID_DATA",
        "bad field",
    )
    assert (got[b].state, got[b].error_message) == ("UNKNOWN", "connection dropped after sending")
    assert (got[again].attempt, got[a].attempt) == (2, 1)
    assert journal.latest_intent(run, "deals", "batch:1") == got[again]
    assert got[again].state == "PENDING"


def test_illegal_transitions_are_refused(journal: Journal) -> None:
    """An acknowledged intent cannot be acknowledged or lost again; a late answer may land."""
    run = started(journal)
    a = journal.record_intent(run, "deals", "schedule", REQ)
    journal.ack_intent(a, zoho_job_id="1")
    with pytest.raises(ValueError, match="it is ACKED"):
        journal.ack_intent(a, zoho_job_id="2")
    with pytest.raises(ValueError, match="it is ACKED"):
        journal.mark_unknown(a, reason="x")
    with pytest.raises(ValueError, match="no such intent"):
        journal.refuse_intent(999, code="X", message="y")
    b = journal.record_intent(run, "deals", "schedule", REQ)
    journal.mark_unknown(b, reason="lost")
    journal.ack_intent(b, zoho_job_id="3")  # the answer turned up after all
    late = journal.latest_intent(run, "deals", "schedule")
    assert late is not None
    assert (late.id, late.state, late.zoho_job_id) == (b, "ACKED", "3")


def test_batch_outcomes_and_result_round_trip(journal: Journal) -> None:
    """Per-record outcomes come back in batch order with their codes; results as stored."""
    run = started(journal)
    one = journal.record_intent(run, "deals", "batch:1", REQ)
    two = journal.record_intent(run, "deals", "batch:2", REQ)
    journal.ack_intent(two, outcomes=[RecordOutcome("3", "success", "SUCCESS")])
    journal.ack_intent(
        one,
        result={"http_status": 207},
        outcomes=[
            RecordOutcome("1", "success", "SUCCESS", "updated"),
            RecordOutcome("2", "error", "RECORD_LOCKED", "locked", {"id": "2"}),
        ],
    )
    got = journal.job_outcomes(run, "deals")
    assert [(o.record_id, o.code) for o in got] == [
        ("1", "SUCCESS"),
        ("2", "RECORD_LOCKED"),
        ("3", "SUCCESS"),
    ]
    assert got[1] == RecordOutcome("2", "error", "RECORD_LOCKED", "locked", {"id": "2"})
    assert [o.record_id for o in journal.intent_outcomes(one)] == ["1", "2"]
    assert journal.intent_outcomes(two) == [RecordOutcome("3", "success", "SUCCESS")]
    assert journal.intent_outcomes(999) == []
    assert journal.intent_result(one) == {"http_status": 207}
    assert journal.intent_result(999) is None


def test_success_details_are_not_journaled(journal: Journal) -> None:
    """A success keeps code and message but not Zoho's details; a failure keeps them all."""
    run = started(journal)
    one = journal.record_intent(run, "deals", "batch:1", REQ)
    modified = {"id": "1", "Modified_Time": "2026-01-01T00:00:00+00:00"}
    journal.ack_intent(
        one,
        outcomes=[
            RecordOutcome("1", "success", "SUCCESS", "record updated", modified),
            RecordOutcome("2", "error", "RECORD_LOCKED", "locked", {"id": "2"}),
        ],
    )
    got = journal.intent_outcomes(one)
    assert got[0] == RecordOutcome("1", "success", "SUCCESS", "record updated", {})
    assert got[1].details == {"id": "2"}


def test_polls_are_recorded_and_counted(journal: Journal) -> None:
    """Each poll is kept with its time, status and counts; poll_count counts a job's polls."""
    run = started(journal)
    clock = journal.clock
    assert isinstance(clock, ManualClock)
    a = journal.record_intent(run, "deals", "schedule", REQ)
    journal.ack_intent(a, zoho_job_id="9")
    journal.record_poll(a, status="RUNNING", counts={"total": 10})
    clock.advance(2)
    journal.record_poll(a, status="COMPLETED", counts={"total": 10, "updated": 10})
    rows = journal.db.execute(
        "SELECT at, status, counts FROM polls WHERE intent_id = ? ORDER BY id", (a,)
    ).fetchall()
    assert [(at - rows[0][0], status) for at, status, _ in rows] == [
        (0, "RUNNING"),
        (2, "COMPLETED"),
    ]
    assert rows[1][2] == '{"total":10,"updated":10}'
    assert journal.poll_count(run, "deals") == 2
    assert journal.poll_count(run, "other") == 0


def test_runs_listing_finish_and_reopen(journal: Journal) -> None:
    """Runs list newest first; finished ones are not resumable until reopened."""
    clock = journal.clock
    assert isinstance(clock, ManualClock)
    started(journal, "r1")
    clock.advance(10)
    started(journal, "r2")
    journal.finish_run("r2", status="COMPLETED", exit_code=0)
    assert [r.run_id for r in journal.list_runs()] == ["r2", "r1"]
    assert [r.run_id for r in journal.list_runs(limit=1)] == ["r2"]
    unfinished = journal.latest_unfinished_run()
    assert unfinished is not None
    assert unfinished.run_id == "r1"
    journal.finish_run("r1", status="DEADLINE", exit_code=4)
    r1 = journal.get_run("r1")
    assert r1 is not None
    assert (r1.status, r1.exit_code, r1.ended_at) == ("DEADLINE", 4, clock.now())
    assert r1.target == {"kind": "sim", "api_domain": SIM.api_domain, "org_id": "org1", "dc": "us"}
    assert r1.manifests == ({"path": "jobs.yaml", "sha256": "ab" * 32},)
    journal.reopen_run("r2")
    reopened = journal.get_run("r2")
    assert reopened is not None
    assert (reopened.status, reopened.ended_at) == ("RUNNING", None)
    assert journal.get_run("nope") is None
    with pytest.raises(KeyError):
        journal.finish_run("nope", status="FAILED", exit_code=1)


def test_apply_once_history_is_per_org_and_ledger_only(journal: Journal) -> None:
    """Only a ledger entry (APPLIED or UNKNOWN) of the same fingerprint on the same org
    counts; a job row without one (nothing reached Zoho) does not."""
    started(journal, "r1")
    journal.update_job("r1", "deals", status="PARTIAL", counts={"failed": 1})
    assert [j.ledger for j in journal.job_history("org1", "f1")] == [None]
    started(journal, "r2")
    journal.update_job("r2", "deals", status="COMPLETED", zoho_job_ids=["77"], ended_at=5.0,
                       ledger="APPLIED")  # fmt: skip
    started(journal, "r3", RunTarget("zoho", "https://www.zohoapis.eu", "org2", "eu"))
    journal.update_job("r3", "deals", status="COMPLETED", ledger="APPLIED")
    history = journal.job_history("org1", "f1")
    assert [(j.run_id, j.ledger) for j in history] == [("r2", "APPLIED"), ("r1", None)]
    assert (history[0].zoho_job_ids, history[0].ended_at) == (("77",), 5.0)
    assert journal.job_history("org1", "other-fingerprint") == []
    assert journal.job_history("org3", "f1") == []
    [row] = journal.jobs("r1")
    assert (row.status, row.counts, row.kind) == ("PARTIAL", {"failed": 1}, "mass_update")


def test_request_summary_has_no_place_for_headers_or_bodies() -> None:
    """A summary is method, path, body hash and ids count; a raw body is refused."""
    assert [f.name for f in fields(RequestSummary)] == [
        "method",
        "path",
        "body_sha256",
        "ids_count",
    ]
    assert REQ.body_sha256 is not None
    assert len(REQ.body_sha256) == 64


def test_journal_refuses_content_where_a_hash_belongs(journal: Journal) -> None:
    """A token passed as the body hash is refused before anything is written."""
    run = started(journal)
    with pytest.raises(ValueError, match="sha256"):
        journal.record_intent(run, "deals", "x", RequestSummary("POST", "/x", TOKEN))
    assert journal.intents(run) == []


def test_no_token_ever_reaches_the_file(tmp_path: Path) -> None:
    """A token planted in every free-form input is absent from state.db and its WAL."""
    with Journal(tmp_path) as j:
        j.add_secret("s3cr3t-refresh-value")
        j.start_run("r1", target=SIM, options={"access_token": TOKEN, "note": "ok"})
        j.record_job("r1", "a", kind="bulk_read", module="Leads", fingerprint="f", status="RUNNING")
        path = f"/crm/bulk/v8/read?access_token={TOKEN}&page=2"
        i = j.record_intent("r1", "a", "page:2", RequestSummary("POST", path))
        j.ack_intent(
            i,
            zoho_job_id="5",
            result={
                "Authorization": f"Zoho-oauthtoken {TOKEN}",
                "echo": f"header was Zoho-oauthtoken {TOKEN}",
                "nested": [{"refresh_token": "s3cr3t-refresh-value"}, "s3cr3t-refresh-value"],
                "page_token": "keep-me",
            },
        )
        k = j.record_intent("r1", "a", "page:3", RequestSummary("POST", "/crm/bulk/v8/read"))
        j.refuse_intent(k, code="INVALID_TOKEN", message=f"token {TOKEN} expired")
        stored = j.intent_result(i)
        assert stored is not None
        assert stored["page_token"] == "keep-me"
        assert "access_token=[redacted]&page=2" in j.intents("r1")[0].request.path
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
        assert b"keep-me" in raw
    raw += (tmp_path / "state.db").read_bytes()  # after the checkpoint at close
    for secret in (TOKEN, TOKEN.split(".")[1], "s3cr3t-refresh-value"):
        assert secret.encode() not in raw


def test_reader_sees_an_open_writer(journal_store: StateStore) -> None:
    """A second connection (zcrm-runner runs, plan) reads while the apply holds the journal
    (SQLite's WAL, PostgreSQL's MVCC)."""
    assert journal_store.read_only() is None  # nothing written yet
    with journal_store.journal() as writer:
        started(writer)
        writer.record_intent("r1", "deals", "batch:1", REQ)
        reader = journal_store.read_only()
        assert reader is not None
        try:
            assert [r.run_id for r in reader.list_runs()] == ["r1"]
            assert [i.state for i in reader.intents("r1")] == ["PENDING"]
        finally:
            reader.close()


def _old_state_file(folder: Path, version: int) -> sqlite3.Connection:
    """A state file as journal schema `version` wrote it (its migrations, then its number)."""
    folder.mkdir(exist_ok=True)
    conn = sqlite3.connect(folder / "state.db")
    for step in MIGRATIONS[:version]:
        for statement in step:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO runs (run_id, started_at, status, org_id, target, manifests, options)"
        " VALUES ('old', 1.0, 'COMPLETED', 'org1', '{}', '[]', '{}')"
    )
    conn.commit()
    return conn


def test_a_v1_state_file_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    """A state file written by schema v1 gains every later column and loses nothing."""
    _old_state_file(tmp_path, 1).close()
    with Journal(tmp_path) as journal:
        assert journal.pragma("user_version") == SCHEMA_VERSION == 4
        assert journal.get_run("old") is not None
        journal.record_job("old", "j", kind="mass_update", module="Leads", fingerprint="f",
                           status="FAILED")  # fmt: skip
        journal.update_job("old", "j", errors=[JobError("NO_PERMISSION", "permission denied")])
        (row,) = journal.jobs("old")
    assert row.errors == (JobError("NO_PERMISSION", "permission denied"),)


def test_job_errors_come_back_whole_and_typed(journal: Journal) -> None:
    """A job's errors keep code, message and details (scrubbed) through the file."""
    run = started(journal)
    error = JobError("ALREADY_SCHEDULED", "a job already runs", {"job_id": "9", "at": [1, 2]})
    leaky = JobError("INVALID_TOKEN", "refused", {"access_token": TOKEN})
    journal.update_job(run, "deals", status="FAILED", errors=[error, leaky])
    (row,) = journal.jobs(run)
    assert row.errors == (error, JobError("INVALID_TOKEN", "refused", {"access_token": REDACTED}))
    assert all(isinstance(e, JobError) for e in row.errors)


def test_a_v3_state_file_keeps_its_error_pairs_readable(tmp_path: Path) -> None:
    """v3's `[code, message]` errors read as JobErrors, read-only (plan) and after the
    migration to v4, which writes new errors whole."""
    conn = _old_state_file(tmp_path, 3)
    conn.execute(
        "INSERT INTO jobs (run_id, name, kind, module, fingerprint, status, errors, ledger)"
        " VALUES ('old', 'j', 'mass_update', 'Deals', 'f', 'FAILED',"
        " '[[\"NO_PERMISSION\",\"permission denied\"]]', 'APPLIED')"
    )
    conn.commit()
    conn.close()
    old = (JobError("NO_PERMISSION", "permission denied"),)
    reader = JournalReader.open_read_only(tmp_path / "state.db")
    assert reader is not None
    try:
        assert reader.pragma("user_version") == 3
        [(row, run)] = reader.ledger_entries("f")
        assert (row.errors, run.run_id) == (old, "old")
    finally:
        reader.close()
    with Journal(tmp_path) as journal:
        assert journal.pragma("user_version") == 4
        assert journal.jobs("old")[0].errors == old
        new = JobError("LIMIT_EXCEEDED", "too many", {"max_limit": 50000})
        journal.update_job("old", "j", errors=[*old, new])
        assert journal.jobs("old")[0].errors == (*old, new)


def test_read_only_open_skips_old_files_and_refuses_newer_ones(tmp_path: Path) -> None:
    """`plan` reads no journal older than the ledger (v3) and none a newer runner wrote."""
    path = tmp_path / "state.db"
    _old_state_file(tmp_path, 2).close()
    assert JournalReader.open_read_only(path) is None
    with Journal(tmp_path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RunnerError, match="upgrade zcrm-runner"):
        JournalReader.open_read_only(path)
