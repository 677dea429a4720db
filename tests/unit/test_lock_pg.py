"""The org lock of a PostgreSQL journal: one apply per org, the holder named from its row,
a dead holder's lock gone with its connection (no force-unlock), other orgs unaffected."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.errors import StateLockedError
from runner.execute.journal import Journal
from runner.execute.journal_pg import PostgresDb
from runner.execute.lock_pg import OrgLock
from runner.execute.state_url import url_secrets
from tests.postgres import fresh_schema

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]  # the checkout, so `runner` imports


@pytest.fixture
def journals(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Journal, Journal]]:
    """Two journals on one PostgreSQL store, as two processes (or two people) have them."""
    with (
        Journal(tmp_path / "a", url=postgres_url) as a,
        Journal(tmp_path / "b", url=postgres_url) as b,
    ):
        yield a, b


def pg(journal: Journal) -> PostgresDb:
    assert isinstance(journal.db, PostgresDb)
    return journal.db


def acquire_soon(lock: OrgLock, within: float = 10.0) -> OrgLock:
    """Acquire, retrying while the server has not yet ended the holder's closed
    connection (it does so on its own, within milliseconds)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return lock.acquire()
        except StateLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_a_second_apply_on_the_org_is_refused_naming_the_holder(
    journals: tuple[Journal, Journal], postgres_url: str
) -> None:
    """While one connection holds the org, another is refused with host, pid, user, run id
    and since; the message shows the store without its password."""
    a, b = journals
    with OrgLock(pg(a), "org1", run_id="run-a") as first:
        assert first.held
        assert first.recovered is None
        with pytest.raises(StateLockedError) as caught:
            OrgLock(pg(b), "org1").acquire()
    message = str(caught.value)
    user = getpass.getuser()
    assert f"org org1 is in use by pid {os.getpid()} of user {user} on " in message
    assert "(run run-a, since 20" in message
    assert f"says the journal at {pg(b).where}; wait for it to finish" in message
    assert all(secret not in message for secret in url_secrets(postgres_url))
    assert not first.held
    with OrgLock(pg(b), "org1") as after:  # released: the next one gets it, nothing to recover
        assert after.recovered is None


def test_other_orgs_and_other_journals_are_not_blocked(
    journals: tuple[Journal, Journal], postgres_server: str, tmp_path: Path
) -> None:
    """The lock is per org and per journal (schema): applies elsewhere run side by side."""
    a, b = journals
    with (
        fresh_schema(postgres_server) as other_url,
        Journal(tmp_path / "c", url=other_url) as c,
        OrgLock(pg(a), "org1"),
        OrgLock(pg(b), "org2"),
        OrgLock(pg(c), "org1") as third,
    ):
        assert third.held


def test_the_run_id_shows_up_once_known(journals: tuple[Journal, Journal]) -> None:
    """The lock is taken before the run id exists; `set_run_id` tells contenders."""
    a, b = journals
    with OrgLock(pg(a), "org1") as lock:
        with pytest.raises(StateLockedError, match="no run id yet"):
            OrgLock(pg(b), "org1").acquire()
        lock.set_run_id("20260101-abc")
        with pytest.raises(StateLockedError, match="run 20260101-abc"):
            OrgLock(pg(b), "org1").acquire()


def test_a_killed_holder_frees_the_org_and_is_named_as_recovered(
    tmp_path: Path, postgres_url: str
) -> None:
    """kill -9 of the holder: PostgreSQL drops its connection and the lock with it, so the
    next apply takes the org without any force-unlock, and learns who held it."""
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from runner.execute.journal import Journal
        from runner.execute.lock_pg import OrgLock
        journal = Journal(Path({str(tmp_path / "doomed")!r}), url={postgres_url!r})
        OrgLock(journal.db, "org1", run_id="doomed").acquire()
        print("locked", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    with Journal(tmp_path / "next", url=postgres_url) as journal:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "locked"
            with pytest.raises(StateLockedError, match=rf"pid {child.pid} .*run doomed"):
                OrgLock(pg(journal), "org1").acquire()
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            if child.stdout is not None:
                child.stdout.close()
        lock = acquire_soon(OrgLock(pg(journal), "org1", run_id="next"))
        try:
            assert lock.recovered is not None
            assert (lock.recovered.pid, lock.recovered.run_id) == (child.pid, "doomed")
        finally:
            lock.release()


def test_closing_the_journal_releases_the_org(journals: tuple[Journal, Journal]) -> None:
    """The lock lives on the journal's connection: closing it (a crash does too) frees the org."""
    a, b = journals
    OrgLock(pg(a), "org1").acquire()
    a.close()
    lock = acquire_soon(OrgLock(pg(b), "org1"))
    try:
        assert lock.recovered is not None  # the row of a holder that never released
    finally:
        lock.release()


def test_a_stale_row_is_never_named_as_the_holder(
    journals: tuple[Journal, Journal], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row of a holder that died is not the live holder: while the connection holding
    the lock has written no row yet, a refusal waits (bounded) and then says so."""
    a, b = journals
    with OrgLock(pg(b), "org1", run_id="dead"):
        pass
    pg(a).execute("INSERT INTO lock_holders SELECT 'org1', 1, 'gone', 'x', 'dead', 0.0, 1")
    pg(a).execute("SELECT pg_advisory_lock(?)", (OrgLock(pg(a), "org1")._key,))  # no row yet
    monkeypatch.setattr(OrgLock, "NAMING_WAIT", 0.1)
    with pytest.raises(StateLockedError) as caught:
        OrgLock(pg(b), "org1").acquire()
    assert "in use by another process (owner not written yet)" in str(caught.value)


def test_acquiring_twice_on_one_object_is_a_bug(journals: tuple[Journal, Journal]) -> None:
    """Re-acquiring a held lock object raises instead of stacking a second advisory lock."""
    a, _ = journals
    with OrgLock(pg(a), "org1") as lock, pytest.raises(RuntimeError, match="already held"):
        lock.acquire()
