"""One apply at a time per org, with the journal in PostgreSQL: a session-level advisory lock.

As Terraform's `pg` backend does it: `pg_try_advisory_lock` on the journal's own
connection, keyed by the database schema and the org id. PostgreSQL releases it when that
connection ends, however it ends (exit, `kill -9`, a lost network), so no force-unlock is
ever needed; and since it is the connection every journal write goes through, no apply can
keep writing after it lost its lock. The key is taken once the org is known (the org's id
comes from Zoho), so two applies to different orgs run side by side.

Who holds it is a row of `lock_holders` (host, pid, user, run id, since, and the server
process of its connection): a refused apply names the holder, as the file lock does
(lock.py). The row is trusted only if its server process is the one `pg_locks` shows
holding the lock: a holder that died leaves its row behind, and a new holder writes its
row a moment after taking the lock, so a refusal waits up to `NAMING_WAIT` for the row
that matches. The next holder replaces a dead one's row and reports it as `recovered`.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import time
from types import TracebackType

from runner.errors import StateError, StateLockedError
from runner.execute.journal_pg import PostgresDb, advisory_key
from runner.execute.lock import LockOwner

_HOLDER = (
    "SELECT pid, host, username, run_id, since, backend_pid FROM lock_holders WHERE org_id = ?"
)
# The server process holding a bigint advisory lock: pg_locks splits the key in two oids.
_LOCKED_BY = (
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND classid::bigint = ? AND objid::bigint = ?"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment or the passwd file
        return "unknown"


class OrgLock:
    """Exclusive lock on one org in a PostgreSQL journal; a context manager, or
    acquire()/release(), as `StateLock`."""

    #: Seconds a refusal waits for the holder's row (written just after its lock).
    NAMING_WAIT = 2.0

    def __init__(self, db: PostgresDb, org_id: str, *, run_id: str | None = None) -> None:
        self.db = db
        self.org_id = org_id
        self.run_id = run_id
        self.recovered: LockOwner | None = None
        self.owner: LockOwner | None = None
        self._key = advisory_key(db.schema, "org", org_id)

    def acquire(self) -> OrgLock:
        """Take the lock or raise StateLockedError naming the live holder."""
        if self.owner is not None:
            raise RuntimeError("lock already held by this object")
        deadline = time.monotonic() + self.NAMING_WAIT
        while not self._try_lock():
            holder_pid = self._locked_by()
            row = self._holder()
            if holder_pid is not None and row is not None and row[1] == holder_pid:
                raise self._refusal(row[0])
            if time.monotonic() > deadline:
                raise self._refusal(None)
            time.sleep(0.02)  # the holder is writing its row, or just let go: look again
        try:
            row = self._holder()
            self.recovered = None if row is None else row[0]
            owner = LockOwner(os.getpid(), socket.gethostname(), self.run_id, time.time(), _user())
            self._write(owner)
        except BaseException:
            self._unlock()
            raise
        self.owner = owner
        return self

    def set_run_id(self, run_id: str) -> None:
        """Record the run id once it is known (the lock is taken before the run starts)."""
        if self.owner is None:
            raise RuntimeError("lock not held")
        self.run_id = run_id
        o = self.owner
        self.owner = LockOwner(o.pid, o.host, run_id, o.started_at, o.user)
        self._write(self.owner)

    def release(self) -> None:
        """Remove the holder's row and drop the lock; a connection already lost dropped it."""
        if self.owner is None:
            return
        self.owner = None
        try:
            with self.db.tx():
                self.db.execute("DELETE FROM lock_holders WHERE org_id = ?", (self.org_id,))
        except StateError:
            return
        self._unlock()

    @property
    def held(self) -> bool:
        return self.owner is not None

    def _unlock(self) -> None:
        with contextlib.suppress(StateError):  # the connection is gone, and its locks with it
            self.db.execute("SELECT pg_advisory_unlock(?)", (self._key,))

    def _try_lock(self) -> bool:
        (got,) = self.db.execute("SELECT pg_try_advisory_lock(?)", (self._key,)).fetchone()
        return bool(got)

    def _locked_by(self) -> int | None:
        """The server process whose connection holds the lock, if any does."""
        unsigned = self._key & 0xFFFF_FFFF_FFFF_FFFF
        row = self.db.execute(_LOCKED_BY, (unsigned >> 32, unsigned & 0xFFFF_FFFF)).fetchone()
        return None if row is None else int(row[0])

    def _holder(self) -> tuple[LockOwner, int] | None:
        """The holder's row: who, and the server process of its connection."""
        row = self.db.execute(_HOLDER, (self.org_id,)).fetchone()
        if row is None:
            return None
        pid, host, user, run_id, since, backend_pid = row
        return LockOwner(int(pid), str(host), run_id, float(since), str(user)), int(backend_pid)

    def _refusal(self, holder: LockOwner | None) -> StateLockedError:
        who = holder.describe() if holder else "another process (owner not written yet)"
        return StateLockedError(
            f"org {self.org_id} is in use by {who}, says the journal at {self.db.where}; "
            "wait for it to finish (a second apply beside it could send the same jobs twice)"
        )

    def _write(self, owner: LockOwner) -> None:
        with self.db.tx():
            self.db.execute(
                "INSERT INTO lock_holders (org_id, pid, host, username, run_id, since,"
                " backend_pid) VALUES (?, ?, ?, ?, ?, ?, pg_backend_pid())"
                " ON CONFLICT (org_id) DO UPDATE SET pid = excluded.pid, host = excluded.host,"
                " username = excluded.username, run_id = excluded.run_id,"
                " since = excluded.since, backend_pid = excluded.backend_pid",
                (self.org_id, owner.pid, owner.host, owner.user, owner.run_id, owner.started_at),
            )

    def __enter__(self) -> OrgLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
