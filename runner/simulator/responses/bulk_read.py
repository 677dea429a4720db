"""`/crm/bulk/{v}/read`: create (201), status (seed 004), `/result` zip download (§3.3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response, StreamingResponse

from runner.simulator import exceptions as e
from runner.simulator.auth import module_scope_name
from runner.simulator.csvzip import csv_lines, stream_zip
from runner.simulator.models import bulk_read as model
from runner.simulator.models.values import iso
from runner.simulator.responses.base import Ctx, json_response, require_json_content

READ_SCOPE = "ZohoCRM.bulk.read"  # API_NOTES §3.1 (also .READ / .ALL)


async def create(ctx: Ctx) -> Response:
    ctx.token()
    require_json_content(ctx)  # API_NOTES §1.2: 415 MEDIA_TYPE_NOT_SUPPORTED without it
    body = await ctx.json(invalid=e.SimInvalidRequest)
    user = ctx.auth(READ_SCOPE)
    mod = model.module_of(ctx.org, body)
    ctx.auth(f"ZohoCRM.modules.{module_scope_name(mod.api_name)}.READ")
    job = model.create(ctx.org, user, body, ctx.now)
    details = {
        "id": job.id,
        "operation": "read",
        "state": job.state(),
        "created_by": user.ref(),
        "created_time": iso(job.created_at),
    }
    entry = {"status": "success", "code": "ADDED_SUCCESSFULLY", "message": "Added successfully.",
             "details": details}  # fmt: skip
    return json_response({"data": [entry], "info": {}}, 201)  # API_NOTES §3.1: HTTP 201


def describe(ctx: Ctx, job: model.SimBulkReadJob) -> dict[str, Any]:
    """The job as seed 004 shows it; `result` only once COMPLETED (or FAILURE)."""
    body: dict[str, Any] = {
        "id": job.id,
        "operation": "read",
        "state": job.state(),
        "query": job.query,
        "created_by": ctx.org.user(job.user_id).ref(),
        "created_time": iso(job.created_at),
        "file_type": job.file_type,
    }
    if job.callback is not None:
        body["callback"] = job.callback
    if body["state"] == "COMPLETED":
        version = ctx.params.get("v", "v8")
        result: dict[str, Any] = {
            "page": job.page,
            "per_page": model.PER_PAGE,
            "count": job.total,
            # relative (§3.2), unless a test set a foreign base (/__sim__/download_base)
            "download_url": f"{ctx.download_base() or ''}/crm/bulk/{version}/read/{job.id}/result",
            "more_records": job.more,
        }
        if job.next_token is not None:
            result["next_page_token"] = job.next_token
        body["result"] = result
    elif body["state"] == "FAILURE":  # API_NOTES §3.2 "Sample callback for job failed"
        failure = e.SimInternalError("Internal server error occurred.").body()
        body["result"] = {"error_message": {**failure, "code": "INTERNAL_SERVER_ERROR"}}
    return body


async def status(ctx: Ctx) -> Response:
    ctx.auth(READ_SCOPE)
    job = model.find(ctx.org, ctx.params["job_id"])
    return json_response({"data": [describe(ctx, job)]})


async def download(ctx: Ctx) -> Response:
    """A zip holding `{job_id}.csv`, built while it streams (API_NOTES §3.3, §9.4)."""
    ctx.auth(READ_SCOPE)
    job = model.start_download(ctx.org, ctx.params["job_id"], ctx.now)
    lines: Iterable[str]
    if job.file_type == "ics":
        name, lines = f"{job.id}.ics", model.ics_lines(ctx.org, job)
    else:
        name, lines = f"{job.id}.csv", csv_lines(model.rows(ctx.org, job))
    return StreamingResponse(
        stream_zip(name, lines),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{job.id}.zip"'},
    )
