"""Zoho error answers map to exception classes by code first, HTTP status second."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.errors import RunnerError
from runner.zoho import errors as ze

DATA = Path(__file__).parents[1] / "data" / "zoho"
SEED_ERRORS = json.loads((DATA / "seed_errors.json").read_text())["errors"]
NOTES_CODES = json.loads((DATA / "api_notes_codes.json").read_text())["codes"]

EXPECTED_CLASS = {
    "INVALID_TOKEN": ze.AuthError,
    "AUTHENTICATION_FAILURE": ze.AuthError,
    "OAUTH_SCOPE_MISMATCH": ze.AuthError,
    "NO_PERMISSION": ze.PermissionDenied,
    "AUTHORIZATION_FAILED": ze.PermissionDenied,
    "INVALID_DATA": ze.InvalidRequest,
    "MANDATORY_NOT_FOUND": ze.InvalidRequest,
    "INVALID_MODULE": ze.InvalidRequest,
    "INVALID_REQUEST_METHOD": ze.InvalidRequest,
    "MEDIA_TYPE_NOT_SUPPORTED": ze.InvalidRequest,
    "INVALID_URL_PATTERN": ze.NotFound,
    "NOT_FOUND": ze.NotFound,
    "RESOURCE_NOT_FOUND": ze.NotFound,
    "LIMIT_EXCEEDED": ze.LimitExceeded,
    "FILE_TOO_LARGE": ze.LimitExceeded,
    "ALREADY_SCHEDULED": ze.AlreadyScheduled,
    "NO_RECORDS_FOUND": ze.NoRecordsFound,
    "TOO_MANY_REQUESTS": ze.RateLimited,
    "INTERNAL_ERROR": ze.ServerError,
    "INTERNAL_SERVER_ERROR": ze.ServerError,
}


@pytest.mark.parametrize(
    "entry", SEED_ERRORS, ids=[f"{e['seed']}-{e['code']}-{i}" for i, e in enumerate(SEED_ERRORS)]
)
def test_every_seed_error_maps_to_a_class_with_code_status_message(entry: dict[str, str]) -> None:
    """Each seed error row becomes a ZohoError carrying its code, status, message and advice."""
    body = {"code": entry["code"], "message": entry["message"], "status": "error", "details": {}}
    err = ze.error_from_response(int(entry["http_status"]), body)
    assert entry["code"] in ze.KNOWN_CODES
    assert isinstance(err, ze.ZohoError)
    assert isinstance(err, RunnerError)
    assert (err.code, err.http_status, err.message) == (
        entry["code"],
        int(entry["http_status"]),
        entry["message"],
    )
    assert err.resolution
    assert err.resolution in str(err)
    if entry["code"] in EXPECTED_CLASS:
        assert type(err) is EXPECTED_CLASS[entry["code"]]


def test_seed_sourced_resolutions_quote_a_seed_verbatim() -> None:
    """A resolution whose source is a seed is one of that code's 'Resolution:' lines."""
    by_code: dict[str, set[str]] = {}
    for entry in SEED_ERRORS:
        by_code.setdefault(entry["code"], set()).add(entry["resolution"])
    checked = 0
    for code in ze.KNOWN_CODES:
        source = ze.resolution_source(code)
        if source.startswith("seed") and "generalised" not in source:
            assert ze.resolution_for(code) in by_code[code], code
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("section", sorted(NOTES_CODES))
def test_every_api_notes_code_is_known(section: str) -> None:
    """Every error code API_NOTES names (§2.2, §3.1, §4.1, §4.3, §5.2, ...) has a class."""
    missing = [code for code in NOTES_CODES[section] if code not in ze.KNOWN_CODES]
    assert missing == []


