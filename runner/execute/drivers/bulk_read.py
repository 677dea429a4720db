"""Driver for bulk_read: one Zoho export job per page of 200,000 rows, joined into `output`.

Per page N (API_NOTES §3): create the job under the journal (step `page:N`), poll its
status to COMPLETED / FAILURE, download the zip to `work_dir/page-N.zip` (10 downloads a
minute, §3.3), and journal the page as done (`download:N`: job id, count, more_records,
next_page_token). Page N+1 continues with the previous page's `next_page_token`, else
`page: N+1` (§3.4). On resume a done page is not fetched again, a created job is polled
rather than created again, and a create whose answer was lost is reported, never resent.
At the end the pages are joined into `output` (bulk_csv).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.execute.context import POLL_RETRY_ON, Answered, JobContext, Recorded
from runner.execute.drivers import bulk_steps
from runner.execute.drivers.bulk_csv import join_csv, join_raw
from runner.execute.journal import RequestSummary
from runner.execute.poll import poll_until
from runner.manifest.model import BulkReadJob
from runner.results import FileRef, JobError, JobResult, JobStatus
from runner.zoho import bulk_read, endpoints
from runner.zoho.bulk_read import BulkReadStatus
from runner.zoho.errors import AuthError, ZohoError

#: Tries at creating one page's job whose answers get lost. A read changes nothing, so the
#: budget is generous (6 × ~11% lost at the soak's fault rates leaves ~2e-6), with the poll
#: backoff between tries so that a passing outage can pass.
MAX_CREATES = 6


@dataclass(frozen=True)
class _Page:
    """What a finished page said, as journaled under `download:N`."""

    job_id: str
    count: int
    more_records: bool
    next_page_token: str | None


@dataclass
class Export:
    """One run of one bulk read job: pages done so far and what they cost.

    `prefix` goes before every step key, `folder` holds the pages (default: the job's
    work folder) and `label` goes before its progress states: a mass job's backup
    (backup.py) exports under `backup:` keys this way.
    """

    ctx: JobContext
    job: BulkReadJob
    prefix: str = ""
    label: str = ""
    folder: Path | None = None
    job_ids: list[str] = field(default_factory=list)
    zips: list[Path] = field(default_factory=list)
    rows: int = 0

    def result(
        self, status: JobStatus, *errors: JobError, files: tuple[FileRef, ...] = ()
    ) -> JobResult:
        counts = {"total": self.rows, "succeeded": self.rows, "failed": 0}
        return self.ctx.result(
            status, zoho_job_ids=self.job_ids, counts=counts, errors=errors, files=files
        )

    def progress(self, done: int, state: str) -> None:
        state = f"{self.label} {state}" if self.label else state
        self.ctx.progress.job_advanced(self.ctx.name, done=done, state=state)

    async def pages(self) -> JobResult:
        """Every page in turn until one says there are no more records."""
        page, token = 1, None
        while True:
            got = await self.page(page, token)
            if isinstance(got, JobResult):
                return got
            self.rows += got.count
            self.progress(self.rows, f"page {page} done")
            if not got.more_records:
                return self.finish()
            token, page = got.next_page_token, page + 1

    async def page(self, page: int, token: str | None) -> _Page | JobResult:
        """One page: from the journal if done earlier, else create, poll and download."""
        ctx = self.ctx
        zip_path = (self.folder or ctx.work_dir) / f"page-{page}.zip"
        done = bulk_steps.fact(ctx, f"{self.prefix}download:{page}")
        if done is not None:
            known = _Page(
                str(done["job_id"]), int(done.get("count", 0)), bool(done.get("more_records")),
                done.get("next_page_token"),
            )  # fmt: skip
            self.job_ids.append(known.job_id)
            if not zip_path.exists() and not await self.download(known.job_id, zip_path):
                return self.result("RUNNING")
            self.zips.append(zip_path)
            return known
        created = await self.create(page, token)
        if isinstance(created, JobResult):
            return created
        intent, job_id = created
        self.job_ids.append(job_id)
        before = self.rows

        def seen(value: BulkReadStatus, polls: int) -> None:
            ctx.on_poll(intent, value.state, {"count": value.count})
            self.progress(before + value.count, value.state)

        polled = await poll_until(
            lambda: bulk_read.bulk_read_status(ctx.client, job_id), lambda s: s.finished,
            clock=ctx.clock, deadline=ctx.deadline, backoff=ctx.poll_backoff, on_poll=seen,
            retry_on=POLL_RETRY_ON,
        )  # fmt: skip
        status = polled.value
        if not polled.done or status is None:
            return self.result("RUNNING")
        if status.failed:
            err = status.error
            why = f"Zoho reported bulk read job {job_id} (page {page}) {status.state}"
            code = err.code if err and err.code else "JOB_FAILED"
            message = f"{why}: {err.message}" if err and err.message else why
            return self.result("FAILED", JobError(code, message, dict(err.details) if err else {}))
        if not await self.download(job_id, zip_path):
            return self.result("RUNNING")
        self.zips.append(zip_path)
        got = _Page(job_id, status.count, status.more_records, status.next_page_token)
        key = f"{self.prefix}download:{page}"
        bulk_steps.remember(ctx, key, endpoints.bulk_read_result(job_id), {
            "job_id": job_id, "count": got.count, "more_records": got.more_records,
            "next_page_token": got.next_page_token, "zip": zip_path.name,
        })  # fmt: skip
        return got

    async def create(self, page: int, token: str | None) -> tuple[Any, str] | JobResult:
        """Create page N's job under the journal; its intent and Zoho job id."""
        ctx, job = self.ctx, self.job
        query: dict[str, Any] = {"page_token": token} if token else {
            "module": job.module, "fields": list(job.fields), "criteria": job.criteria,
            "cvid": job.cvid, "file_type": job.file_type, "page": page,
        }  # fmt: skip
        summary = RequestSummary.of(
            "POST", endpoints.bulk_read(), json.dumps(query, sort_keys=True, default=str)
        )

        async def send() -> str:
            if token:
                return await bulk_read.create_bulk_read(ctx.client, job.module, page_token=token)
            return await bulk_read.create_bulk_read(
                ctx.client, job.module, fields=job.fields, criteria=job.criteria,
                cvid=job.cvid, page=page, file_type=job.file_type,
            )  # fmt: skip

        for attempt in range(MAX_CREATES):
            answer = await ctx.step(
                f"{self.prefix}page:{page}" + (f".{attempt}" if attempt else ""), summary, send,
                lambda job_id: Recorded(zoho_job_id=job_id, result={"job_id": job_id}),
            )  # fmt: skip
            if isinstance(answer, Answered):
                break
            # A bulk read changes nothing on the org: a second export job of the same page
            # costs credits (API_NOTES §3.4), never data, so a lost answer is asked again.
            ctx.progress.note(ctx.name, f"{answer.explain(ctx.name)}; a read is safe to repeat")
            wait = ctx.poll_backoff.delay(attempt)
            if attempt + 1 < MAX_CREATES and ctx.clock.now() + wait <= ctx.deadline:
                await ctx.clock.sleep(wait)
        if not isinstance(answer, Answered):
            why = f"{answer.explain(ctx.name)}; every answer was lost, so the export stops here"
            return self.result("FAILED", JobError("OUTCOME_UNKNOWN", why))
        assert answer.zoho_job_id is not None
        if answer.replayed:
            ctx.progress.note(ctx.name, f"page {page}: polling Zoho job {answer.zoho_job_id}")
        return answer.intent, answer.zoho_job_id

    async def download(self, job_id: str, dest: Path) -> bool:
        url = endpoints.bulk_read_result(job_id)
        return await bulk_steps.download(self.ctx, url, dest, budgeted=True)

    def finish(self) -> JobResult:
        """Join the pages into `output`; the file's data rows are the job's count. An
        export already at `output` is kept in the run's backups first (`keep_replaced`)."""
        output = self.job.output
        try:
            kept = keep_replaced(output, self.ctx.backup_dir, self.ctx.name)
        except OSError as exc:
            why = f"cannot keep {output}, which this export replaces: "
            why += f"{exc.strerror or type(exc).__name__}; {output} is left as it was"
            pages = f"the pages are kept in {self.folder or self.ctx.work_dir}"
            return self.result("FAILED", JobError("OUTPUT_NOT_WRITTEN", f"{why}; {pages}"))
        if kept is not None:
            self.ctx.progress.note(self.ctx.name, f"the export it replaces is kept: {kept}")
        try:
            if self.job.file_type == "ics":
                join_raw(self.zips, output)
            else:
                self.rows = join_csv(self.zips, output)
        except OSError as exc:  # checked writable before the run; a full disk, say
            why = f"cannot write {output}: {exc.strerror or type(exc).__name__}"
            pages = f"the pages are kept in {self.folder or self.ctx.work_dir}"
            return self.result("FAILED", JobError("OUTPUT_NOT_WRITTEN", f"{why}; {pages}"))
        ref = FileRef("bulk_read_output", str(output), self.rows)
        refs = (ref,) if kept is None else (ref, FileRef("replaced_output", str(kept)))
        return self.result("COMPLETED", files=refs)


