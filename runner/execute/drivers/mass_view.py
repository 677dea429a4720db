"""A mass job by custom view (seed 002 scheduler type; API_NOTES §2): one scheduled Zoho job.

Size the view first (over 50,000 records is refused before anything is scheduled), take
the job's backup (backup.py), journal a sample of the view (evidence.py), schedule under
the journal, then poll the status to COMPLETED/FAILED. ALREADY_SCHEDULED means another
job still runs on that view: wait and ask again, never create a second job. A Zoho job id
once answered is polled by every later attempt (resume after a deadline, a crash, a
refused token). A schedule whose answer was lost is settled from evidence: APPLIED ends
the job (counted from the records when the sample was the whole view), NOT_APPLIED sends
it again under the ALREADY_SCHEDULED guard, anything else is OUTCOME_UNKNOWN and waits
for the user's `--replace` (no list-jobs endpoint, API_NOTES §8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from runner.execute.context import POLL_RETRY_ON, Answered, JobContext, Lost, Recorded
from runner.execute.drivers import evidence
from runner.execute.drivers.backup import ensure_backup
from runner.execute.journal import RequestSummary
from runner.execute.poll import poll_until
from runner.outcome import OUTCOME_UNKNOWN
from runner.results import JobError, JobResult, JobStatus
from runner.zoho import metadata
from runner.zoho.errors import AlreadyScheduled, AuthError, NoRecordsFound, ZohoError
from runner.zoho.limits import AUTOMATION_MAX_RECORDS, MASS_MAX_RECORDS
from runner.zoho.records import MassJobStatus

MAX_PROBES = 5  # answers lost in a row before the job is reported as unknown
MAX_VIEW_RECORDS = MASS_MAX_RECORDS
#: After a lost schedule that evidence shows ran: looks at the sample, this many seconds
#: apart, until two agree (the job has ended); at most this many looks before resume.
SETTLE_WAIT = 5.0
SETTLE_CHECKS = 60


class ViewOps(Protocol):
    """What a mass driver tells the view flow: its request and Zoho calls."""

    def path(self, module: str) -> str: ...

    def body(self, job: Any, ids: Sequence[str] | None) -> dict[str, Any]: ...

    async def judge(self, ctx: JobContext, base: Mapping[str, Any]) -> evidence.Evidence: ...

    async def outsiders(self, ctx: JobContext, base: Mapping[str, Any]) -> int | None: ...

    async def schedule(self, ctx: JobContext) -> str: ...

    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus: ...


async def run_by_view(ops: ViewOps, ctx: JobContext) -> JobResult:
    """Count the view, schedule once (journaled, settled from evidence if its answer is
    lost), poll the Zoho job to its end (seed 000/001)."""
    job = ctx.job
    cvid = str(getattr(job, "cvid", ""))
    ctx.progress.job_started(ctx.name, total=None, detail=f"custom view {cvid}")
    count: int | None = None
    if ctx.accepted("schedule") is None:  # a job Zoho already took is polled as it is
        refused, count = await _too_big(ctx, cvid)
        if refused is not None:
            return _failed(ctx, refused)
        stopped = await ensure_backup(ctx)  # issue 12: after the size check, before the schedule
        if stopped is not None:
            return stopped
    scheduled = await _schedule(ops, ctx, count)
    if isinstance(scheduled, JobResult):
        return scheduled
    intent, job_id = scheduled
    ctx.progress.note(ctx.name, f"Zoho job {job_id} scheduled")

    def seen(value: MassJobStatus, polls: int) -> None:
        counts = {"total": value.total, "done": value.done, "failed": value.failed}
        ctx.on_poll(intent, value.status, counts)
        ctx.progress.job_advanced(
            ctx.name, done=value.done + value.failed, total=value.total or None,
            state=value.status,
        )  # fmt: skip

    polled = await poll_until(
        lambda: ops.status(ctx, job_id), lambda s: s.finished, clock=ctx.clock,
        deadline=ctx.deadline, backoff=ctx.poll_backoff, on_poll=seen,
        retry_on=POLL_RETRY_ON,
    )  # fmt: skip
    last = polled.value
    counts = _counts(last)
    base = ctx.result("RUNNING", zoho_job_ids=(job_id,), counts=counts)
    if not polled.done or last is None:
        return base
    if last.status == "FAILED":
        why = f"Zoho reported job {job_id} FAILED after {last.done} of {last.total} records"
        return _replace(base, "FAILED", errors=(JobError("JOB_FAILED", why),))
    if last.failed:
        return _replace(base, "PARTIAL" if last.done else "FAILED")
    return _replace(base, "COMPLETED")


async def _too_big(ctx: JobContext, cvid: str) -> tuple[JobError | None, int | None]:
    """The view's size, checked before scheduling (a territory only narrows it)."""
    try:
        count = await metadata.record_count(ctx.client, ctx.job.module, cvid)
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        ctx.progress.note(ctx.name, f"could not count the view first ({exc.code}); going on")
        return None, None
    if count > MAX_VIEW_RECORDS and getattr(ctx.job, "territory", None) is None:
        return JobError(
            "LIMIT_EXCEEDED",
            f"custom view {cvid} holds {count:,} records; a mass job takes at most "
            f"{MAX_VIEW_RECORDS:,} (seed 002): narrow the view or split it",
            {"count": count},
        ), count
    if count > AUTOMATION_MAX_RECORDS:
        ctx.progress.note(ctx.name, f"{count} records: Zoho runs no workflows for > 1,000")
    return None, count


