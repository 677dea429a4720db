"""One SimError class per Zoho error code, each carrying its HTTP status and default message.

Each is named `Sim` + its code (`SimInvalidRequest` is INVALID_REQUEST): the unprefixed
names (`InvalidRequest`, `NotFound`...) are the client's categories in runner/zoho/errors.py.

Models raise these; one handler in app.py writes Zoho's envelope
`{"code","details","message","status":"error"}` (API_NOTES §5.1). Per-record outcomes reuse
the same classes through `SimError.body()` inside `data[]` (seed 002, API_NOTES §2.2).
"""

from __future__ import annotations

from typing import Any, ClassVar

JSON = dict[str, Any]


class SimError(Exception):
    """A Zoho error answer: code, HTTP status, message and details."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    message: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        message: str | None = None,
        details: JSON | None = None,
        *,
        http_status: int | None = None,
    ) -> None:
        self.text = message if message is not None else self.message
        self.details: JSON = dict(details or {})
        self.http_status = http_status if http_status is not None else self.status
        super().__init__(f"{self.code}: {self.text}")

    def body(self) -> JSON:
        """Zoho's error object, the same at top level and inside `data[]`."""
        return {"code": self.code, "details": self.details, "message": self.text, "status": "error"}


BY_CODE: dict[str, type[SimError]] = {}


def _error(code: str, status: int, message: str) -> type[SimError]:
    cls = type(
        "Sim" + "".join(part.title() for part in code.split("_")),
        (SimError,),
        {"code": code, "status": status, "message": message, "__module__": __name__},
    )
    BY_CODE[code] = cls
    return cls


# Auth and routing (seeds 000-004 "Possible Errors"; API_NOTES §5.2).
SimInvalidToken = _error("INVALID_TOKEN", 401, "invalid oauth token")
SimOAuthScopeMismatch = _error("OAUTH_SCOPE_MISMATCH", 401, "Unauthorized")
SimInvalidUrlPattern = _error(
    "INVALID_URL_PATTERN", 404, "Please check if the URL trying to access is a correct one"
)
SimInvalidRequestMethod = _error(
    "INVALID_REQUEST_METHOD", 400, "The http request method type is not a valid one"
)
SimInvalidModule = _error("INVALID_MODULE", 400, "the module name given seems to be invalid")
SimNoPermission = _error("NO_PERMISSION", 403, "permission denied")
SimAuthorizationFailed = _error(
    "AUTHORIZATION_FAILED", 400, "User does not have sufficient privilege to read records"
)
SimInternalError = _error("INTERNAL_ERROR", 500, "Internal Server Error")
SimTooManyRequests = _error("TOO_MANY_REQUESTS", 429, "too many requests")
SimMediaTypeNotSupported = _error(
    "MEDIA_TYPE_NOT_SUPPORTED", 415, "the media type given in the request is not supported"
)
SimRequiredParamMissing = _error(
    "REQUIRED_PARAM_MISSING", 400, "One of the expected parameter is missing"
)
SimInvalidRequest = _error("INVALID_REQUEST", 400, "unable to process your request")

# Mass update / mass delete (seed 002, seed 000, seed 001, API_NOTES §2.2).
SimInvalidData = _error("INVALID_DATA", 400, "the id given seems to be invalid")
SimMandatoryNotFound = _error("MANDATORY_NOT_FOUND", 400, "required field not found")
SimLimitExceeded = _error("LIMIT_EXCEEDED", 400, "Record count exceeded")
# seed 002: HTTP 202 for mass update; mass delete passes http_status=400 (API_NOTES §2.2).
SimAlreadyScheduled = _error(
    "ALREADY_SCHEDULED", 202, "Already a Mass Action scheduler is running for the given cvid"
)
SimNoRecordsFound = _error("NO_RECORDS_FOUND", 400, "no record found to update")
SimCannotProcess = _error("CANNOT_PROCESS", 400, "The record is in stop processing")
SimRecordInBlueprint = _error("RECORD_IN_BLUEPRINT", 400, "The record is in blue print")
SimRecordLocked = _error(
    "RECORD_LOCKED", 400, "You cannot perform this operation as the record is locked."
)
SimNotApproved = _error("NOT_APPROVED", 400, "record not approved")
SimNotSupported = _error("NOT_SUPPORTED", 400, "the operation is not supported for this module")
SimNotFound = _error("NOT_FOUND", 404, "Empty response")
SimResourceNotFound = _error("RESOURCE_NOT_FOUND", 404, "The requested resource doesn't exist.")

