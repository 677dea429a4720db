"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin; the journal's
store, SQLite and PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.execute.state_store import StateStore
from tests.postgres import fresh_schema, require_server

DATA = Path(__file__).parent / "data"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def data_dir() -> Path:
    return DATA


POSTGRES_FIXTURES = {"postgres_server", "postgres_url"}


@pytest.fixture(autouse=True)
def _no_state_url_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ZCRM_STATE_URL of the shell running the tests never reaches them: each test that
    wants PostgreSQL sets its own (a fresh schema)."""
    monkeypatch.delenv("ZCRM_STATE_URL", raising=False)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test using the PostgreSQL server is marked `postgres` (so `-m "not postgres"`)."""
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip `postgres` tests before their fixtures run when there is no server: from one
    place, so `-ra` folds them into one line (a fixture's skip is reported per test)."""
    if item.get_closest_marker("postgres") is not None:
        require_server(item.config)


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> str:
    """The test server's URL (tests/postgres.py)."""
    return require_server(pytestconfig)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL for a journal of this test's own: a fresh schema, dropped after the test."""
    with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def journal_store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    """Where a journal lives, once per backend: `<tmp>/.zcrm/state.db`, or PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return StateStore(tmp_path / ".zcrm", url)
