"""The journal's JSON columns: the fast path gives the same text as a full scrub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.execute.journal_schema import REDACTED, dumps, scrub

TOKEN = "1000.0123456789abcdef0123.fedcba9876543210fedc"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "code", "page_token", "client_secret", "Token", "note"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def _full(value: Any, secrets: tuple[str, ...] = ()) -> str:
    return json.dumps(scrub(value, secrets), sort_keys=True, separators=(",", ":"))


@given(json_values)
def test_fast_path_equals_full_scrub(value: Any) -> None:
    """Whatever the value, dumps() writes exactly what a value-by-value scrub writes."""
    assert dumps(value, ("s3cret-value",)) == _full(value, ("s3cret-value",))


@pytest.mark.parametrize(
    "value",
    [
        {"details": {"deep": [{"client_secret": "abc"}]}},
        {"message": f"header Zoho-oauthtoken {TOKEN}"},
        [{"note": TOKEN}],
        {"note": "the planted s3cret-value here"},
    ],
)
def test_secrets_never_reach_the_text(value: Any) -> None:
    """Credential keys, token-shaped strings and registered secrets are all redacted."""
    text = dumps(value, ("s3cret-value",))
    assert TOKEN not in text
    assert "s3cret-value" not in text
    assert '"abc"' not in text


def test_page_token_is_kept() -> None:
    """A bulk read page_token is data, not a credential."""
    assert dumps({"page_token": "abc"}) == '{"page_token":"abc"}'


@pytest.mark.parametrize("secret", ["Zürich Süd 8021", 'with "quotes" inside', "back\\slash-value"])
def test_a_value_json_escapes_is_still_redacted(secret: str, tmp_path: Path) -> None:
    """A registered value with non-ASCII characters, quotes or backslashes is written
    escaped by json.dumps; it is found and redacted all the same, in the journal's
    columns and in what the console and reports show."""
    from runner.clock import ManualClock
    from runner.execute.journal import Journal

    echoed = {"message": f"invalid value {secret}", "details": {"value": secret}}
    text = dumps(echoed, (secret,))
    assert secret not in json.loads(text)["message"]
    assert json.loads(text)["details"]["value"] == REDACTED
    with Journal(tmp_path / ".zcrm", clock=ManualClock()) as journal:
        journal.add_secret(secret)
        shown = journal.redact(echoed)
    assert secret not in shown["message"]
    assert shown["details"]["value"] == REDACTED