# Bulk read create (API_NOTES §3.1).
SimInvalidCriteria = _error("INVALID_CRITERIA", 400, "invalid criteria")
SimAmbiguousCriteria = _error("AMBIGUOUS_CRITERIA", 400, "a criteria has both field and group")
SimFieldComparatorInCriteriaNotSupported = _error(
    "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED", 400, "the comparator is not supported"
)
SimComparatorAndValueInCriteriaNotCompatible = _error(
    "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", 400, "the value does not suit the comparator"
)
SimFieldInCriteriaNotAvailable = _error(
    "FIELD_IN_CRITERIA_NOT_AVAILABLE", 400, "the field given in the criteria is not available"
)
SimFieldNotAvailable = _error("FIELD_NOT_AVAILABLE", 400, "the field is not available")
SimCriteriaLimitExceeded = _error(
    "CRITERIA_LIMIT_EXCEEDED", 400, "the number of conditions exceeds the limit"
)
SimValueLimitExceededInCriteria = _error(
    "VALUE_LIMIT_EXCEEDED_IN_CRITERIA", 400, "the number of values exceeds the limit"
)
SimGroupOperatorNotSupported = _error(
    "GROUP_OPERATOR_NOT_SUPPORTED", 400, "the group operator is not supported"
)
SimInvalidCallbackUrl = _error("INVALID_CALLBACK_URL", 400, "the callback url is invalid")
SimInvalidCallbackMethod = _error("INVALID_CALLBACK_METHOD", 400, "the callback method is invalid")
SimPageRangeExceeded = _error("PAGE_RANGE_EXCEEDED", 400, "the page is out of range")
SimModuleNotSupported = _error(
    "MODULE_NOT_SUPPORTED", 400, "the module is not supported for this operation"
)

# Bulk write upload and create (API_NOTES §4.1, §4.3).
SimInvalidFileFormat = _error(
    "INVALID_FILE_FORMAT", 400, "invalid file format. only zip format is supported"
)
SimFileTooLarge = _error("FILE_TOO_LARGE", 413, "file size exceeds the maximum limit of 25 MB")
SimHeaderLimitExceeded = _error(
    "HEADER_LIMIT_EXCEEDED", 400, "the number of columns exceeds the maximum limit of 200"
)
SimInvalidFileId = _error("INVALID_FILE_ID", 400, "improper file id")
SimInvalidField = _error("INVALID_FIELD", 400, "invalid mapping. invalid api_name")
SimModuleNotAvailable = _error("MODULE_NOT_AVAILABLE", 400, "Requested module is not available.")
SimMandatoryFieldsNotMapped = _error(
    "MANDATORY_FIELDS_NOT_MAPPED", 400, "mandatory fields are not mapped"
)
SimColumnIndexNotFound = _error("COLUMN_INDEX_NOT_FOUND", 400, "the column index is not found")

# Record reads: GET /{module} and GET /{module}/deleted (API_NOTES §13). Zoho's message
# texts for these are not in the sources; the codes, statuses and details are.
SimAmbiguityDuringProcessing = _error(
    "AMBIGUITY_DURING_PROCESSING", 400, "the parameters given cannot be used together"
)
SimDiscretePaginationLimitExceeded = _error(
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED", 400, "page reaches only the first 2000 records"
)
SimTokenBoundDataMismatch = _error(
    "TOKEN_BOUND_DATA_MISMATCH", 400, "the parameters differ from those the page_token was made for"
)
SimExpiredValue = _error("EXPIRED_VALUE", 400, "the page_token has expired")
SimPaginationLimitExceeded = _error(
    "PAGINATION_LIMIT_EXCEEDED", 400, "paging reaches only the first 100000 records"
)
SimPatternNotMatched = _error("PATTERN_NOT_MATCHED", 400, "the value does not match the pattern")


class SimUploadHeadersInvalid(SimError):
    """Missing `feature`/`X-CRM-ORG` on upload: the file server's own body (API_NOTES §4.1)."""

    code = "UPLOAD_HEADERS_INVALID"  # not a Zoho code: the body below carries none [U]
    status = 400
    message = "check if headers [feature, X-CRM-ORG] are present and valid"

    def body(self) -> JSON:
        return {
            "x-error": self.text,
            "info": "Forbidden",
            "x-info": "Link not valid",
            "ERROR_CODE": self.http_status,
            "ERROR_MESSAGE": "Bad Request",
            "http_status": self.http_status,
        }


def error_for_code(code: str) -> type[SimError]:
    """The class for a Zoho code (used by the forced-failure control hook)."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown Zoho error code {code!r}") from None


ALL_CODES: frozenset[str] = frozenset(BY_CODE)
