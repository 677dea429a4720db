"""Bulk write: upload a zipped CSV, create a job (201), poll it, download the result.

Upload goes to the upload host with `feature: bulk-write` and `X-CRM-ORG: <zgid>` (wire 09);
create and details answer with a top-level object, not `data[]` (API_NOTES §1.4).

The result (API_NOTES §4.5) is a zip holding one CSV whose rows follow the uploaded rows
in order: the first three mapped columns, then STATUS, RECORD_ID and ERRORS (`CODE-column`,
codes colon-joined). `result_rows` reads it, with its columns found by name.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.outcome import RecordOutcome
from runner.zoho import endpoints
from runner.zoho.bulk_read import FAILED_STATES, normalise_state
from runner.zoho.client import ZohoClient, ZohoResponse
from runner.zoho.csvzip import open_only_text
from runner.zoho.errors import ZohoError, error_from_response
from runner.zoho.records import as_id, as_int, sub

RESULT_COLUMNS = ("STATUS", "RECORD_ID", "ERRORS")  # API_NOTES §4.5
SUCCESS = frozenset({"ADDED", "UPDATED"})  # a row's STATUS when its record was written
#: API_NOTES §4.2 [S]: fields a bulk write cannot set (file/image upload, formula,
#: auto-number, Created/Modified By/Time), besides any field metadata marks read_only.
UNWRITABLE_TYPES = frozenset(
    {"fileupload", "imageupload", "profileimage", "formula", "autonumber", "subform"}
)
UNWRITABLE_FIELDS = frozenset({"Created_By", "Created_Time", "Modified_By", "Modified_Time"})
#: API_NOTES §4.2, §4.3: the default date format is MM/dd/yyyy; a column written as a
#: bulk read exports it (ISO 8601, §3.3) names its format in the mapping. The datetime
#: pattern is [U]: the docs show only the date one (`yyyy-MM-dd`).
ISO_FORMATS = {"date": "yyyy-MM-dd", "datetime": "yyyy-MM-dd'T'HH:mm:ssXXX"}
#: A lookup column holds the looked-up record's id (§3.3); `find_by` says so (§4.3 [U]).
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup"})


def writable(api_name: str, data_type: str, *, read_only: bool = False) -> bool:
    """Whether bulk write can set this field from a CSV column (API_NOTES §4.2)."""
    return not (
        read_only
        or api_name in UNWRITABLE_FIELDS
        or data_type in UNWRITABLE_TYPES
        or api_name.startswith("$")
        or api_name.lower() == "id"
    )


@dataclass(frozen=True)
class ColumnMapping:
    """One field mapping: a zero-based CSV column `index`, a `default_value`, or both."""

    api_name: str
    index: int | None = None
    default_value: Any = None
    find_by: str | None = None
    format: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"api_name": self.api_name}  # wire 10
        if self.index is not None:
            out["index"] = self.index
        if self.default_value is not None:
            out["default_value"] = {"value": self.default_value}
        if self.find_by:
            out["find_by"] = self.find_by
        if self.format:
            out["format"] = self.format
        return out


@dataclass(frozen=True)
class WriteResource:
    """One resource (module file) of a job with its counts (seed 003 `file`)."""

    module: str
    status: str
    file_name: str = ""
    added: int = 0
    updated: int = 0
    skipped: int = 0
    total: int = 0


@dataclass(frozen=True)
class BulkWriteStatus:
    """One poll of a bulk write job (seed 003, wire 11)."""

    id: str
    status: str  # ADDED | IN PROGRESS | COMPLETED | FAILED (INPROGRESS normalised)
    operation: str = ""
    resources: tuple[WriteResource, ...] = ()
    download_url: str | None = None

    @property
    def completed(self) -> bool:
        return self.status == "COMPLETED"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATES

    @property
    def finished(self) -> bool:
        return self.completed or self.failed


def _top_level(resp: ZohoResponse, what: str) -> Mapping[str, Any]:
    body = resp.body if isinstance(resp.body, Mapping) else {}
    if body.get("status") != "success":
        raise error_from_response(resp.status, body)
    details = body.get("details")
    if not isinstance(details, Mapping) or what not in details:
        raise ZohoError(
            "INVALID_RESPONSE", f"answer has no details.{what}", http_status=resp.status
        )
    return details


async def upload_file(client: ZohoClient, zip_path: Path, zgid: str) -> str:
    """Upload a zip (one CSV); its file id. Retried like a read: it creates no job."""

    def files() -> Mapping[str, tuple[str, Any, str]]:
        return {"file": (zip_path.name, zip_path.open("rb"), "application/zip")}

    resp = await client.request(
        "POST",
        endpoints.upload(),
        base="upload",
        headers={"feature": "bulk-write", "X-CRM-ORG": str(zgid)},  # API_NOTES §4.1
        files=files,
        safe=True,  # an orphan upload is harmless; a second job would not be
    )
    return as_id(_top_level(resp, "file_id")["file_id"])


async def create_bulk_write(
    client: ZohoClient,
    operation: str,
    module: str,
    file_id: str,
    *,
    find_by: str | None = None,
    field_mappings: Sequence[ColumnMapping] = (),
    ignore_empty: bool = False,
    character_encoding: str | None = None,
    callback_url: str | None = None,
) -> str:
    """Create an import job over an uploaded file; its id (201, top level, wire 10)."""
    resource: dict[str, Any] = {
        "type": "data",
        "module": {"api_name": module},
        "file_id": str(file_id),
        "ignore_empty": ignore_empty,
    }
    if find_by:
        resource["find_by"] = find_by
    if field_mappings:
        resource["field_mappings"] = [m.to_wire() for m in field_mappings]
    body: dict[str, Any] = {"operation": operation, "resource": [resource]}
    if character_encoding:
        body["character_encoding"] = character_encoding
    if callback_url:
        body["callback"] = {"url": callback_url, "method": "post"}
    resp = await client.request("POST", endpoints.bulk_write(), json_body=body)
    return as_id(_top_level(resp, "id")["id"])


def _resource(raw: Mapping[str, Any]) -> WriteResource:
    module = raw.get("module")
    file = sub(raw, "file")
    return WriteResource(
        module=str(module.get("api_name") or "") if isinstance(module, Mapping) else str(module),
        status=normalise_state(raw.get("status")),
        file_name=str(file.get("name") or ""),
        added=as_int(file.get("added_count")),
        updated=as_int(file.get("updated_count")),
        skipped=as_int(file.get("skipped_count")),
        total=as_int(file.get("total_count")),
    )


async def bulk_write_status(client: ZohoClient, job_id: str) -> BulkWriteStatus:
    """Poll a job (`GET /crm/bulk/v8/write/{id}`), a top-level object (seed 003)."""
    resp = await client.get(endpoints.bulk_write_job(job_id))
    body = resp.body if isinstance(resp.body, Mapping) else {}
    resources = body.get("resource")
    result = sub(body, "result")
    url = result.get("download_url")
    return BulkWriteStatus(
        id=as_id(body.get("id", job_id)),
        status=normalise_state(body.get("status")),
        operation=str(body.get("operation") or ""),
        resources=tuple(_resource(r) for r in resources or () if isinstance(r, Mapping)),
        download_url=str(url) if url else None,
    )


async def download_bulk_write_result(client: ZohoClient, download_url: str, dest: Path) -> Path:
    """Stream the result zip; an absolute URL is used as given, a relative one (seed 003)
    is joined to the api domain; the token is attached either way (API_NOTES §4.5)."""
    return await client.download(download_url, dest)


@dataclass(frozen=True)
class ResultRow:
    """One row of Zoho's result file."""

    status: str
    record_id: str
    errors: str


