"""The journal in PostgreSQL (`ZCRM_STATE_URL=postgresql://...`): a `JournalDb` on psycopg 3.

For teams: one database holds the runs, intents and apply-once ledger of everyone who
applies to the same orgs, and each org is locked by a session-level advisory lock
(lock_pg.py). The tables are the SQLite journal's, from the same `MIGRATIONS`, translated
here (`ddl`, `dialect`), plus what only PostgreSQL needs (`_PG_V1`): a `seq` column where
SQLite orders by `rowid`, the schema version, and the table of lock holders. They live in
the first schema of the URL's search_path (`?options=-csearch_path%3Dzcrm` for another
than `public`).

The connection is in autocommit mode, as SQLite's (isolation_level=None): a read is one
statement, a write is `tx()`. psycopg's errors are translated here, once: failing to
connect or to set the schema up is a `StateError` naming the store (the URL without its
password); so is a connection lost later, since no journal write can be trusted after it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import conninfo

from runner.errors import StateError
from runner.execute.journal_db import JournalDb, Rows, T, migrate
from runner.execute.journal_schema import MIGRATIONS
from runner.execute.state_url import mask_url, scrub_url_secrets

CONNECT_TIMEOUT = 10  # seconds; libpq waits forever by default
# PostgreSQL-only statements of v1: the insertion order SQLite keeps in `rowid`, the
# schema version (SQLite's `PRAGMA user_version`), and who holds each org's lock.
_PG_V1 = (
    "ALTER TABLE runs ADD COLUMN seq BIGSERIAL",
    "ALTER TABLE jobs ADD COLUMN seq BIGSERIAL",
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "INSERT INTO schema_version (version) VALUES (0)",
    """CREATE TABLE lock_holders (
        org_id TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        username TEXT NOT NULL,
        run_id TEXT,
        since DOUBLE PRECISION NOT NULL,
        backend_pid INTEGER NOT NULL)""",
)
# SQLite column types to PostgreSQL's: REAL is 4 bytes in PostgreSQL, too few for a time.
_TYPES = (
    (re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b"), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)
_IS_PARAM = re.compile(r"\bIS \?")
_ROWID = re.compile(r"\browid\b")


def ddl(statement: str) -> str:
    """A schema statement of `MIGRATIONS` with PostgreSQL's column types."""
    for pattern, replacement in _TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


@functools.lru_cache(maxsize=512)
def dialect(sql: str) -> str:
    """A statement of the journal (SQLite's dialect) as PostgreSQL takes it."""
    if "%" in sql:  # psycopg would read it as a placeholder; the journal never writes one
        raise ValueError(f"a literal % in journal SQL: {sql!r}")
    sql = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", sql)  # `IS` takes only NULL/TRUE/FALSE
    return _ROWID.sub("seq", sql).replace("?", "%s")


def advisory_key(*parts: str) -> int:
    """A 64-bit advisory lock key for these names (the database's schema first, so two
    journals in one database never share a lock)."""
    digest = hashlib.sha256("\0".join(("zcrm-runner", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresDb:
    """One autocommit connection to the journal's database, speaking its dialect."""

    def __init__(self, conn: psycopg.Connection[Any], url: str) -> None:
        self.conn = conn
        self.where = mask_url(url)
        self._url = url
        row = conn.execute("SELECT current_schema()").fetchone()
        if row is None or row[0] is None:
            raise StateError(
                f"the journal at {self.where}: no schema of its search_path exists; "
                "create it, or name one that does"
            )
        self.schema = str(row[0])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        try:
            return self.conn.execute(dialect(sql), params)
        except psycopg.OperationalError as exc:
            raise self.failed(exc) from exc

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.execute(f"{sql} RETURNING id", params).fetchone()
        return int(row[0])

    @contextmanager
    def tx(self, *, durable: bool = True) -> Iterator[PostgresDb]:
        """Not durable: `synchronous_commit = off` for this transaction only; the server
        has the commit, its WAL reaches disk within its `wal_writer_delay`."""
        try:
            with self.conn.transaction():
                if not durable:
                    self.conn.execute("SET LOCAL synchronous_commit = off")
                yield self
        except psycopg.OperationalError as exc:
            raise self.failed(exc) from exc

    async def write_durably(self, write: Callable[[JournalDb], T]) -> T:
        """A durable commit in place: it is one round trip to the server, which makes it
        durable; there is no local file to sync from a thread."""
        with self.tx() as c:
            return write(c)

    def schema_version(self) -> int:
        # pg_tables, read with this statement's snapshot: a name lookup (to_regclass) could
        # answer from a cache made before another process created the table.
        found = self.execute(
            "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = ? AND tablename = ?",
            (self.schema, "schema_version"),
        ).fetchone()
        if found is None:
            return 0
        return int(self.execute("SELECT version FROM schema_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.execute("UPDATE schema_version SET version = ?", (version,))

    def lock_schema(self) -> None:
        """A transaction-level advisory lock: released at its commit or rollback."""
        self.execute("SELECT pg_advisory_xact_lock(?)", (advisory_key(self.schema, "schema"),))

    def migration(self, step: int) -> tuple[str, ...]:
        statements = tuple(ddl(s) for s in MIGRATIONS[step])
        return statements + _PG_V1 if step == 0 else statements

    def close(self) -> None:
        self.conn.close()

    def failed(self, exc: psycopg.Error) -> StateError:
        """The error to show for a failure of the database (no password in it)."""
        return StateError(f"the journal at {self.where} failed: {_text(exc, self._url)}")


def _text(exc: BaseException, url: str) -> str:
    """A driver error in one line, without the URL's password."""
    return scrub_url_secrets(" ".join(str(exc).split()) or type(exc).__name__, url)


def connect(url: str, *, read_only: bool = False) -> PostgresDb:
    """Open the journal's database; a StateError naming it (masked) if that fails."""
    try:
        params = conninfo.conninfo_to_dict(url)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        params.setdefault("application_name", "zcrm-runner")
        if read_only:  # `plan` and the early checks of `apply` write nothing
            read_only_option = "-c default_transaction_read_only=on"
            params["options"] = f"{params.get('options') or ''} {read_only_option}".strip()
        conn = psycopg.connect(conninfo.make_conninfo("", **params), autocommit=True)
    except psycopg.Error as exc:
        raise StateError(f"cannot open the journal at {mask_url(url)}: {_text(exc, url)}") from exc
    try:
        return PostgresDb(conn, url)
    except BaseException:
        conn.close()
        raise


def open_journal(url: str) -> PostgresDb:
    """The journal's database for writing, its schema brought to the current version."""
    db = connect(url)
    try:
        migrate(db)
    except psycopg.Error as exc:  # a table of another program in the way, no CREATE right
        db.close()
        raise StateError(
            f"cannot set up the journal at {db.where}: {_text(exc, url)}; give it a database "
            "(or a schema, ?options=-csearch_path%3DNAME) of its own"
        ) from exc
    except BaseException:
        db.close()
        raise
    return db
