"""What only the PostgreSQL journal has to get right: its own schema, a setup shared by
processes starting at once, full-precision times, errors without the password, and no
secret in any table. (Everything else is test_journal.py, run against both backends.)"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from runner.errors import StateError
from runner.execute.journal import Journal, RequestSummary
from runner.execute.journal_pg import PostgresDb
from runner.execute.journal_schema import SCHEMA_VERSION
from runner.execute.state_store import StateStore
from runner.execute.state_url import url_secrets
from runner.results import RunTarget
from tests.postgres import with_schema
from tests.unit.test_journal import SIM, TOKEN, started

pytestmark = pytest.mark.postgres

TABLES = ("runs", "jobs", "intents", "results", "polls", "lock_holders")


def test_the_journal_lives_in_the_urls_schema_and_the_dir_keeps_no_file(
    tmp_path: Path, postgres_url: str
) -> None:
    """Tables go to the search_path's schema; the state dir gets no state.db."""
    store = StateStore(tmp_path / ".zcrm", postgres_url)
    assert not store.exists()
    assert store.read_only() is None
    with store.journal() as j:
        assert j.schema_version() == SCHEMA_VERSION
        assert isinstance(j.db, PostgresDb)
        schema = j.db.schema
        started(j)
    assert store.exists()
    assert not (tmp_path / ".zcrm" / "state.db").exists()
    with psycopg.connect(postgres_url) as conn:
        found = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    assert {name for (name,) in found} == {*TABLES, "schema_version"}


def test_processes_setting_up_a_new_store_at_once_migrate_it_once(
    tmp_path: Path, postgres_url: str
) -> None:
    """Four journals opened together on an empty schema: one sets it up, all can write."""
    errors: list[BaseException] = []
    gate = threading.Barrier(4)

    def open_one(n: int) -> None:
        try:
            gate.wait()
            with Journal(tmp_path / str(n), url=postgres_url) as j:
                started(j, f"r{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with Journal(tmp_path / "x", url=postgres_url) as j:
        assert sorted(r.run_id for r in j.list_runs()) == ["r0", "r1", "r2", "r3"]


def test_times_keep_their_full_precision(tmp_path: Path, postgres_url: str) -> None:
    """A time goes through DOUBLE PRECISION unchanged (PostgreSQL's REAL would round it)."""
    with Journal(tmp_path, url=postgres_url) as j:
        started(j)
        j.update_job("r1", "deals", started_at=1767225600.123456, ended_at=1767225611.654321)
        (row,) = j.jobs("r1")
    assert (row.started_at, row.ended_at) == (1767225600.123456, 1767225611.654321)


def test_a_wrong_password_is_a_clear_error_without_it(tmp_path: Path, postgres_url: str) -> None:
    """A refused login is a StateError naming the store, masked; the password is nowhere."""
    secret = "not-the-password-0123"
    user_info, _, rest = postgres_url.partition("@")
    wrong = f"{user_info.rsplit(':', 1)[0]}:{secret}@{rest}"
    with pytest.raises(StateError) as caught:
        Journal(tmp_path, url=wrong)
    message = str(caught.value)
    assert message.startswith("cannot open the journal at postgresql://")
    assert ":***@" in message
    assert "password authentication failed" in message
    assert secret not in message
    assert all(s not in message for s in url_secrets(postgres_url))


def test_a_search_path_without_a_schema_is_refused(tmp_path: Path, postgres_url: str) -> None:
    """A search_path naming no existing schema is a clear error, not a failed CREATE."""
    missing = with_schema(postgres_url, "no_such_schema_here")
    with pytest.raises(StateError, match="no schema of its search_path exists"):
        Journal(tmp_path, url=missing)


def test_tables_of_another_program_are_not_taken_for_a_journal(
    tmp_path: Path, postgres_url: str
) -> None:
    """A schema holding someone else's `runs` table: setting up is refused, with the way out."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE runs (id int)")
    with pytest.raises(StateError, match=r"cannot set up the journal .*of its own"):
        Journal(tmp_path, url=postgres_url)


def test_no_token_reaches_any_table(tmp_path: Path, postgres_url: str) -> None:
    """A token planted in every free-form input is absent from every row of every table."""
    with Journal(tmp_path, url=postgres_url) as j:
        j.add_secret("s3cr3t-refresh-value")
        j.start_run("r1", target=SIM, options={"access_token": TOKEN, "note": "keep-me"})
        j.record_job("r1", "a", kind="bulk_read", module="Leads", fingerprint="f", status="RUNNING")
        path = f"/crm/bulk/v8/read?access_token={TOKEN}"
        i = j.record_intent("r1", "a", "page:1", RequestSummary("POST", path))
        j.ack_intent(i, result={"echo": f"Zoho-oauthtoken {TOKEN}", "r": "s3cr3t-refresh-value"})
        k = j.record_intent("r1", "a", "page:2", RequestSummary("POST", "/x"))
        j.refuse_intent(k, code="INVALID_TOKEN", message=f"token {TOKEN} expired")
        j.record_poll(i, status="COMPLETED", counts={"total": 1})
        j.start_run("r2", target=RunTarget("zoho", "https://www.zohoapis.eu", "org2", "eu"))
    with psycopg.connect(postgres_url) as conn:
        stored = "\n".join(
            str(row) for table in TABLES for row in conn.execute(f"SELECT * FROM {table}")
        )
    assert "keep-me" in stored
    for secret in (TOKEN, TOKEN.split(".")[1], "s3cr3t-refresh-value"):
        assert secret not in stored
