"""The backup a destructive job takes before its first POST, as plan steps with credits.

The same reads `runner/execute/drivers/backup.py` makes (issue 12): the module's fields
(one GET), then for a mass update by ids its fields by id (100 ids a GET), and for a job
by view or a delete by ids a bulk read (50 credits a page of 200,000 records): of the
view, or of the whole module kept to the job's ids. The steps come first in the job's
plan, so the calls and credits the plan adds up include them.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.manifest.model import MassDeleteJob, MassUpdateJob
from runner.plan.model import Step
from runner.zoho import endpoints
from runner.zoho.endpoints import JOB_ID
from runner.zoho.limits import (
    BULK_READ_PAGE_ROWS,
    CREDITS_BULK_READ_INIT,
    CREDITS_CALL,
    GET_IDS_PER_CALL,
)

PURPOSE = "backup: "  # every backup step's purpose starts so
OPT_OUT = "`backup: false` on the job skips it"


@dataclass(frozen=True)
class BackupPlan:
    """A job's backup steps (numbered from 1), what they say, and whether the cost is a
    guess (pages of an export whose size only the org knows)."""

    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    estimated: bool = False


def backup_steps(job: MassUpdateJob | MassDeleteJob, cvid_count: int | None) -> BackupPlan:
    """The backup's steps, or none with `backup: false`."""
    if not job.backup:
        return BackupPlan(notes=("no backup (backup: false): `zcrm-runner revert` cannot undo it",))
    steps = [
        Step(
            1, "GET", f"{endpoints.fields()}?module={job.module}",
            f"{PURPOSE}read the module's fields (which are writable, their types)",
        )
    ]  # fmt: skip
    where = f"reports/<run_id>/backups/{job.name}.csv"
    if isinstance(job, MassUpdateJob) and job.cvid is None:
        ids, fields = tuple(job.ids or ()), ", ".join(job.values)
        for n, start in enumerate(range(0, len(ids), GET_IDS_PER_CALL), 1):
            size = len(ids[start : start + GET_IDS_PER_CALL])
            steps.append(
                Step(
                    len(steps) + 1, "GET", endpoints.records(job.module),
                    f"{PURPOSE}read the current {fields} by id", batch=n, batch_size=size,
                    body_summary=f"ids: {size}; fields: {fields}",
                )
            )  # fmt: skip
        credits = sum(s.credits for s in steps)
        note = f"backup first: {fields} of every id into {where} ({credits:,} credits; {OPT_OUT})"
        return BackupPlan(tuple(steps), (note,))
    export = _export(job, cvid_count, len(steps))
    steps += export
    what = "the view" if job.cvid is not None else "the module, kept to the job's ids"
    fields = ", ".join(job.values) if isinstance(job, MassUpdateJob) else "every field"
    credits = sum(s.credits for s in steps)
    more = "" if job.cvid is not None and cvid_count is not None else "; 1+ pages"
    note = (
        f"backup first: a bulk read of {what} ({fields}) into {where} "
        f"(~{credits:,} credits{more}; {OPT_OUT})"
    )
    notes = [note]
    if job.cvid is not None and job.territory is not None:
        notes.append("the backup holds the whole view: a territory cannot narrow a bulk read")
    estimated = job.cvid is None or cvid_count is None
    return BackupPlan(tuple(steps), tuple(notes), estimated)


def _export(job: MassUpdateJob | MassDeleteJob, count: int | None, before: int) -> list[Step]:
    """Create, poll, download: once per page of 200,000 records (one when unknown)."""
    known = count if job.cvid is not None else None
    pages = max(1, -(-known // BULK_READ_PAGE_ROWS)) if known is not None else 1
    query = f"cvid: {job.cvid}" if job.cvid is not None else f"module: {job.module}"
    fields = f"fields: {len(job.values)}" if isinstance(job, MassUpdateJob) else "fields: all"
    steps: list[Step] = []
    for page in range(1, pages + 1):
        size = None
        if known is not None:
            size = min(BULK_READ_PAGE_ROWS, known - (page - 1) * BULK_READ_PAGE_ROWS)
        seq = before + len(steps)
        body = f"query: {query}, {fields}" if page == 1 else "query: page_token of page before"
        steps += [
            Step(seq + 1, "POST", endpoints.bulk_read(), f"{PURPOSE}export, page {page}",
                 batch=page, batch_size=size, body_summary=body, credits=CREDITS_BULK_READ_INIT),
            Step(seq + 2, "GET", endpoints.bulk_read_job(JOB_ID),
                 f"{PURPOSE}poll the export until COMPLETED", batch=page, batch_size=size,
                 polls=True),
            Step(seq + 3, "GET", endpoints.bulk_read_result(JOB_ID),
                 f"{PURPOSE}download the zipped CSV", batch=page, batch_size=size,
                 credits=CREDITS_CALL),
        ]  # fmt: skip
    return steps
