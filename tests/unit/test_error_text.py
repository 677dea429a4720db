"""Zoho's error details in one line: what the console, report.md and junit.xml show."""

from __future__ import annotations

from runner.results import (
    JobError,
    RecordOutcome,
    details_text,
    error_text,
    record_details,
    with_details,
)


def test_an_error_shows_its_code_message_and_details() -> None:
    """Code, message, then the details in Zoho's order, as the issue asks for them."""
    details = {"api_name": "Email", "expected_data_type": "email"}
    assert (
        error_text("INVALID_DATA", "invalid data", details)
        == "INVALID_DATA: invalid data (api_name: Email, expected_data_type: email)"
    )
    assert JobError("INVALID_DATA", "invalid data", details).text == error_text(
        "INVALID_DATA", "invalid data", details
    )


def test_no_details_leave_the_message_alone() -> None:
    """Without details nothing is added: no empty brackets."""
    assert error_text("NO_PERMISSION", "denied", {}) == "NO_PERMISSION: denied"
    assert with_details("", {}) == ""
    assert with_details("", {"row": 3}) == "(row: 3)"
    assert error_text("JOB_FAILED", "", {}) == "JOB_FAILED"


def test_lists_nested_mappings_and_long_values_stay_compact() -> None:
    """A list shows its first 5 scalars, a mapping its own scalars (dotted), a long value is
    cut at 60 characters, whatever is nested deeper is left to report.json, and
    whitespace is folded."""
    details = {
        "supported": ["and", "or"],
        "api_names": ["a", "b", "c", "d", "e", "f", "g"],
        "duplicate_record": {"id": "5", "module": {"api_name": "Leads"}},
        "json_path": "$." + "x" * 100,
        "deep": [{"a": 1}],
        "max_limit": 500,
        "multi\nline": "one\n  two",
    }
    assert details_text(details) == (
        "supported: [and, or], api_names: [a, b, c, d, e, …], duplicate_record.id: 5, "
        f"json_path: $.{'x' * 57}…, deep: [], max_limit: 500, multi line: one two"
    )


def test_a_record_does_not_repeat_its_own_id() -> None:
    """`details.id` naming the record itself is dropped; another id is kept."""
    own = RecordOutcome("554023", "error", "INVALID_DATA", "bad", {"id": "554023", "api_name": "X"})
    assert record_details(own) == {"api_name": "X"}
    other = own._replace(details={"id": "999"})
    assert record_details(other) == {"id": "999"}
    assert record_details(own._replace(details={})) == {}