def keep_replaced(output: Path, backups: Path | None, job: str) -> Path | None:
    """Keep the file an export is about to replace, as `<backups>/<job>.replaced<ext>`.

    A re-applied manifest runs its exports again (a read changes nothing on the org), and
    the view may hold nothing any more, the records having been deleted by the job that
    needed the export: the new file would then silently replace the only copy of what was
    deleted. The old file is hard-linked (copied across file systems) into the run's
    backups, once: a resume that joins the pages again finds it kept and keeps it as is.
    None: nothing was there, or the run keeps no backups (tests, in-process runs)."""
    if backups is None or not output.is_file() or output.stat().st_size == 0:
        return None
    kept = backups / f"{job}.replaced{output.suffix}"
    if kept.exists():
        return kept
    kept.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(output, kept)
    except OSError:
        shutil.copy2(output, kept)
    return kept


class BulkReadDriver:
    """Exports a module (or a custom view, with criteria) into one file."""

    kind = "bulk_read"

    async def run(self, ctx: JobContext) -> JobResult:
        job = ctx.job
        assert isinstance(job, BulkReadJob)
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        ctx.progress.job_started(ctx.name, total=None, detail=f"export {job.module}")
        export = Export(ctx, job)
        try:
            return await export.pages()
        except AuthError:
            raise  # the executor pauses the job; resume polls or downloads from there
        except ZohoError as exc:
            return export.result("FAILED", JobError.from_error(exc))