async def _schedule(
    ops: ViewOps, ctx: JobContext, count: int | None
) -> tuple[Any, str] | JobResult:
    """Schedule the job once: an id Zoho already gave is polled, a lost answer is settled
    from evidence (evidence.py), and ALREADY_SCHEDULED is waited out, never doubled."""
    known = ctx.accepted("schedule")
    if known is not None and known.zoho_job_id is not None:
        ctx.progress.note(ctx.name, f"Zoho job {known.zoho_job_id} was scheduled before")
        return known, known.zoho_job_id
    summary = RequestSummary.of(
        "POST", ops.path(ctx.job.module), json.dumps(ops.body(ctx.job, None), sort_keys=True)
    )
    fields = list(getattr(ctx.job, "values", None) or ())  # what an update sets
    cvid = str(getattr(ctx.job, "cvid", ""))
    # A sample read after a request was already sent would show its effects as "before":
    # without the one journaled ahead of it, a lost answer stays OUTCOME_UNKNOWN.
    sent = ctx.earlier("schedule") is not None
    narrowed = getattr(ctx.job, "territory", None) is not None
    base = await evidence.take_baseline(
        ctx, cvid, fields, read=not sent, count=count, narrowed=narrowed
    )
    sends = waits = 0
    lost: Lost | None = None
    while True:
        try:
            answer = await ctx.step(
                "schedule" if sends == 0 else f"schedule.{sends}", summary,
                lambda: ops.schedule(ctx),
                lambda job_id: Recorded(zoho_job_id=job_id, result={"job_id": job_id}),
            )  # fmt: skip
        except AlreadyScheduled:
            if lost is not None:  # most likely the lost request's job, queued or running
                seen = await ops.judge(ctx, base)
                if seen.verdict == "APPLIED":
                    return await _applied(ops, ctx, lost, seen, base)
            wait = ctx.poll_backoff.delay(waits)
            waits += 1
            if ctx.clock.now() + wait > ctx.deadline:
                note = "another mass job still runs on this view; resume to schedule"
                return ctx.result("RUNNING", skipped_reason=note)
            ctx.progress.note(ctx.name, f"ALREADY_SCHEDULED: waiting {wait:.0f}s")
            await ctx.clock.sleep(wait)
            continue
        except NoRecordsFound as exc:
            ctx.progress.note(ctx.name, f"{exc.code}: the view is empty, nothing to do")
            counts = {"total": 0, "succeeded": 0, "failed": 0}
            return ctx.result("COMPLETED", counts=counts)
        except AuthError:
            raise
        except ZohoError as exc:
            return _failed(ctx, JobError.from_error(exc))
        if isinstance(answer, Answered):
            assert answer.zoho_job_id is not None
            if lost is not None:
                ctx.progress.note(ctx.name, "Zoho accepted it: no earlier request left a job")
            return answer.intent, answer.zoho_job_id
        lost = answer
        seen = await ops.judge(ctx, base)
        why = f"{answer.explain(ctx.name)}; evidence: {seen.text}"
        if seen.verdict == "APPLIED":
            return await _applied(ops, ctx, answer, seen, base)
        if seen.verdict == "UNSETTLED":
            return unsettled(ctx, why)
        if seen.verdict == "OUTCOME_UNKNOWN" or sends + 1 >= MAX_PROBES:
            fix = f"not sent again: check the org, then apply with --replace {ctx.name}"
            return _failed(ctx, JobError(OUTCOME_UNKNOWN, f"{why}; {fix}"))
        ctx.progress.note(ctx.name, f"{why}: NOT_APPLIED, sending it again")
        sends += 1


