"""Where a command finds the journal: `<state_dir>/state.db`, or PostgreSQL (ZCRM_STATE_URL).

The state dir is used either way: crash logs and run folders (bulk CSVs, evidence) stay
local. With SQLite it also holds the journal and its lock file (one apply per state dir);
with PostgreSQL the journal is shared by everyone with the URL and the lock is per org,
taken once Zoho has said which org the token is for (lock_pg.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.clock import Clock
from runner.execute.journal import DB_NAME, Journal
from runner.execute.journal_db import open_postgres
from runner.execute.journal_read import JournalReader
from runner.execute.state_url import mask_url, state_url

if TYPE_CHECKING:  # psycopg is an optional extra: imported only with a URL
    from runner.execute.lock_pg import OrgLock


@dataclass(frozen=True)
class StateStore:
    """The state dir, and the PostgreSQL URL when the journal lives there."""

    state_dir: Path
    url: str | None = None

    @classmethod
    def from_env(cls, state_dir: Path, environ: Mapping[str, str]) -> StateStore:
        return cls(state_dir, state_url(environ))

    @property
    def where(self) -> str:
        """For messages: the state dir, or the URL without its password."""
        return str(self.state_dir) if self.url is None else mask_url(self.url)

    def journal(self, clock: Clock | None = None) -> Journal:
        """The journal, for writing (a new PostgreSQL journal gets its tables)."""
        return Journal(self.state_dir, clock=clock, url=self.url)

    def read_only(self) -> JournalReader | None:
        """The journal for reading, or None if there is none yet (or one too old to read
        unmigrated); see `JournalReader.open_read_only`."""
        if self.url is None:
            return JournalReader.open_read_only(self.state_dir / DB_NAME)
        db = open_postgres(self.url, read_only=True)
        try:
            version = db.schema_version()
        except BaseException:
            db.close()
            raise
        return JournalReader.readable(db, version)

    def exists(self) -> bool:
        """Whether any apply made the journal yet (`runs` and `resume` need one)."""
        if self.url is None:
            return (self.state_dir / DB_NAME).exists()
        db = open_postgres(self.url, read_only=True)
        try:
            return db.schema_version() > 0
        finally:
            db.close()

    def org_lock(self, journal: Journal, org_id: str) -> OrgLock:
        """The lock on one org in the PostgreSQL journal (not yet taken), on the journal's
        own connection."""
        from runner.execute.journal_pg import PostgresDb
        from runner.execute.lock_pg import OrgLock

        if not isinstance(journal.db, PostgresDb):
            raise TypeError("the org lock is the PostgreSQL journal's; SQLite's is StateLock")
        return OrgLock(journal.db, org_id)
