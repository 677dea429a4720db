"""Drivers for mass_update and mass_delete: by ids (batches, at once) or by cvid (a job).

By cvid (seed 002 scheduler type; API_NOTES §2): size the view first (a view over 50,000
records is refused before anything is scheduled), schedule under the journal, then poll
the status to COMPLETED/FAILED. ALREADY_SCHEDULED means another job still runs on that
view: wait and ask again, never create a second job. A schedule whose answer was lost is
reported, never resent (Zoho has no list-jobs endpoint to find it again, API_NOTES §8).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from runner.execute.context import POLL_RETRY_ON, Answered, JobContext, Lost, Recorded
from runner.execute.drivers.mass_ids import run_batches
from runner.execute.journal import RequestSummary
from runner.execute.poll import poll_until
from runner.execute.results import JobError, JobResult, JobStatus, RecordOutcome
from runner.manifest.model import MassDeleteJob, MassUpdateJob
from runner.zoho import endpoints, mass_delete, mass_update, metadata
from runner.zoho import records as zrecords
from runner.zoho.errors import AlreadyScheduled, NoRecordsFound, ZohoError
from runner.zoho.records import MassJobStatus

MAX_PROBES = 5  # answers lost in a row before the job is reported as unknown
MAX_VIEW_RECORDS = 50_000  # seed 002: a scheduled mass update takes at most 50,000 records


class _MassDriver(ABC):
    """The flow both mass kinds share; subclasses say how to send, schedule and poll."""

    kind = ""

    @abstractmethod
    def path(self, module: str) -> str:
        """The API path of this kind."""

    @abstractmethod
    def body(self, job: Any, ids: Sequence[str] | None) -> dict[str, Any]:
        """The request body (hashed into the journal)."""

    @abstractmethod
    async def send_ids(self, ctx: JobContext, ids: Sequence[str]) -> list[RecordOutcome]:
        """Send one batch of ids."""

    @abstractmethod
    async def verify(self, ctx: JobContext, ids: Sequence[str]) -> set[str]:
        """Ids a lost batch already reached."""

    @abstractmethod
    async def schedule(self, ctx: JobContext) -> str:
        """Schedule the cvid job; its Zoho job id."""

    @abstractmethod
    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus:
        """Poll the Zoho job once."""

    async def run(self, ctx: JobContext) -> JobResult:
        started = ctx.clock.now()
        job = ctx.job
        if getattr(job, "cvid", None) is None:
            result = await self._by_ids(ctx)
        else:
            result = await self._by_cvid(ctx)
        return _with_times(result, started, ctx.clock.now(), ctx)

    async def _by_ids(self, ctx: JobContext) -> JobResult:
        ids = tuple(getattr(ctx.job, "ids", None) or ())
        ctx.progress.job_started(ctx.name, total=len(ids), detail=f"{len(ids)} ids")
        out = await run_batches(
            ctx,
            ids,
            self.path(ctx.job.module),
            lambda chunk: self.body(ctx.job, chunk),
            lambda chunk: self.send_ids(ctx, chunk),
            lambda chunk: self.verify(ctx, chunk),
        )
        ok, failed = out.succeeded, out.failed
        counts = {"total": len(ids), "succeeded": ok, "failed": failed}
        counts["not_processed"] = out.not_processed
        status: JobStatus
        if out.errors or (failed and not ok):
            status = "FAILED"
        else:
            status = "PARTIAL" if failed else "COMPLETED"
        return JobResult(
            ctx.name, self.kind, ctx.job.module, status, counts=counts,
            errors=tuple(out.errors), outcomes=tuple(out.outcomes),
        )  # fmt: skip

    async def _by_cvid(self, ctx: JobContext) -> JobResult:
        job = ctx.job
        cvid = str(getattr(job, "cvid", ""))
        ctx.progress.job_started(ctx.name, total=None, detail=f"custom view {cvid}")
        refused = await self._too_big(ctx, cvid)
        if refused is not None:
            return self._failed(ctx, refused)
        scheduled = await self._schedule(ctx)
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
            lambda: self.status(ctx, job_id), lambda s: s.finished, clock=ctx.clock,
            deadline=ctx.deadline, backoff=ctx.poll_backoff, on_poll=seen,
            retry_on=POLL_RETRY_ON,
        )  # fmt: skip
        last = polled.value
        counts = _counts(last)
        base = JobResult(ctx.name, self.kind, job.module, "RUNNING", (job_id,), counts)
        if not polled.done or last is None:
            return base
        if last.status == "FAILED":
            why = f"Zoho reported job {job_id} FAILED after {last.done} of {last.total} records"
            return _replace(base, "FAILED", errors=(JobError("JOB_FAILED", why),))
        if last.failed:
            return _replace(base, "PARTIAL" if last.done else "FAILED")
        return _replace(base, "COMPLETED")

    async def _too_big(self, ctx: JobContext, cvid: str) -> JobError | None:
        """The view's size, checked before scheduling (a territory only narrows it)."""
        try:
            count = await metadata.record_count(ctx.client, ctx.job.module, cvid)
        except ZohoError as exc:
            ctx.progress.note(ctx.name, f"could not count the view first ({exc.code}); going on")
            return None
        if count > MAX_VIEW_RECORDS and getattr(ctx.job, "territory", None) is None:
            return JobError(
                "LIMIT_EXCEEDED",
                f"custom view {cvid} holds {count:,} records; a mass job takes at most "
                f"{MAX_VIEW_RECORDS:,} (seed 002): narrow the view or split it",
                {"count": count},
            )
        if count > 1000:
            ctx.progress.note(ctx.name, f"{count} records: Zoho runs no workflows for > 1,000")
        return None

    async def _schedule(self, ctx: JobContext) -> tuple[Any, str] | JobResult:
        """Schedule the job, waiting out ALREADY_SCHEDULED; the intent and Zoho job id."""
        summary = RequestSummary.of(
            "POST", self.path(ctx.job.module), json.dumps(self.body(ctx.job, None), sort_keys=True)
        )
        attempt = 0
        while True:
            try:
                answer = await ctx.step(
                    "schedule" if attempt == 0 else f"schedule.{attempt}",
                    summary,
                    lambda: self.schedule(ctx),
                    lambda job_id: Recorded(zoho_job_id=job_id, result={"job_id": job_id}),
                )
            except AlreadyScheduled:
                wait = ctx.poll_backoff.delay(attempt)
                attempt += 1
                if ctx.clock.now() + wait > ctx.deadline:
                    note = "another mass job still runs on this view; resume to schedule"
                    return JobResult(ctx.name, self.kind, ctx.job.module, "RUNNING",
                                     skipped_reason=note)  # fmt: skip
                ctx.progress.note(ctx.name, f"ALREADY_SCHEDULED: waiting {wait:.0f}s")
                await ctx.clock.sleep(wait)
                continue
            except NoRecordsFound as exc:
                ctx.progress.note(ctx.name, f"{exc.code}: the view is empty, nothing to do")
                counts = {"total": 0, "succeeded": 0, "failed": 0}
                return JobResult(ctx.name, self.kind, ctx.job.module, "COMPLETED", counts=counts)
            except ZohoError as exc:
                return self._failed(ctx, JobError(exc.code, exc.message, dict(exc.details)))
            if isinstance(answer, Answered):
                assert answer.zoho_job_id is not None
                return answer.intent, answer.zoho_job_id
            if answer.fresh:
                return await self._probe(ctx, summary, answer)
            return self._failed(ctx, JobError("OUTCOME_UNKNOWN", answer.explain(ctx.name)))

    async def _probe(
        self, ctx: JobContext, summary: RequestSummary, lost: Lost
    ) -> tuple[Any, str] | JobResult:
        """Ask again after a lost answer; Zoho's ALREADY_SCHEDULED guard decides.

        If a lost request created a job, that job is still scheduled or running moments
        later, so Zoho refuses the next request with ALREADY_SCHEDULED and nothing is
        created twice. If Zoho accepts it, no earlier request left a running job (at worst
        one so small it already ended: a second pass then sets the same values, or finds
        the view empty). Only done within the same process: after a restart the first job
        may have ended long ago, so resume reports instead (API_NOTES §8).
        """
        why = lost.explain(ctx.name)
        for probe in range(MAX_PROBES):
            ctx.progress.note(ctx.name, f"{why}; asking again ({probe + 1}/{MAX_PROBES})")
            try:
                answer = await ctx.step(
                    "schedule.probe" if probe == 0 else f"schedule.probe.{probe}",
                    summary, lambda: self.schedule(ctx),
                    lambda job_id: Recorded(zoho_job_id=job_id, result={"job_id": job_id}),
                )  # fmt: skip
            except AlreadyScheduled:
                text = f"{why}; Zoho says a job already runs on this view (most likely that one)"
                return self._failed(ctx, JobError("OUTCOME_UNKNOWN", text + "; check the org"))
            except NoRecordsFound:
                counts = {"total": 0, "succeeded": 0, "failed": 0}
                return JobResult(ctx.name, self.kind, ctx.job.module, "COMPLETED", counts=counts)
            except ZohoError as exc:
                return self._failed(ctx, JobError(exc.code, exc.message, dict(exc.details)))
            if isinstance(answer, Answered) and answer.zoho_job_id is not None:
                ctx.progress.note(ctx.name, "Zoho accepted it: no earlier request left a job")
                return answer.intent, answer.zoho_job_id
            wait = ctx.poll_backoff.delay(probe)
            if ctx.clock.now() + wait > ctx.deadline:
                break
            await ctx.clock.sleep(wait)
        return self._failed(ctx, JobError("OUTCOME_UNKNOWN", why + "; every answer was lost"))

    def _failed(self, ctx: JobContext, error: JobError) -> JobResult:
        return JobResult(ctx.name, self.kind, ctx.job.module, "FAILED", errors=(error,))


