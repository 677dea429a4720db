"""The journal's database seam: one connection and its SQL dialect, SQLite or PostgreSQL.

The journal (journal.py, journal_read.py) writes its SQL once, in SQLite's dialect, and
talks to a `JournalDb`; each backend makes that SQL work on its engine:

  SqliteDb    <state_dir>/state.db; runs the SQL as written (the default, no server)
  PostgresDb  ZCRM_STATE_URL=postgresql://... (journal_pg.py): `?` → `%s`, `IS ?` → `IS
              NOT DISTINCT FROM %s`, `rowid` → an explicit `seq` column, REAL → DOUBLE
              PRECISION, AUTOINCREMENT → BIGSERIAL, BLOB → BYTEA, ids by RETURNING

What differs beyond the SQL also sits behind the seam: how an insert gives its new id,
how a write transaction starts (BEGIN IMMEDIATE: SQLite's write lock up front), and where
the schema version lives (`PRAGMA user_version`; a one-row table in PostgreSQL).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from runner.errors import StateError
from runner.execute.journal_schema import MIGRATIONS, SCHEMA_VERSION, too_new
from runner.execute.state_url import STATE_URL

T = TypeVar("T")


class Rows(Protocol):
    """What an executed statement gives back (sqlite3 and psycopg cursors both are)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class JournalDb(Protocol):
    """One open journal connection, with its dialect."""

    #: Where the journal is, for messages: a file path, or a URL without its password.
    where: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement written in SQLite's dialect (`?` placeholders)."""
        ...

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an `id` key and return the new row's id."""
        ...

    def tx(self, *, durable: bool = True) -> AbstractContextManager[JournalDb]:
        """One committed write transaction (rolled back on error).

        `durable=False`: the commit reaches the store (SQLite: its WAL, in the OS; a
        killed runner keeps it) without waiting for the disk, which the next durable
        commit does for it. Only for what a power cut may lose back to a state the
        protocol recovers from anyway: a batch's answer (its intent then reads as lost,
        and resume reads the records back), a poll."""
        ...

    async def write_durably(self, write: Callable[[JournalDb], T]) -> T:
        """`write` in one transaction, durable when this returns, holding the event loop
        as little as the store allows: SQLite in WAL mode commits at NORMAL and fsyncs
        the WAL in a worker thread meanwhile; a durable commit in place otherwise."""
        ...

    def schema_version(self) -> int:
        """The journal schema version the store holds (0: none yet)."""
        ...

    def set_schema_version(self, version: int) -> None:
        """Record the schema version, inside the migration's transaction."""
        ...

    def lock_schema(self) -> None:
        """Inside a transaction: keep other processes from migrating at the same time."""
        ...

    def migration(self, step: int) -> tuple[str, ...]:
        """The statements that move the schema from version `step` to `step + 1`."""
        ...

    def close(self) -> None: ...


FULL = 2  # PRAGMA synchronous=FULL, as the pragma reads back


class SqliteDb:
    """The state file in the state dir; SQL runs as the journal wrote it."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.where = str(path)
        self.synchronous = FULL  # what `_open_sqlite` set: 2 FULL, 1 NORMAL (PRAGMA values)
        self.wal = True  # in WAL mode (`settle_modes`): what the lazy paths below rely on
        self._wal: int | None = None  # our descriptor of the WAL file (`write_durably`)

    def settle_modes(self) -> None:
        """Read back the modes the pragmas gave. A file system without the shared memory WAL
        needs keeps SQLite in its rollback journal, where a commit at NORMAL may corrupt
        the file on a power cut and there is no WAL file to fsync: every commit then waits
        for the disk itself, as `durable=True` and `record_intent` do."""
        self.synchronous = int(self.pragma("synchronous"))
        self.wal = str(self.pragma("journal_mode")).lower() == "wal"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        return self.conn.execute(sql, params)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.conn.execute(sql, params)
        assert cur.lastrowid is not None
        return cur.lastrowid

    @contextmanager
    def tx(self, *, durable: bool = True) -> Iterator[SqliteDb]:
        """BEGIN IMMEDIATE takes the write lock up front (the connection has no implicit
        transactions: isolation_level=None). Not durable: this one commit at
        synchronous=NORMAL, which in WAL mode writes the WAL without an fsync; the next
        FULL commit's fsync covers it, as the WAL is synced whole and replayed in order."""
        lazy = not durable and self.wal and self.synchronous == FULL
        if lazy:
            self.conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        finally:
            if lazy:
                self.conn.execute("PRAGMA synchronous=FULL")

    async def write_durably(self, write: Callable[[JournalDb], T]) -> T:
        """In WAL mode at FULL: `write` committed at NORMAL, then the WAL file fsynced in
        a worker thread, the same fsync a FULL commit makes, while the event loop goes on
        with other answers. fsync acts on the file, not the descriptor, so a descriptor of
        our own covers what SQLite wrote; the WAL file is the same file for as long as
        this connection is open, and a checkpoint syncs what it moves out of it. A journal
        opened at NORMAL, or out of WAL mode, commits in place as `tx` does."""
        if not (self.wal and self.synchronous == FULL):
            with self.tx() as c:
                return write(c)
        with self.tx(durable=False) as c:
            value = write(c)
        if self._wal is None:
            self._wal = os.open(f"{self.path}-wal", os.O_RDWR)
        await asyncio.to_thread(os.fsync, self._wal)
        return value

    def schema_version(self) -> int:
        return int(self.pragma("user_version"))

    def set_schema_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def lock_schema(self) -> None:
        """BEGIN IMMEDIATE holds the file's write lock already."""

    def migration(self, step: int) -> tuple[str, ...]:
        return MIGRATIONS[step]

    def pragma(self, name: str) -> Any:
        """A PRAGMA's current value (journal_mode, synchronous, user_version)."""
        return self.conn.execute(f"PRAGMA {name}").fetchone()[0]

    def close(self) -> None:
        if self._wal is not None:
            os.close(self._wal)
            self._wal = None
        self.conn.close()


def migrate(db: JournalDb) -> int:
    """Bring the store to SCHEMA_VERSION, one transaction per step; returns the version.

    Each step reads the version again under the schema lock, so two processes opening a
    new store at once migrate it once."""
    error = too_new(db.schema_version())
    if error is not None:
        raise error
    for step in range(db.schema_version(), SCHEMA_VERSION):
        with db.tx():
            db.lock_schema()
            if db.schema_version() > step:  # another process took this step meanwhile
                continue
            for statement in db.migration(step):
                db.execute(statement)
            db.set_schema_version(step + 1)
    return SCHEMA_VERSION


def open_postgres(url: str, *, read_only: bool = False) -> JournalDb:
    """The PostgreSQL journal at `url`, migrated (or as it is, for reading only); psycopg
    is the optional extra `postgres`, imported here on first use."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise StateError(
            f"{STATE_URL} names a PostgreSQL journal, which needs psycopg: "
            f"pip install 'zcrm-runner[postgres]' ({exc})"
        ) from exc
    from runner.execute import journal_pg

    return journal_pg.connect(url, read_only=True) if read_only else journal_pg.open_journal(url)
