"""The PostgreSQL server the journal's PostgreSQL tests use, and a fresh schema per test.

.ci/run starts a throwaway server and exports ZCRM_TEST_POSTGRES_URL (a role that may
create schemas in its database) and ZCRM_TEST_POSTGRES_REQUIRED=1. Without the URL the
tests that need it are skipped, all for one reason, so `pytest -ra` prints one line; with
it, an unreachable server skips them too, unless CI said the server is required.
Each test gets a schema of its own (the URL's search_path names it), dropped after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from runner.execute.state_url import mask_url

URL_ENV = "ZCRM_TEST_POSTGRES_URL"
REQUIRED_ENV = "ZCRM_TEST_POSTGRES_REQUIRED"


def find_server() -> tuple[str | None, str]:
    """The server's URL, or None and why there is none (the one skip reason)."""
    url = os.environ.get(URL_ENV, "")
    if not url:
        return None, f"PostgreSQL: {URL_ENV} is not set (.ci/run starts a server and sets it)"
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        return None, f"PostgreSQL: no server at {mask_url(url)}: {' '.join(str(exc).split())}"
    return url, ""


def require_server(config: pytest.Config) -> str:
    """The server's URL, looked for once a session; skips the test (all of them for the
    same reason, at this line: one line in `-ra`) when there is none, or fails it when
    CI said a server was started."""
    found = config.stash.get(_SERVER, None)
    if found is None:
        found = config.stash[_SERVER] = find_server()
    url, why = found
    if url is None:
        if os.environ.get(REQUIRED_ENV) == "1":
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    return url


_SERVER = pytest.StashKey[tuple[str | None, str]]()


def with_schema(url: str, schema: str) -> str:
    """`url` with its search_path set to `schema` (libpq's `options` parameter)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new, empty schema on the server; the URL that uses it. Dropped at the end."""
    import psycopg

    schema = f"zcrm_test_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SET lock_timeout = '10s'")  # a journal left open fails, not hangs
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