class MassUpdateDriver(_MassDriver):
    kind = "mass_update"

    def path(self, module: str) -> str:
        return endpoints.mass_update(module)

    def body(self, job: Any, ids: Sequence[str] | None) -> dict[str, Any]:
        assert isinstance(job, MassUpdateJob)
        return {"data": [dict(job.values)], "ids": list(ids or ()), "cvid": job.cvid}

    async def send_ids(self, ctx: JobContext, ids: Sequence[str]) -> list[RecordOutcome]:
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        return await mass_update.mass_update_ids(
            ctx.client, job.module, ids, job.values, over_write=job.over_write
        )

    async def verify(self, ctx: JobContext, ids: Sequence[str]) -> set[str]:
        """Ids whose records already hold every value the job sets."""
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        rows = await zrecords.get_records(ctx.client, job.module, ids, list(job.values))
        return {str(r["id"]) for r in rows if _holds(r, job.values, job.over_write)}

    async def schedule(self, ctx: JobContext) -> str:
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        assert job.cvid is not None
        return await mass_update.schedule_mass_update(
            ctx.client, job.module, job.cvid, job.values,
            territory=job.territory, over_write=job.over_write,
        )  # fmt: skip

    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus:
        return await mass_update.mass_update_status(ctx.client, ctx.job.module, job_id)


