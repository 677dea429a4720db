"""Zoho's error answers as exceptions, chosen by code first and HTTP status second.

    runner.errors.RunnerError
     └── ZohoError                 code, http_status, message, details, resolution
          ├── AuthError            401 INVALID_TOKEN, OAUTH_SCOPE_MISMATCH, refused refresh
          ├── PermissionDenied     403 NO_PERMISSION, AUTHORIZATION_FAILED (sent as 400)
          ├── InvalidRequest       400 INVALID_DATA, MANDATORY_NOT_FOUND, INVALID_MODULE,
          │                        AMBIGUITY_DURING_PROCESSING, EXPIRED_VALUE…
          ├── NotFound             404 NOT_FOUND, RESOURCE_NOT_FOUND, INVALID_URL_PATTERN
          ├── LimitExceeded        LIMIT_EXCEEDED, FILE_TOO_LARGE (413), *_LIMIT_EXCEEDED
          │                        (400s, DISCRETE_/PAGINATION_LIMIT_EXCEEDED included)
          ├── AlreadyScheduled     ALREADY_SCHEDULED: 202 mass update, 400 mass delete
          ├── NoRecordsFound       NO_RECORDS_FOUND: the custom view is empty
          ├── RateLimited          429 TOO_MANY_REQUESTS (.retry_after, seconds or None)
          ├── ServerError          5xx INTERNAL_ERROR / INTERNAL_SERVER_ERROR
          ├── TransportError       timeouts and dropped connections (httpx, translated once)
          ├── HostRefused          a URL the token may not go to, or a redirect; nothing sent
          └── OutcomeUnknown       a POST that creates a job or changes records lost its answer

`request_was_processed` says what a caller may do next: False = Zoho refused the request
(safe to send again later), None = unknown (never resend blindly; the journal says so).
Per-record codes (`RECORD_CODES`) arrive inside `data[]` and stay report data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runner.errors import RunnerError


class ZohoError(RunnerError):
    """One request-level answer from Zoho (or the lack of one)."""

    request_was_processed: bool | None = False

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        details: Mapping[str, Any] | None = None,
        resolution: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details: Mapping[str, Any] = dict(details or {})
        self.resolution = resolution if resolution is not None else resolution_for(code)
        status = f"HTTP {http_status} " if http_status is not None else ""
        text = f"{status}{code}: {message}"
        if self.resolution:
            text += f" ({self.resolution})"
        super().__init__(text)


class AuthError(ZohoError):
    """The token is invalid, lacks a scope, or a refresh was refused."""


class PermissionDenied(ZohoError):
    """The user behind the token may not do this."""


class InvalidRequest(ZohoError):
    """Zoho rejected the request as written; sending it again will not help."""


class NotFound(ZohoError):
    """A job id, resource or URL that Zoho does not know."""


class LimitExceeded(ZohoError):
    """A documented size or count limit was passed."""


class AlreadyScheduled(ZohoError):
    """A mass job already runs; wait and retry, never schedule a second one."""


class NoRecordsFound(ZohoError):
    """The custom view holds no records, so there is nothing to schedule."""


class RateLimited(ZohoError):
    """Too many requests (credits, concurrency, or 10 downloads a minute)."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ZohoError):
    """Zoho failed on its side; a read may be retried."""

    request_was_processed = None


class TransportError(ZohoError):
    """No HTTP answer at all: timeout, refused or dropped connection."""

    request_was_processed = None

    def __init__(self, message: str, *, sent: bool = True) -> None:
        super().__init__("TRANSPORT_ERROR", message)
        if not sent:  # the connection never opened, so Zoho never saw the request
            self.request_was_processed = False


