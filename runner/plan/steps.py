"""One job → its steps: the calls, batches, polls and credits each job kind makes.

Paths are the client's own (runner/zoho/endpoints.py), with `{job_id}` where Zoho's id
will go; they are named for the reviewer only (the executor builds real calls there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.manifest.model import (
    AnyJob,
    BulkReadJob,
    BulkWriteJob,
    MassDeleteJob,
    MassUpdateJob,
)
from runner.manifest.rules_paths import replaces
from runner.manifest.template_env import from_env_label
from runner.plan import csvparts
from runner.plan.backup_steps import backup_steps
from runner.plan.model import Selector, Step
from runner.plan.values import quoted
from runner.zoho import endpoints
from runner.zoho.endpoints import JOB_ID
from runner.zoho.limits import (
    AUTOMATION_MAX_RECORDS,
    BULK_READ_PAGE_ROWS,
    BULK_WRITE_MAX_ROWS,
    BULK_WRITE_MAX_ZIP_BYTES,
    CREDITS_BULK_READ_INIT,
    CREDITS_BULK_WRITE_INIT,
    MASS_IDS_PER_CALL,
)

POLL_NOTE = "each poll costs 1 credit; polls are not counted"


@dataclass(frozen=True)
class Steps:
    """What a kind's planner found: steps, selection, counts and remarks."""

    selector: Selector
    record_count: int | None
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    credits_estimated: bool = False


def _value(job: MassUpdateJob, field: str, value: Any) -> str:
    """A value as the plan shows it: one built from ZCRM_VAR_* variables by their names
    only, since plans are posted for review (issue 9); apply renders it again."""
    names = job.env_names("values", field)
    return from_env_label(names) if names else quoted(value)


def mass_ids(job: MassUpdateJob | MassDeleteJob) -> tuple[str, ...]:
    # Validation reads an ids_file into `ids` (rules_ids.read_ids_file, with line-exact
    # errors), so a job that names one already carries its ids here.
    return tuple(job.ids or ())


# runner/execute/drivers/evidence.py: the view is read before the schedule is sent.
EVIDENCE_NOTE = (
    "before scheduling, apply counts the view and reads it (up to 2,000 records, 1-10 GETs) "
    "so that a lost answer can be settled from the records, never by a second job"
)


def mass_steps(job: MassUpdateJob | MassDeleteJob, cvid_count: int | None) -> Steps:
    """Mass update / mass delete: one POST per 500 ids, or one scheduled job by cvid."""
    update = isinstance(job, MassUpdateJob)
    verb = "update" if update else "delete"
    path = endpoints.mass_update(job.module) if update else endpoints.mass_delete(job.module)
    head = ""
    if isinstance(job, MassUpdateJob):
        values: Mapping[str, Any] = job.values
        head = "data: " + ", ".join(f"{k}={_value(job, k, v)}" for k, v in values.items()) + "; "
        head += "over_write: true; " if job.over_write else ""
    # API_NOTES §5.4 [U]: mass update/delete credit costs are not documented
    notes = ["cost of mass calls is not documented: 1 credit per call is an estimate"]
    if isinstance(job, MassDeleteJob):
        # DESIGN mass_delete: the plan shows the 60-day Recycle Bin window
        notes.append("deleted records go to the Recycle Bin, which keeps them for 60 days")
    backup = backup_steps(job, cvid_count)  # issue 12: read before the first POST
    notes += backup.notes
    first = len(backup.steps)
    if job.cvid is None:
        ids = mass_ids(job)
        steps = backup.steps + tuple(
            Step(
                seq=first + n,
                method="POST",
                path=path,
                purpose=f"{verb} {len(ids[i : i + MASS_IDS_PER_CALL])} records by id",
                batch=n,
                batch_size=len(ids[i : i + MASS_IDS_PER_CALL]),
                body_summary=f"{head}ids: {len(ids[i : i + MASS_IDS_PER_CALL])}",
            )
            for n, i in enumerate(range(0, len(ids), MASS_IDS_PER_CALL), 1)
        )
        return Steps("ids", len(ids), steps, notes=tuple(notes), credits_estimated=True)
    where = f"cvid: {job.cvid}"
    if job.territory is not None:
        child = " (+ child territories)" if job.territory.include_child else ""
        where += f"; territory: {job.territory.id}{child}"
    warnings: list[str] = []
    if cvid_count is None:
        notes.append("record count unknown offline: plan --online counts the view")
    elif job.territory is not None:
        # API_NOTES §6: the count endpoint takes a cvid only, not a territory.
        notes.append(f"{cvid_count:,} is the whole view's count; the territory narrows it")
    if cvid_count is not None and cvid_count > AUTOMATION_MAX_RECORDS:
        warnings.append(
            f"{cvid_count:,} records: a cvid job over {AUTOMATION_MAX_RECORDS:,} records runs no "
            "workflows, approvals or blueprints"
        )
    notes.append(POLL_NOTE)
    notes.append(EVIDENCE_NOTE)
    steps = (
        *backup.steps,
        Step(
            first + 1,
            "POST",
            path,
            f"schedule a mass {verb} job",
            batch_size=cvid_count,
            body_summary=f"{head}{where}",
        ),
        # seed 000 / seed 001: status is polled by job_id until COMPLETED or FAILED
        Step(
            first + 2,
            "GET",
            f"{path}?job_id={{job_id}}",
            "poll until COMPLETED or FAILED",
            polls=True,
        ),
    )
    return Steps("cvid", cvid_count, steps, tuple(warnings), tuple(notes), True)