def result_rows(zip_path: Path) -> list[ResultRow]:
    """Zoho's per-row results, in upload order (the one file in the zip, whatever its name);
    ValueError when the file has no STATUS column."""
    with open_only_text(zip_path) as text:
        reader = csv.reader(text)
        header = [h.strip().upper() for h in next(reader, [])]
        at = {name: header.index(name) for name in RESULT_COLUMNS if name in header}
        if "STATUS" not in at:
            raise ValueError(f"{zip_path.name}: the result file has no STATUS column")

        def cell(row: list[str], name: str) -> str:
            i = at.get(name, -1)
            return row[i] if 0 <= i < len(row) else ""

        return [
            ResultRow(cell(r, "STATUS"), cell(r, "RECORD_ID"), cell(r, "ERRORS"))
            for r in reader
            if r
        ]


def outcome(row: ResultRow | None, number: int) -> RecordOutcome:
    """One row's outcome; `number` is its 1-based data row in the manifest's file."""
    details = {"row": number}
    if row is None:  # Zoho returned fewer rows than were uploaded
        return RecordOutcome("", "error", "UNPROCESSED", "no result row from Zoho", details)
    status = row.status.strip().upper()
    first_error = row.errors.split(":", 1)[0].split("-", 1)[0].strip()
    code = first_error or status or "UNPROCESSED"
    ok = status in SUCCESS
    return RecordOutcome(
        record_id=row.record_id.strip(),
        status="success" if ok else "error",
        code=code,
        message=row.errors,
        details=details,
    )