@pytest.mark.parametrize("code", sorted(ze.KNOWN_CODES))
def test_every_known_code_has_resolution_and_source(code: str) -> None:
    """The code table gives every code a class, advice and where that advice comes from."""
    err = ze.error_from_response(400, {"code": code, "message": "m", "status": "error"})
    assert isinstance(err, ze.ZohoError)
    assert type(err) is not ze.ZohoError
    assert ze.resolution_for(code)
    assert ze.resolution_source(code).startswith(("seed", "API_NOTES", "Zoho"))


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("ALREADY_SCHEDULED", 202, ze.AlreadyScheduled),  # seed 002: mass update
        ("ALREADY_SCHEDULED", 400, ze.AlreadyScheduled),  # API_NOTES §2.2: mass delete
        ("AUTHORIZATION_FAILED", 400, ze.PermissionDenied),  # a permission error sent as 400
        ("NO_PERMISSION", 400, ze.PermissionDenied),
        ("INVALID_DATA", 500, ze.InvalidRequest),
        ("INTERNAL_ERROR", 400, ze.ServerError),
    ],
)
def test_code_wins_over_http_status(code: str, status: int, cls: type[ze.ZohoError]) -> None:
    """The code decides the class even when the HTTP status would say otherwise."""
    assert type(ze.error_from_response(status, {"code": code, "message": "x"})) is cls


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ze.InvalidRequest),
        (401, ze.AuthError),
        (403, ze.PermissionDenied),
        (404, ze.NotFound),
        (413, ze.LimitExceeded),
        (415, ze.InvalidRequest),
        (429, ze.RateLimited),
        (500, ze.ServerError),
        (503, ze.ServerError),
        (418, ze.ZohoError),
    ],
)
def test_unknown_code_falls_back_to_http_status(status: int, cls: type[ze.ZohoError]) -> None:
    """A code the table does not know (or none at all) is classed by its HTTP status."""
    err = ze.error_from_response(status, {"code": "SOMETHING_NEW", "message": "x"})
    assert type(err) is cls
    assert err.code == "SOMETHING_NEW"
    assert err.resolution == ""
    assert type(ze.error_from_response(status, None)) is cls


def test_error_inside_data_array_is_read() -> None:
    """A request-level error wrapped in data[] (seen for 202 answers) is still understood."""
    body = {
        "data": [
            {
                "code": "ALREADY_SCHEDULED",
                "details": {"api_name": "cvid"},
                "message": "Already a Mass Action scheduler is running for the given cvid",
                "status": "error",
            }
        ]
    }
    err = ze.error_from_response(202, body)
    assert isinstance(err, ze.AlreadyScheduled)
    assert err.details == {"api_name": "cvid"}
    assert err.request_was_processed is False


def test_file_server_body_without_code_keeps_its_hint() -> None:
    """The upload host's x-error body (API_NOTES §4.1) becomes an error with that hint."""
    body = {"x-error": "check if headers [feature, X-CRM-ORG] are present and valid"}
    err = ze.error_from_response(400, body)
    assert isinstance(err, ze.InvalidRequest)
    assert err.code == "HTTP_400"
    assert "X-CRM-ORG" in err.message


def test_rate_limited_carries_retry_after() -> None:
    """429 answers keep the server's wait so the retry loop can honour it."""
    err = ze.error_from_response(
        429, {"code": "TOO_MANY_REQUESTS", "message": "slow"}, retry_after=7
    )
    assert isinstance(err, ze.RateLimited)
    assert err.retry_after == 7
    assert err.request_was_processed is False


def test_record_codes_are_known_and_separate() -> None:
    """Per-record codes are in KNOWN_CODES and listed apart as report data."""
    assert {
        "RECORD_LOCKED",
        "RECORD_IN_BLUEPRINT",
        "CANNOT_PROCESS",
        "NOT_APPROVED",
    } <= ze.RECORD_CODES
    assert ze.RECORD_CODES <= ze.KNOWN_CODES


def test_outcome_unknown_keeps_cause_and_says_not_retried() -> None:
    """OutcomeUnknown wraps the lost answer and marks the outcome as unknown."""
    cause = ze.ServerError("INTERNAL_ERROR", "boom", http_status=500)
    err = ze.OutcomeUnknown("POST", "/crm/v8/Leads/actions/mass_delete", cause)
    assert err.cause is cause
    assert err.request_was_processed is None
    assert err.http_status == 500
    assert "mass_delete" in str(err)
    assert "not retried" in str(err)
