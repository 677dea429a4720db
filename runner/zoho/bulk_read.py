"""Bulk read: create a job (201), poll it, download the zipped CSV page (API_NOTES §3).

Criteria arrive in the manifest form (`field: Last_Name`) and leave in the wire form
(`field: {api_name: Last_Name}`, wire 06). Downloads stream to disk, never whole in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.zoho import endpoints
from runner.zoho.client import ZohoClient
from runner.zoho.csvzip import open_only_file, open_only_text
from runner.zoho.errors import ZohoError
from runner.zoho.records import action_details, as_id, as_int, sub

# seeds README: "IN PROGRESS" (bulk read) and "INPROGRESS" (bulk write) are one state.
IN_PROGRESS = "IN PROGRESS"
FAILED_STATES = frozenset({"FAILURE", "FAILED"})  # bulk read says FAILURE (API_NOTES §3.2)


def normalise_state(value: Any) -> str:
    """Upper case, and every spelling of "in progress" as IN PROGRESS."""
    text = str(value or "").strip().upper()
    return IN_PROGRESS if text.replace(" ", "").replace("_", "") == "INPROGRESS" else text


@dataclass(frozen=True)
class BulkReadFailure:
    """Why Zoho says a bulk read job failed (`result.error_message`, API_NOTES §3.2), as
    sent; the executor words it into the run's `runner.results.JobError`."""

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkReadStatus:
    """One poll of a bulk read job (seed 004); `result` fields are set once COMPLETED."""

    id: str
    state: str  # ADDED | QUEUED | IN PROGRESS | COMPLETED | FAILURE
    page: int = 1
    count: int = 0
    more_records: bool = False
    next_page_token: str | None = None
    download_url: str | None = None
    error: BulkReadFailure | None = None

    @property
    def completed(self) -> bool:
        return self.state == "COMPLETED"

    @property
    def failed(self) -> bool:
        return self.state in FAILED_STATES

    @property
    def finished(self) -> bool:
        return self.completed or self.failed


def criteria_to_wire(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Manifest criteria (leaf or and/or group, nested) → the wire form of wire 06."""
    if "group" in criteria:
        return {
            "group_operator": str(criteria.get("group_operator", "and")),
            "group": [criteria_to_wire(c) for c in criteria["group"]],
        }
    name = criteria.get("field")
    wire_field = dict(name) if isinstance(name, Mapping) else {"api_name": str(name)}
    return {"field": wire_field, "comparator": criteria["comparator"], "value": criteria["value"]}


async def create_bulk_read(
    client: ZohoClient,
    module: str,
    *,
    fields: Sequence[str] = (),
    criteria: Mapping[str, Any] | None = None,
    cvid: str | None = None,
    page: int | None = None,
    page_token: str | None = None,
    file_type: str = "csv",
    callback_url: str | None = None,
) -> str:
    """Create an export job; its id. With `page_token` only the token is sent (API_NOTES §3.1)."""
    if page is not None and page_token is not None:
        raise ValueError("give page or page_token, not both")
    query: dict[str, Any]
    body: dict[str, Any]
    if page_token is not None:
        query = {"page_token": page_token}
        body = {"query": query}
    else:
        query = {"module": {"api_name": module}}
        if cvid:
            query["cvid"] = str(cvid)
        if fields:
            query["fields"] = list(fields)
        if criteria:
            query["criteria"] = criteria_to_wire(criteria)
        query["page"] = page or 1
        body = {"query": query, "file_type": file_type}
    if callback_url:
        body["callback"] = {"url": callback_url, "method": "post"}
    resp = await client.request("POST", endpoints.bulk_read(), json_body=body)
    details = action_details(resp)  # 201 {"data":[{details:{id,…}}],"info":{}}
    if "id" not in details:
        raise ZohoError("INVALID_RESPONSE", "bulk read answer has no job id")
    return as_id(details["id"])


async def bulk_read_status(client: ZohoClient, job_id: str) -> BulkReadStatus:
    """Poll a job (`GET /crm/bulk/v8/read/{id}`, seed 004, wire 07)."""
    resp = await client.get(endpoints.bulk_read_job(job_id))
    data = resp.body.get("data") if isinstance(resp.body, Mapping) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        raise ZohoError("INVALID_RESPONSE", "bulk read status has no data[] entry")
    job = data[0]
    result = sub(job, "result")
    error = None
    raw_error = result.get("error_message")
    if isinstance(raw_error, Mapping):
        details = raw_error.get("details")
        error = BulkReadFailure(
            code=str(raw_error.get("code") or ""),
            message=str(raw_error.get("message") or ""),
            details=dict(details) if isinstance(details, Mapping) else {},
        )
    token = result.get("next_page_token")
    url = result.get("download_url")
    return BulkReadStatus(
        id=as_id(job.get("id", job_id)),
        state=normalise_state(job.get("state")),
        page=as_int(result.get("page"), 1),
        count=as_int(result.get("count")),
        more_records=bool(result.get("more_records")),
        next_page_token=str(token) if token else None,
        download_url=str(url) if url else None,
        error=error,
    )


async def download_bulk_read(client: ZohoClient, job_id: str, dest: Path) -> Path:
    """Stream the result zip to `dest` (path built as the SDK does, wire 08)."""
    return await client.download(endpoints.bulk_read_result(job_id), dest)


def export_cell(value: Any) -> str:
    """A record value (as GET records sends it) in the form a bulk read CSV holds it
    (API_NOTES §3.3): empty for null, true/false, lookups and owners flattened to their
    id, multi-select values joined with `;` (as bulk write reads them back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    if isinstance(value, (list, tuple)):
        return ";".join(export_cell(v) for v in value)
    return str(value)


def id_column(header: Sequence[str]) -> int | None:
    """Where a bulk read CSV keeps the record id: `id`, sometimes spelt `Id` (§3.3)."""
    for i, name in enumerate(header):
        if name.strip().lower() == "id":
            return i
    return None


def iter_csv_rows(zip_path: Path) -> Iterator[list[str]]:
    """The rows (header first) of the one CSV in a result zip, read as a stream."""
    with open_only_text(zip_path, (".csv",)) as text:
        yield from csv.reader(text)


def iter_text(zip_path: Path, suffixes: tuple[str, ...] = (".ics",)) -> Iterator[str]:
    """The one data file in a result zip as text, in chunks (ICS pages are joined as is)."""
    with open_only_text(zip_path, suffixes) as text:
        while chunk := text.read(1 << 16):
            yield chunk


def extract_member(
    zip_path: Path, dest: Path, suffixes: tuple[str, ...] = (".csv", ".ics")
) -> Path:
    """Copy the one data file out of a result zip to `dest`, in chunks."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_only_file(zip_path, suffixes) as src, dest.open("wb") as out:
        while chunk := src.read(1 << 16):
            out.write(chunk)
    return dest
