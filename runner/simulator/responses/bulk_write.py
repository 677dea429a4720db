"""Bulk write: upload (§4.1), create (201, §4.3), details (seed 003), result zip (§4.5).

Upload, create and details answer top-level objects, not `data[]` (API_NOTES §1.4).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from starlette.responses import Response

from runner.simulator import exceptions as e
from runner.simulator.csvzip import csv_lines
from runner.simulator.models import bulk_write as model
from runner.simulator.models.bulk_rows import Resource
from runner.simulator.models.values import iso
from runner.simulator.responses.base import Ctx, json_response, require_json_content
from runner.zoho.limits import BULK_WRITE_MAX_ZIP_BYTES

CREATE_SCOPE = "ZohoCRM.bulk.CREATE"  # seed 003 (or ZohoCRM.bulk.ALL)
UPLOAD_SCOPE = "ZohoFiles.files.ALL"  # API_NOTES §4.1


def _file_part(content_type: str, body: bytes) -> tuple[str, bytes]:
    """The multipart part named `file` as (filename, bytes); no python-multipart needed."""
    marker = "boundary="
    if not content_type.lower().startswith("multipart/form-data") or marker not in content_type:
        raise e.SimMandatoryNotFound(details={"api_name": "file"})
    boundary = content_type.split(marker, 1)[1].split(";")[0].strip().strip('"')
    for part in body.split(b"--" + boundary.encode()):
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = head.decode("utf-8", "replace").lower()
        if 'name="file"' not in headers:
            continue
        original = head.decode("utf-8", "replace")
        name = (
            original.split('filename="', 1)[1].split('"', 1)[0] if "filename=" in original else ""
        )
        return name, data[:-2] if data.endswith(b"\r\n") else data
    raise e.SimMandatoryNotFound(details={"api_name": "file"})


async def upload(ctx: Ctx) -> Response:
    ctx.auth(UPLOAD_SCOPE)
    if ctx.header("feature") != "bulk-write" or ctx.header("x-crm-org") != ctx.org.zgid:
        raise e.SimUploadHeadersInvalid()  # API_NOTES §4.1: headers feature, X-CRM-ORG
    body = await ctx.body()
    if len(body) > BULK_WRITE_MAX_ZIP_BYTES + 64 * 1024:
        raise e.SimFileTooLarge(details={"max_size": BULK_WRITE_MAX_ZIP_BYTES})
    name, data = _file_part(ctx.header("content-type") or "", body)
    up = model.upload(ctx.org, name, data, ctx.now)
    return json_response(
        {
            "status": "success",
            "code": "FILE_UPLOAD_SUCCESS",
            "message": "file uploaded.",
            "details": {"file_id": up.id, "created_time": iso(up.created_at)},
        }
    )


async def create(ctx: Ctx) -> Response:
    ctx.token()
    require_json_content(ctx)
    body = await ctx.json(invalid=e.SimInvalidRequest)
    user = ctx.auth(CREATE_SCOPE)
    job = model.create(ctx.org, user, body, ctx.now)
    return json_response(
        {
            "status": "success",
            "code": "SUCCESS",
            "message": "success",
            "details": {"id": job.id, "created_by": user.ref()},
        },
        201,
    )


def _resource(job: model.SimBulkWriteJob, res: Resource, state: str, done: int) -> dict[str, Any]:
    if state == "ADDED":
        status = "ADDED"
    elif state == "FAILED":
        status = "FAILED"
    else:
        status = "COMPLETED" if done >= len(res.rows) else "INPROGRESS"
    mappings = [
        {"api_name": m.get("api_name"), "index": m.get("index"), "format": m.get("format"),
         "find_by": m.get("find_by"), "default_value": m.get("default_value")}
        for m in res.spec.get("field_mappings") or []
    ]  # fmt: skip
    file: dict[str, Any] = {"status": status, "name": res.file_name}
    if state != "ADDED":
        file.update(
            added_count=res.added, skipped_count=res.skipped, updated_count=res.updated,
            total_count=len(res.rows),
        )  # fmt: skip
    entry: dict[str, Any] = {
        "status": status,
        "code": "SUCCESS" if status == "COMPLETED" else "ADDED",  # seed 003 samples
        "type": "data",
        "module": {"api_name": res.mod.api_name, "id": res.mod.id},
        "file_id": res.spec.get("file_id"),
        "field_mappings": mappings,
        "ignore_empty": res.ignore_empty,
        "file": file,
    }
    if res.find_by:
        entry["find_by"] = res.find_by
    return entry


def download_url(ctx: Ctx, job_id: str) -> str:
    """Absolute, on this server (wire/README: a relative one is sent as `GET //path`), or
    on the base a test set with `/__sim__/download_base`."""
    base = ctx.download_base() or ctx.base_url()
    return f"{base}/v2/crm/{ctx.org.zgid}/bulk-write/{job_id}/{job_id}.zip"


async def status(ctx: Ctx) -> Response:
    ctx.auth(CREATE_SCOPE)
    job = model.find(ctx.org, ctx.params["job_id"])
    state = job.state()
    resources, left = [], job.applied
    for res in job.resources:
        resources.append(_resource(job, res, state, min(left, len(res.rows))))
        left = max(0, left - len(res.rows))
    body: dict[str, Any] = {
        "status": state,
        "character_encoding": job.character_encoding,
        "resource": resources,
        "id": job.id,
    }
    if job.callback is not None:
        body["callback"] = job.callback
    if state == "COMPLETED":
        body["result"] = {"download_url": download_url(ctx, job.id)}
    body.update(
        created_by=ctx.org.user(job.user_id).ref(), operation=job.operation,
        created_time=iso(job.created_at),
    )  # fmt: skip
    return json_response(body)


def _result_lines(res: Resource) -> list[str]:
    cols = res.result_columns()
    rows = [[*(res.header[c] for c in cols), "STATUS", "RECORD_ID", "ERRORS"]]
    for row, (status, rid, errors) in zip(res.rows, res.results, strict=True):
        rows.append([*(row[c] if c < len(row) else "" for c in cols), status, rid, errors])
    return list(csv_lines(rows))


async def download(ctx: Ctx) -> Response:
    """The result zip: one CSV per resource, `<module>-<file>` (API_NOTES §4.5)."""
    ctx.auth(CREATE_SCOPE)
    if ctx.params["zgid"] != ctx.org.zgid:
        raise e.SimInvalidUrlPattern()
    job = model.find(ctx.org, ctx.params["job_id"])
    if job.state() != "COMPLETED":
        raise e.SimResourceNotFound(details={"resource": "result", "id": job.id})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for res in job.resources:
            zf.writestr(f"{res.mod.api_name}-{res.file_name}", "".join(_result_lines(res)))
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{job.id}.zip"'},
    )
