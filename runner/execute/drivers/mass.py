"""Drivers for mass_update and mass_delete: by ids (batches, at once: mass_ids.py) or by
cvid (one scheduled Zoho job: mass_view.py). This module says, per kind, what a request
is, how to send and poll it, and how to read back whether a lost one took effect.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from runner.execute.context import JobContext
from runner.execute.drivers import evidence, outsiders
from runner.execute.drivers.backup import ensure_backup
from runner.execute.drivers.mass_ids import run_batches
from runner.execute.drivers.mass_view import run_by_view, unsettled
from runner.manifest.model import MassDeleteJob, MassUpdateJob
from runner.results import JobResult, JobStatus, RecordOutcome
from runner.zoho import endpoints, mass_delete, mass_update, record_reads
from runner.zoho import records as zrecords
from runner.zoho.errors import ZohoError
from runner.zoho.records import MassJobStatus

#: Seconds Zoho's clock may run behind ours when a record's Modified_Time is compared with
#: the time a lost call was sent (API_NOTES §13: compare instants, never strings).
CLOCK_SKEW = 60.0


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
    async def verify(self, ctx: JobContext, ids: Sequence[str], sent_at: float) -> set[str]:
        """Ids the lost batch sent at `sent_at` demonstrably reached."""

    @abstractmethod
    async def judge(self, ctx: JobContext, base: Mapping[str, Any]) -> evidence.Evidence:
        """Whether a lost schedule took effect, from the baseline (evidence.py)."""

    @abstractmethod
    async def outsiders(self, ctx: JobContext, base: Mapping[str, Any]) -> int | None:
        """Records outside the baseline the job may have reached (evidence.outsiders)."""

    @abstractmethod
    async def schedule(self, ctx: JobContext) -> str:
        """Schedule the cvid job; its Zoho job id."""

    @abstractmethod
    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus:
        """Poll the Zoho job once."""

    async def run(self, ctx: JobContext) -> JobResult:
        if getattr(ctx.job, "cvid", None) is None:
            return await self._by_ids(ctx)
        return await run_by_view(self, ctx)

    async def _by_ids(self, ctx: JobContext) -> JobResult:
        ids = tuple(getattr(ctx.job, "ids", None) or ())
        ctx.progress.job_started(ctx.name, total=len(ids), detail=f"{len(ids)} ids")
        stopped = await ensure_backup(ctx)  # issue 12: before the first batch, once
        if stopped is not None:
            return stopped
        out = await run_batches(
            ctx,
            ids,
            self.path(ctx.job.module),
            lambda chunk: self.body(ctx.job, chunk),
            lambda chunk: self.send_ids(ctx, chunk),
            lambda chunk, sent_at: self.verify(ctx, chunk, sent_at),
        )
        ok, failed = out.succeeded, out.failed
        counts = {"total": len(ids), "succeeded": ok, "failed": failed}
        counts["not_processed"] = out.not_processed
        if out.unsettled and not out.errors:
            return unsettled(ctx, "; ".join(out.unsettled), counts)
        status: JobStatus
        if out.errors or (failed and not ok):
            status = "FAILED"
        else:
            status = "PARTIAL" if failed else "COMPLETED"
        return ctx.result(status, counts=counts, errors=out.errors, outcomes=out.outcomes)


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

    async def verify(self, ctx: JobContext, ids: Sequence[str], sent_at: float) -> set[str]:
        """Ids whose records hold every value the job sets, modified since the call was sent.

        A record that already held the values before is not counted: it is sent again, so
        Zoho answers for it as in a clean run (a locked one is refused, not "succeeded").
        """
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        fields = [*job.values, evidence.MODIFIED]
        rows = await zrecords.get_records(ctx.client, job.module, ids, fields)
        since = sent_at - CLOCK_SKEW
        return {
            str(r["id"])
            for r in rows
            if _holds(r, job.values, job.over_write) and _modified_since(r, since)
        }

    async def judge(self, ctx: JobContext, base: Mapping[str, Any]) -> evidence.Evidence:
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        return await evidence.judge_update(
            ctx, base, job.values, lambda r: _holds(r, job.values, job.over_write)
        )

    async def outsiders(self, ctx: JobContext, base: Mapping[str, Any]) -> int | None:
        job = ctx.job
        assert isinstance(job, MassUpdateJob)
        return await outsiders.outsiders(ctx, base, lambda r: _holds(r, job.values, job.over_write))

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

    async def verify(self, ctx: JobContext, ids: Sequence[str], sent_at: float) -> set[str]:
        """Ids that are gone and listed as deleted: the lost call deleted them. An id that
        never existed is sent again, and Zoho refuses it as in a clean run."""
        rows = await zrecords.get_records(ctx.client, ctx.job.module, ids, ["id"])
        gone = set(ids) - {str(r["id"]) for r in rows}
        return await evidence.listed_deleted(ctx, gone) if gone else set()

    async def judge(self, ctx: JobContext, base: Mapping[str, Any]) -> evidence.Evidence:
        return await evidence.judge_delete(ctx, base)

    async def outsiders(self, ctx: JobContext, base: Mapping[str, Any]) -> int | None:
        return await outsiders.outsiders(ctx, base)

    async def schedule(self, ctx: JobContext) -> str:
        job = ctx.job
        assert isinstance(job, MassDeleteJob)
        assert job.cvid is not None
        return await mass_delete.schedule_mass_delete(
            ctx.client, job.module, job.cvid, territory=job.territory
        )

    async def status(self, ctx: JobContext, job_id: str) -> MassJobStatus:
        return await mass_delete.mass_delete_status(ctx.client, ctx.job.module, job_id)


def _modified_since(record: Mapping[str, Any], since: float) -> bool:
    stamp = record.get(evidence.MODIFIED)
    try:
        return isinstance(stamp, str) and record_reads.parse_zoho_time(stamp) >= since
    except ZohoError:
        return False


def _holds(record: dict[str, Any], values: Any, over_write: bool) -> bool:
    for name, want in values.items():
        have = record.get(name)
        if isinstance(want, list) and isinstance(have, list) and not over_write:
            if not set(map(str, want)) <= set(map(str, have)):  # false adds (seed 002)
                return False
        elif have != want:
            return False
    return True


__all__ = ["MassDeleteDriver", "MassUpdateDriver", "RecordOutcome"]