def _human(size: int) -> str:
    for unit in ("B", "kB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:,.0f} {unit}"
        size //= 1024
    return f"{size} MB"


def _add(steps: list[Step], method: str, path: str, purpose: str, **extra: Any) -> None:
    """Append a step numbered after the ones before it."""
    steps.append(Step(len(steps) + 1, method, path, purpose, **extra))


def bulk_read_steps(job: BulkReadJob, count: int | None) -> Steps:
    """Bulk read: create, poll, download; once per page of 200,000 records."""
    pages = max(1, -(-count // BULK_READ_PAGE_ROWS)) if count is not None else 1
    what = [f"module: {job.module}", f"file_type: {job.file_type}"]
    what += [f"fields: {len(job.fields)}"] if job.fields else ["fields: all"]
    what += ["criteria"] if job.criteria else []
    what += [f"cvid: {job.cvid}"] if job.cvid else []
    steps: list[Step] = []
    for page in range(1, pages + 1):
        size = (
            None
            if count is None
            else min(BULK_READ_PAGE_ROWS, count - (page - 1) * BULK_READ_PAGE_ROWS)
        )
        # API_NOTES §3.1: a continuation sends only the previous job's page_token
        body = "query: " + ", ".join(what) if page == 1 else "query: page_token of page before"
        at = {"batch": page, "batch_size": size}
        _add(
            steps,
            "POST",
            endpoints.bulk_read(),
            f"create export job, page {page}",
            **at,
            body_summary=body,
            credits=CREDITS_BULK_READ_INIT,
        )
        # seed 004: ADDED → QUEUED → IN PROGRESS → COMPLETED / FAILURE
        _add(
            steps,
            "GET",
            endpoints.bulk_read_job(JOB_ID),
            "poll until COMPLETED or FAILURE",
            **at,
            polls=True,
        )
        _add(steps, "GET", endpoints.bulk_read_result(JOB_ID), "download the zipped CSV", **at)
    notes = [POLL_NOTE, f"pages are joined into {job.output.name}"]
    replaced = replaces(job.output)  # issue 9: an existing file is never replaced silently
    notes += [replaced] if replaced else []
    if count is None:
        notes.insert(0, f"1+ pages: every {BULK_READ_PAGE_ROWS:,} records add a page (+51 credits)")
    return Steps("query", count, tuple(steps), (), tuple(notes), count is None)


def bulk_write_steps(job: BulkWriteJob) -> Steps:
    """Bulk write: read the org id, then upload, create, poll, download per CSV part."""
    lay = csvparts.layout(job.file, encoding=job.character_encoding)
    create = f"operation: {job.operation}; resource: {job.module}"
    create += f"; find_by: {job.find_by}" if job.find_by else ""
    create += f"; field_mappings: {len(job.field_mappings) or 'by header'}"
    steps: list[Step] = []
    # API_NOTES §4.1, §6: the upload needs X-CRM-ORG, the zgid from GET /org
    _add(steps, "GET", endpoints.org(), "read the org's zgid for X-CRM-ORG")
    for part in lay.parts:
        at = {"batch": part.index, "batch_size": part.rows}
        upload = f"zip of {part.rows:,} rows, ~{_human(part.zip_bytes)}"
        _add(
            steps,
            "POST",
            endpoints.upload(),
            f"upload part {part.index}",
            **at,
            body_summary=upload,
            host="upload",
        )
        _add(
            steps,
            "POST",
            endpoints.bulk_write(),
            "create the import job",
            **at,
            body_summary=create,
            credits=CREDITS_BULK_WRITE_INIT,
        )
        # seed 003: ADDED → INPROGRESS → COMPLETED / FAILED
        _add(
            steps,
            "GET",
            endpoints.bulk_write_job(JOB_ID),
            "poll until COMPLETED or FAILED",
            **at,
            polls=True,
        )
        # API_NOTES §4.5: result.download_url is absolute, on another host
        _add(steps, "GET", "{download_url}", "download the per-row result", **at, host="download")
    warnings: list[str] = []
    if len(lay.parts) > 1:
        warnings.append(
            f"{lay.rows:,} rows split into {len(lay.parts)} Zoho jobs (≤ {BULK_WRITE_MAX_ROWS:,} "
            f"rows and ≤ {BULK_WRITE_MAX_ZIP_BYTES // 2**20} MB zipped each); a failed part does "
            "not undo the others"
        )
    notes = [f"{job.file.name}: {lay.rows:,} rows, {len(lay.header)} columns", POLL_NOTE]
    return Steps("file", lay.rows, tuple(steps), tuple(warnings), tuple(notes))


def job_steps(job: AnyJob, *, cvid_count: int | None, read_count: int | None) -> Steps:
    """Dispatch on the job's kind."""
    if isinstance(job, BulkReadJob):
        return bulk_read_steps(job, read_count)
    if isinstance(job, BulkWriteJob):
        return bulk_write_steps(job)
    return mass_steps(job, cvid_count)
