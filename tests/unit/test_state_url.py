"""ZCRM_STATE_URL: only PostgreSQL URLs, never shown with their password; the dialect the
journal's SQL is translated to (no server needed)."""

from __future__ import annotations

import pytest

from runner.errors import UsageError
from runner.execute.journal_pg import ddl, dialect
from runner.execute.journal_schema import MIGRATIONS
from runner.execute.state_url import mask_url, scrub_url_secrets, state_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ops:pa%40ss@db:5432/zcrm", "postgresql://ops:***@db:5432/zcrm"),
        ("postgres://ops@db/zcrm", "postgres://ops@db/zcrm"),
        ("postgresql://db/zcrm?password=hunter2&sslmode=require",
         "postgresql://db/zcrm?password=***&sslmode=require"),
        ("postgresql://ops:x@h1:5432,h2:5433/zcrm?options=-csearch_path%3Dz",
         "postgresql://ops:***@h1:5432,h2:5433/zcrm?options=-csearch_path%3Dz"),
    ],
)  # fmt: skip
def test_the_url_is_shown_without_its_password(url: str, shown: str) -> None:
    """The user info's password and a `password` parameter become ***; the rest stays."""
    assert mask_url(url) == shown


def test_a_driver_message_loses_the_password_in_both_spellings() -> None:
    """libpq may quote the password decoded; both it and its URL spelling are replaced."""
    url = "postgresql://ops:pa%40ss@db/zcrm"
    assert scrub_url_secrets("auth failed for pa@ss (pa%40ss)", url) == "auth failed for *** (***)"


def test_only_postgresql_urls_are_taken_and_a_bad_one_is_not_echoed() -> None:
    """Unset or blank keeps SQLite; anything but postgresql:// is refused without its text
    (a conninfo string could hold a password)."""
    assert state_url({}) is None
    assert state_url({"ZCRM_STATE_URL": "  "}) is None
    assert state_url({"ZCRM_STATE_URL": "postgres://db/z"}) == "postgres://db/z"
    with pytest.raises(UsageError) as caught:
        state_url({"ZCRM_STATE_URL": "host=db password=hunter2"})
    assert str(caught.value) == (
        "ZCRM_STATE_URL is not a PostgreSQL URL; give postgresql://USER:PASSWORD@HOST:PORT/"
        "DATABASE, or unset it to keep the journal in --state-dir"
    )


def test_the_journal_sql_in_postgresql_dialect() -> None:
    """Placeholders, `IS ?` (PostgreSQL's IS takes only NULL/TRUE/FALSE) and rowid order."""
    sql = "SELECT x FROM jobs j WHERE j.fingerprint = ? AND r.org_id IS ? ORDER BY j.rowid DESC"
    assert dialect(sql) == (
        "SELECT x FROM jobs j WHERE j.fingerprint = %s AND r.org_id IS NOT DISTINCT FROM %s"
        " ORDER BY j.seq DESC"
    )
    with pytest.raises(ValueError, match="literal %"):
        dialect("SELECT '100%'")


def test_the_schema_in_postgresql_types() -> None:
    """Ids are BIGSERIAL, times DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes), and no
    SQLite type is left in any migration."""
    intents = next(s for s in MIGRATIONS[0] if s.startswith("CREATE TABLE intents"))
    assert "id BIGSERIAL PRIMARY KEY," in ddl(intents)
    assert "created_at DOUBLE PRECISION NOT NULL" in ddl(intents)
    for statement in (ddl(s) for step in MIGRATIONS for s in step):
        assert not any(t in statement.split() for t in ("INTEGER", "REAL", "BLOB", "AUTOINCREMENT"))