class MassDeleteDriver(_MassDriver):
    kind = "mass_delete"

    def path(self, module: str) -> str:
        return endpoints.mass_delete(module)

    def body(self, job: Any, ids: Sequence[str] | None) -> dict[str, Any]:
        assert isinstance(job, MassDeleteJob)
        return {"ids": list(ids or ()), "cvid": job.cvid}

    async def send_ids(self, ctx: JobContext, ids: Sequence[str]) -> list[RecordOutcome]:
        return await mass_delete.mass_delete_ids(ctx.client, ctx.job.module, ids)

    async def verify(self, ctx: JobContext, ids: Sequence[str]) -> set[str]:
        """Ids that no longer exist: the lost call already deleted them."""
        rows = await zrecords.get_records(ctx.client, ctx.job.module, ids, ["id"])
        return set(ids) - {str(r["id"]) for r in rows}

    async def schedule(self, ctx: JobContext) -> str:
        job = ctx.job
        assert isinstance(job, MassDeleteJob)
        assert job.cvid is not None
        return await mass_delete.schedule_mass_delete(
            ctx.client, job.module, job.cvid, territory=job.territory
        )

    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus:
        return await mass_delete.mass_delete_status(ctx.client, ctx.job.module, job_id)


def _holds(record: dict[str, Any], values: Any, over_write: bool) -> bool:
    for name, want in values.items():
        have = record.get(name)
        if isinstance(want, list) and isinstance(have, list) and not over_write:
            if not set(map(str, want)) <= set(map(str, have)):  # false adds (seed 002)
                return False
        elif have != want:
            return False
    return True


def _counts(status: MassJobStatus | None) -> dict[str, int]:
    if status is None:
        return {}
    not_processed = max(0, status.total - status.done - status.failed)
    return {"total": status.total, "succeeded": status.done, "failed": status.failed,
            "not_processed": not_processed}  # fmt: skip


def _replace(result: JobResult, status: JobStatus, **changes: Any) -> JobResult:
    return replace(result, status=status, **changes)


def _with_times(result: JobResult, started: float, ended: float, ctx: JobContext) -> JobResult:
    calls = len(ctx.journal.intents(ctx.run_id, ctx.name))
    return replace(result, started_at=started, ended_at=ended, polls=ctx.polls,
                   calls=calls + ctx.polls)  # fmt: skip


__all__ = ["MassDeleteDriver", "MassUpdateDriver", "RecordOutcome"]