async def _applied(
    ops: ViewOps, ctx: JobContext, lost: Lost, seen: evidence.Evidence, base: Mapping[str, Any]
) -> JobResult:
    """A lost request that evidence shows Zoho carried out (its job id unknown): wait
    until the sampled records stop changing, which is when that job has ended, then
    count from them: exactly when the sample is the whole view, else not at all.

    Each look is journaled, so the looks add up across resumes: a run with a deadline
    shorter than SETTLE_WAIT still settles, one resume later."""
    for check in range(SETTLE_CHECKS):
        before = evidence.last_look(ctx)
        evidence.remember_look(ctx, seen)
        waited = SETTLE_WAIT if before is None else ctx.clock.now() - before.at
        if before is not None and before.changed == seen.changed and waited >= SETTLE_WAIT:
            break  # unchanged for SETTLE_WAIT: the lost job has ended
        wait = SETTLE_WAIT if before is None else max(0.0, SETTLE_WAIT - waited)
        if check + 1 == SETTLE_CHECKS or ctx.clock.now() + wait > ctx.deadline:
            why = f"{lost.explain(ctx.name)}; evidence: {seen.text}: APPLIED, and the lost job"
            return unsettled(ctx, f"{why} may still be working through the view")
        ctx.progress.note(ctx.name, f"evidence: {seen.text}; waiting for it to settle")
        await ctx.clock.sleep(wait or SETTLE_WAIT)
        again = await ops.judge(ctx, base)
        if again.verdict != "APPLIED":  # no fresh look to compare: never settle on a stale one
            return unsettled(ctx, f"{lost.explain(ctx.name)}; evidence: {again.text}")
        seen = again
    why = f"{lost.explain(ctx.name)}; evidence: {seen.text}: APPLIED"
    counts = {"sampled": seen.sampled, "changed": seen.changed}
    joined = await ops.outsiders(ctx, base) if seen.complete else None
    if seen.complete and joined != 0:
        seen = replace(seen, complete=False)
        why += (
            "; whether records outside the sample joined the view meanwhile is unknown"
            if joined is None
            else f"; {joined} records outside the sample joined the view meanwhile"
        )
    if seen.complete:
        failed = seen.sampled - seen.changed
        counts.update(total=seen.sampled, succeeded=seen.changed, failed=failed,
                      not_processed=0)  # fmt: skip
        why += " (counted from the whole view; the Zoho job id was in the lost answer)"
    else:
        why += " (the Zoho job id was in the lost answer, so its counts are unknown)"
        if isinstance(base.get("count"), int):
            # The view's size when it was counted, before the schedule: not the job's total
            # (another job may change the view in between), so it is not filed as one.
            counts["view_count"] = base["count"]
    ctx.progress.note(ctx.name, why)
    status: JobStatus = "PARTIAL" if counts.get("failed") else "COMPLETED"
    return ctx.result(status, counts=counts, skipped_reason=why)


def unsettled(ctx: JobContext, why: str, counts: Mapping[str, int] | None = None) -> JobResult:
    """No verdict yet: the job stays in flight (RUNNING, exit 4), and resume looks again;
    a job by ids keeps the `counts` of its batches settled so far."""
    note = f"{why}; resume to settle it"
    ctx.progress.note(ctx.name, note)
    return ctx.result("RUNNING", counts=counts, skipped_reason=note)


def _failed(ctx: JobContext, error: JobError) -> JobResult:
    return ctx.result("FAILED", errors=(error,))


def _counts(status: MassJobStatus | None) -> dict[str, int]:
    if status is None:
        return {}
    not_processed = max(0, status.total - status.done - status.failed)
    return {"total": status.total, "succeeded": status.done, "failed": status.failed,
            "not_processed": not_processed}  # fmt: skip


def _replace(result: JobResult, status: JobStatus, **changes: Any) -> JobResult:
    return replace(result, status=status, **changes)