class HostRefused(ZohoError):
    """A URL outside the target's hosts (runner.zoho.hosts), or a redirect: not sent, ever."""

    def __init__(self, code: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(code, message, http_status=http_status, resolution="")


class OutcomeUnknown(ZohoError):
    """A job-creating or record-changing POST whose answer was lost; do not resend."""

    request_was_processed = None

    def __init__(self, method: str, path: str, cause: ZohoError) -> None:
        self.cause = cause
        super().__init__(
            "OUTCOME_UNKNOWN",
            f"{method} {path} may or may not have been applied: {cause.code}: {cause.message}",
            http_status=cause.http_status,
            details=cause.details,
            resolution="check the org before sending it again; it was not retried",
        )


# Codes Zoho puts inside data[] for one record; kept as report data (seed 002; API_NOTES
# §2.3, §4.5). Sent at request level they still map through _CODES below.
RECORD_CODES: frozenset[str] = frozenset(
    {
        "INVALID_DATA", "MANDATORY_NOT_FOUND", "MAPPING_MISMATCH", "RECORD_LOCKED",
        "CONVERTED_RECORD", "RECORD_IN_BLUEPRINT", "CANNOT_PROCESS", "CANNOT_PERFORM_ACTION",
        "NOT_APPROVED", "DUPLICATE_DATA", "BLOCKED_RECORD", "LIMIT_EXCEEDED",
        "RESOURCE_NOT_FOUND",
    }
)  # fmt: skip

_IR, _LE, _PD, _NF = InvalidRequest, LimitExceeded, PermissionDenied, NotFound
_S0, _S1, _S2, _S3, _S4 = "seed 000", "seed 001", "seed 002", "seed 003", "seed 004"
_N12 = "API_NOTES §1.2"
_N22 = "API_NOTES §2.2"
_N23 = "API_NOTES §2.3"
_N31 = "API_NOTES §3.1"
_N3143 = "API_NOTES §3.1, §4.3"
_N32 = "API_NOTES §3.2"
_N41 = "API_NOTES §4.1"
_N43 = "API_NOTES §4.3"
_N45 = "API_NOTES §4.5"
_N52 = "API_NOTES §5.2"
_N53 = "API_NOTES §5.3"
_N13 = "API_NOTES §13"
_N71 = "API_NOTES §7.1"
_N72 = "API_NOTES §7.2"
_CONTACT_ADMIN = "Contact your system administrator."
_SPEC = "Fix the request as the error's details say."

# code → (class, resolution, source). Resolution texts are the seeds' "Resolution:" lines;
# codes the seeds do not list take the API_NOTES wording.
_CODES: dict[str, tuple[type[ZohoError], str, str]] = {
    "INVALID_TOKEN": (AuthError, "The access token is invalid or expired; refresh it.", _N52),
    "INVALID_OAUTHTOKEN": (AuthError, "The access token was evicted or revoked; refresh it.", _N72),
    "AUTHENTICATION_FAILURE": (
        AuthError,
        "Authentication failed; check the token and its data centre.",
        _N52,
    ),
    "OAUTH_SCOPE_MISMATCH": (
        AuthError,
        "Client does not have the required scope. Create a new client with valid scope. Refer to "
        "scope section above.",
        "seed 002 (scope name generalised)",
    ),
    "invalid_code": (
        AuthError,
        "The refresh token is revoked or invalid; generate a new one.",
        _N71,
    ),
    "Access Denied": (
        AuthError,
        "Too many token requests (10 per refresh token per 10 minutes); wait and retry.",
        _N71,
    ),
    "NO_PERMISSION": (_PD, "User does not have permission to mass update records", _S2),
    "AUTHORIZATION_FAILED": (
        _PD,
        f"The user does not have the permission to schedule mass update. {_CONTACT_ADMIN}",
        _S2,
    ),
    "CANNOT_PERFORM_ACTION": (
        _PD,
        "User does not have permission to perform any action on the record",
        _S2,
    ),
    "INVALID_DATA": (_IR, "The record ID, cvid, or territory ID specified is invalid", _S2),
    "MANDATORY_NOT_FOUND": (_IR, "No cvid or record ID is specified in the input", _S2),
    "INVALID_MODULE": (
        _IR,
        "The module name specified is incorrect. Refer to supported modules section above and "
        "specify a valid module API name.",
        _S2,
    ),
    "INVALID_REQUEST_METHOD": (
        _IR,
        "You have specified an invalid HTTP method to access the API URL. Specify a valid "
        "request method. Refer to endpoints section above.",
        _S2,
    ),
    "MEDIA_TYPE_NOT_SUPPORTED": (_IR, "Send the body with Content-Type: application/json.", _N12),
    "CANNOT_PROCESS": (_IR, "The specified record is in the stop processing state", _S2),
    "RECORD_IN_BLUEPRINT": (
        _IR,
        "The specified record is in blueprint and user tries to update a blueprint picklist value",
        _S2,
    ),
    "RECORD_LOCKED": (_IR, "Please wait until the record is unlocked.", _S2),
    "NOT_APPROVED": (_IR, "The record with the specified ID is not approved", _S2),
    "MAPPING_MISMATCH": (_IR, "The value does not match the field's type.", _N23),
    "CONVERTED_RECORD": (_IR, "The record is a converted lead and cannot be updated.", _N23),
    "DUPLICATE_DATA": (_IR, "A record with this unique value already exists.", _N45),
    "BLOCKED_RECORD": (_IR, "The record is blocked.", _N45),
    "NOT_SUPPORTED": (_IR, "Mass delete is not supported for this module", _N22),
    "INVALID_REQUEST": (_IR, _SPEC, _N31),
    "REQUEST_BODY_NOT_SUPPORTED": (_IR, _SPEC, _N31),
    "INVALID_CRITERIA": (_IR, "Fix the criteria (field, comparator, value).", _N31),
    "AMBIGUOUS_CRITERIA": (_IR, "Fix the criteria: a leaf or a group, not both.", _N31),
    "AMBIGUOUS_GROUP_IN_CRITERIA": (_IR, "Fix the criteria group.", _N31),
    "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED": (
        _IR,
        "Use a comparator from details.supported.",
        _N31,
    ),
    "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE": (
        _IR,
        "Use a value that fits the comparator.",
        _N31,
    ),
    "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE": (
        _IR,
        "Use a comparator valid for the field type.",
        _N31,
    ),
    "VALUE_TYPE_NOT_SUPPORTED": (_IR, "Use a value of the field's type.", _N31),
    "VALUE_IN_CRITERIA_NOT_SUPPORTED": (_IR, "Use a supported value in the criteria.", _N31),
    "FIELD_NOT_SUPPORTED": (_IR, "Remove the field; bulk read does not export it.", _N31),
    "FIELD_NOT_AVAILABLE": (_IR, "Use a field API name that exists in the module.", _N31),
    "FIELD_IN_CRITERIA_NOT_AVAILABLE": (
        _IR,
        "Use a criteria field that exists in the module.",
        _N31,
    ),
    "MODULE_NOT_AVAILABLE": (_IR, "Use a module API name that exists.", _N3143),
    "MODULE_NOT_SUPPORTED": (_IR, "This API does not support the module.", _N31),
    "CVID_NOT_SUPPORTED": (
        _IR,
        "This custom view cannot be exported (shared or co-owner view).",
        _N31,
    ),
    "GROUP_OPERATOR_NOT_SUPPORTED": (_IR, "Use a group operator from details.supported.", _N31),
    "INVALID_CALLBACK_URL": (_IR, "Give a valid callback URL.", _N3143),
    "INVALID_CALLBACK_METHOD": (_IR, "Use callback method post.", _N3143),
    "PAGE_NOT_SUPPORTED": (_IR, "Continue with page_token instead of page.", _N31),
    "QUERY_NOT_SUPPORTED": (_IR, _SPEC, _N31),
    "INVALID_FILE_FORMAT": (_IR, "invalid file format. only zip format is supported", _N41),
    "MANDATORY_FIELDS_NOT_MAPPED": (_IR, "Map every mandatory field of the module.", _N43),
    "INVALID_FIELD": (_IR, "invalid mapping. Use a field API name of the module.", _N43),
    "INVALID_FIELD_NAME": (_IR, "invalid mapping. Use a field API name of the module.", _N43),
    "INVALID_FORMAT": (_IR, "Give the field mapping's date format.", _N43),
    "INVALID_FILE_ID": (_IR, "improper file id; upload the file again.", _N43),
    "FILE_NOT_FOUND": (_IR, "Upload the file again; the file id is unknown.", _N43),
    "FILE_NOT_SUPPORTED": (_IR, "Upload one CSV in a zip.", _N43),
    "COLUMN_INDEX_NOT_FOUND": (_IR, "Use a column index that exists (≥ 0).", _N43),
    "COEXISTENCE_NOT_ALLOWED": (_IR, "Remove one of the keys that cannot be used together.", _N43),
    # Not in the seeds or API_NOTES; Zoho's GET records answers it when `fields` is absent [U].
    "REQUIRED_PARAM_MISSING": (_IR, "Add the parameter the message names.", _N13),
    "MISSING_REQUIRED_KEY": (_IR, "Add the key at details.json_path.", _N43),
    "AMBIGUITY_DURING_PROCESSING": (_IR, "Send cvid or sort_by, page or page_token.", _N13),
    "TOKEN_BOUND_DATA_MISMATCH": (_IR, "Resend a page_token with its own parameters.", _N13),
    "EXPIRED_VALUE": (_IR, "The page_token is over 24 h old; start again at page 1.", _N13),
    "PATTERN_NOT_MATCHED": (_IR, "Use a value the parameter allows (details).", _N13),
    "NOT_FOUND": (_NF, "The specified job_id is not found or invalid. Specify a valid job_id", _S0),
    "RESOURCE_NOT_FOUND": (_NF, "The job ID specified is invalid. Specify a valid job ID.", _S3),
    "INVALID_URL_PATTERN": (
        _NF,
        "The request URL specified is incorrect. Specify a valid request URL. Refer to request "
        "URL section above.",
        _S4,
    ),
    "LIMIT_EXCEEDED": (
        _LE,
        "Number of records that can be mass updated has exceeded the maximum allowed limit of "
        "50000",
        _S2,
    ),
    "FILE_TOO_LARGE": (_LE, "The zip may be at most 25 MB; split the file.", _N41),
    "CRITERIA_LIMIT_EXCEEDED": (_LE, "Use at most 25 criteria conditions.", _N31),
    "VALUE_LIMIT_EXCEEDED_IN_CRITERIA": (_LE, "Use at most 200 values in one condition.", _N31),
    "PAGE_RANGE_EXCEEDED": (
        _LE,
        "Continue with page_token; details.max_limit is the last page.",
        _N31,
    ),
    "JOIN_LIMIT_EXCEEDED": (_LE, "Read fewer lookup (dot) fields.", _N31),
    "HEADER_LIMIT_EXCEEDED": (_LE, "Map at most 200 columns.", _N43),
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED": (_LE, "Past record 2,000, page with page_token.", _N13),
    "PAGINATION_LIMIT_EXCEEDED": (_LE, "Paging stops at 100,000 records; narrow the read.", _N13),
    "ALREADY_SCHEDULED": (
        AlreadyScheduled,
        "The records in the custom view specified are already scheduled for mass update",
        _S2,
    ),
    "NO_RECORDS_FOUND": (NoRecordsFound, "There are no records in the custom view specified", _S2),
    "TOO_MANY_REQUESTS": (
        RateLimited,
        "Wait, then retry; credits, concurrency or the 10 downloads a minute ran out.",
        _N53,
    ),
    "INTERNAL_ERROR": (
        ServerError,
        "Unexpected and unhandled exception in Server. Contact support team.",
        _S0,
    ),
    "INTERNAL_SERVER_ERROR": (
        ServerError,
        "Unexpected and unhandled exception in Server. Contact support team.",
        _N32,
    ),
}

KNOWN_CODES: frozenset[str] = frozenset(_CODES)

# Second choice when a code is absent or unknown (API_NOTES §5.2).
_BY_STATUS: dict[int, type[ZohoError]] = {
    400: InvalidRequest, 401: AuthError, 403: PermissionDenied, 404: NotFound,
    405: InvalidRequest, 413: LimitExceeded, 415: InvalidRequest, 429: RateLimited,
}  # fmt: skip


def resolution_for(code: str) -> str:
    """The seeds' (or API_NOTES') advice for a code; empty when the code is unknown."""
    entry = _CODES.get(code)
    return entry[1] if entry else ""


def resolution_source(code: str) -> str:
    """Where a code's resolution text comes from (`seed 002`, `API_NOTES §4.3`)."""
    entry = _CODES.get(code)
    return entry[2] if entry else ""


def class_for(code: str, http_status: int | None) -> type[ZohoError]:
    """The exception class for an answer: by code first, HTTP status second."""
    if code in _CODES:
        return _CODES[code][0]
    if http_status is not None and http_status >= 500:
        return ServerError
    return _BY_STATUS.get(http_status or 0, ZohoError)


def error_from_response(status: int, body: Any, *, retry_after: float | None = None) -> ZohoError:
    """Build the exception for one error envelope (top level, or the first of `data[]`)."""
    envelope: Mapping[str, Any] = {}
    if isinstance(body, Mapping):
        envelope = body
        data = body.get("data")
        if "code" not in body and isinstance(data, list) and data and isinstance(data[0], Mapping):
            envelope = data[0]
    code = str(envelope.get("code") or envelope.get("error") or f"HTTP_{status}")
    message = str(envelope.get("message") or envelope.get("error_description") or "")
    if not message:
        message = str(envelope.get("x-error") or f"HTTP {status} without a message")
    details = envelope.get("details")
    details = details if isinstance(details, Mapping) else {}
    cls = class_for(code, status)
    if cls is RateLimited:
        return RateLimited(
            code, message, http_status=status, details=details, retry_after=retry_after
        )
    return cls(code, message, http_status=status, details=details)
