"""Bulk write: uploads, job creation checks, and row-by-row import when the job reaches a row.

Sources: API_NOTES §4.1 (upload), §4.2 (zip/CSV limits), §4.3 (create), §4.4-§4.5
(details, result CSV), seed 003.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.csvzip import BadZip, read_csvs
from runner.simulator.jobs import SimJob
from runner.simulator.models.bulk_rows import Resource, import_row
from runner.simulator.models.org import SimOrg, UploadedFile
from runner.simulator.models.views import SimUser
from runner.zoho.limits import BULK_WRITE_MAX_COLUMNS, BULK_WRITE_MAX_ROWS, BULK_WRITE_MAX_ZIP_BYTES

OPERATIONS = ("insert", "update", "upsert")


def upload(org: SimOrg, filename: str, data: bytes, now: float) -> UploadedFile:
    if len(data) > BULK_WRITE_MAX_ZIP_BYTES:
        raise e.SimFileTooLarge(details={"max_size": BULK_WRITE_MAX_ZIP_BYTES})
    try:
        csvs = read_csvs(data)
    except BadZip:
        raise e.SimInvalidFileFormat(details={"api_name": "file"}) from None
    for name, (header, rows) in csvs.items():
        if len(header) > BULK_WRITE_MAX_COLUMNS:
            raise e.SimHeaderLimitExceeded(
                details={"max_limit": BULK_WRITE_MAX_COLUMNS, "file": name}
            )
        if len(rows) > BULK_WRITE_MAX_ROWS:
            raise e.SimLimitExceeded(
                f"the file has more than {BULK_WRITE_MAX_ROWS} rows",
                {"max_limit": BULK_WRITE_MAX_ROWS, "file": name},
            )
    up = UploadedFile(id=org.new_id(), name=filename, created_at=now, csvs=csvs)
    org.files[up.id] = up
    return up


@dataclass
class SimBulkWriteJob(SimJob):
    operation: str = "insert"
    resources: list[Resource] = field(default_factory=list)
    callback: dict[str, Any] | None = None
    character_encoding: str = "UTF-8"
    org: SimOrg | None = field(default=None, repr=False, compare=False)

    def locate(self, index: int) -> tuple[Resource, int]:
        for res in self.resources:
            if index < len(res.rows):
                return res, index
            index -= len(res.rows)
        raise IndexError(index)

    def step(self, index: int, at: float) -> bool:
        assert self.org is not None
        res, i = self.locate(index)
        status = import_row(self.org, res, self.operation, i, at, self.user_id)
        return status != "SKIPPED"


def create(org: SimOrg, user: SimUser, body: Any, now: float) -> SimBulkWriteJob:
    if not isinstance(body, dict):
        raise e.SimInvalidRequest(details={})
    operation = body.get("operation")
    if operation is None:
        raise e.SimMandatoryNotFound(
            "required key operation is not found in request body.", {"api_name": "operation"}
        )
    if operation not in OPERATIONS:
        raise e.SimInvalidData("invalid operation", {"api_name": "operation"})
    specs = body.get("resource")
    if not isinstance(specs, list) or not specs:
        raise e.SimMandatoryNotFound(details={"api_name": "resource", "json_path": "$.resource"})
    callback = body.get("callback")
    if callback is not None and (
        not isinstance(callback, dict) or str(callback.get("method", "post")).lower() != "post"
    ):
        raise e.SimInvalidCallbackMethod(details={"supported_callback_methods": ["post"]})
    resources = [
        Resource.parse(org, spec, operation, i, body.get("ignore_empty", False))
        for i, spec in enumerate(specs)
    ]
    job = SimBulkWriteJob(
        id=org.new_id(), kind="bulk_write", module=resources[0].mod.api_name, created_at=now,
        total=sum(len(r.rows) for r in resources), rate=org.timing.write_rate,
        dwell=org.timing.dwell, user_id=user.id, operation=operation, resources=resources,
        callback=callback, character_encoding=str(body.get("character_encoding", "UTF-8")),
        org=org,
    )  # fmt: skip
    org.add_job(job)
    return job


def find(org: SimOrg, job_id: str) -> SimBulkWriteJob:
    job = org.jobs.get(job_id)
    if not isinstance(job, SimBulkWriteJob):
        raise e.SimResourceNotFound(details={"resource": "job_id", "id": job_id})
    return job
