"""Driver for bulk_write: the CSV in zipped parts, one Zoho import job per part.

Per part K (API_NOTES §4): upload the zip (step `upload:K`, with `feature` and X-CRM-ORG),
create the job with the field mappings as column indexes (step `create:K`), poll it to
COMPLETED / FAILED, download the result and journal the part as done (`result:K`, with the
per-row outcomes). An upload creates no record, so one whose answer was lost is simply
uploaded again under a new step key; a create whose answer was lost is settled from the
records (bulk_evidence.py), else reported for that part. A part Zoho refused stops the
job (the next part would be refused the same way); a lost part does not. At the end every
input row is written to `<job>.result.csv` in the work folder with Zoho's STATUS,
RECORD_ID and ERRORS beside it.
"""

from __future__ import annotations

import csv
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from runner.atomic import atomic_open
from runner.execute.context import POLL_RETRY_ON, Answered, JobContext, Recorded
from runner.execute.drivers import bulk_evidence, bulk_steps
from runner.execute.drivers.bulk_parts import (
    Part,
    build_parts,
    column_mappings,
    input_rows,
    result_cells,
)
from runner.execute.journal import RequestSummary
from runner.execute.poll import poll_until
from runner.manifest.model import BulkWriteJob
from runner.outcome import OUTCOME_UNKNOWN
from runner.results import FileRef, JobError, JobResult, JobStatus, RecordOutcome
from runner.zoho import bulk_write, endpoints
from runner.zoho.bulk_write import (
    RESULT_COLUMNS,
    SUCCESS,
    BulkWriteStatus,
    ColumnMapping,
    ResultRow,
    outcome,
    result_rows,
)
from runner.zoho.errors import AuthError, ZohoError

#: Uploads of one part whose answers were lost before giving up: an upload creates no
#: record, so this only bounds a run of bad luck (soak: 5xx on 1 request in 10, and the
#: count goes on across resumes).
MAX_UPLOADS = 8
PartEnd = Literal["done", "lost", "running", "stop"]

MAX_CREATES = 5  # tries at an update/upsert part whose create answers get lost (and whose
# records show each time that it did not run)
EVIDENCE_CHECKS = 3  # looks at the records, a backoff apart, before a lost create is resent


@dataclass(frozen=True)
class Settled:
    """A part whose lost create the records show to have run: its rows as found."""

    rows: list[ResultRow]
    text: str


@dataclass
class _Import:
    """One run of one bulk write job: its parts and what each came to."""

    ctx: JobContext
    job: BulkWriteJob
    header: tuple[str, ...]
    mappings: tuple[ColumnMapping, ...]
    job_ids: list[str] = field(default_factory=list)
    errors: list[JobError] = field(default_factory=list)
    results: dict[int, list[ResultRow]] = field(default_factory=dict)
    finished_rows: int = 0
    settled: list[str] = field(default_factory=list)  # parts a lost create's evidence settled
    looked_up: int = 0  # rows those parts looked up among the records, and found
    found: int = 0

    def settle(self, rows: list[ResultRow], text: str) -> None:
        """Count a part whose lost create the records showed to have run."""
        self.settled.append(text)
        self.looked_up += len(rows)
        self.found += sum(1 for r in rows if r.status)

    async def part(self, part: Part) -> PartEnd:
        """One part, from the journal if an earlier attempt finished it."""
        ctx, k = self.ctx, part.index
        result_zip = ctx.work_dir / f"result-{k}.zip"
        done = bulk_steps.fact(ctx, f"result:{k}")
        if done is not None and "evidence" in done:  # a lost create that evidence settled
            rows = self.results[k] = [ResultRow(*cells) for cells in done["evidence"]]
            self.settle(rows, str(done.get("text", "")))
            return "done"
        if done is not None:
            self.job_ids.append(str(done["job_id"]))
            url = str(done["download_url"])
            if not result_zip.exists() and not await self.download(url, result_zip):
                return "running"
            self.results[k] = result_rows(result_zip)
            return "done"
        created = await self.create(part)
        if isinstance(created, str):
            return created
        if isinstance(created, Settled):  # the lost create ran, as the records show
            rows, text = created.rows, created.text
            self.results[k] = rows
            outcomes = [outcome(row, part.first + i + 1) for i, row in enumerate(rows)]
            cells = [[r.status, r.record_id, r.errors] for r in rows]
            bulk_steps.remember(ctx, f"result:{k}", endpoints.records(ctx.job.module),
                                {"evidence": cells, "text": text}, outcomes)  # fmt: skip
            self.settle(rows, text)
            return "done"
        intent, job_id = created
        self.job_ids.append(job_id)

        def seen(value: BulkWriteStatus, polls: int) -> None:
            res = value.resources[0] if value.resources else None
            counts = {"added": res.added, "updated": res.updated, "skipped": res.skipped,
                      "total": res.total} if res else {}  # fmt: skip
            ctx.on_poll(intent, value.status, counts)
            reached = res.added + res.updated + res.skipped if res else 0
            ctx.progress.job_advanced(ctx.name, done=self.finished_rows + reached,
                                      state=f"part {k}: {value.status}")  # fmt: skip

        polled = await poll_until(
            lambda: bulk_write.bulk_write_status(ctx.client, job_id), lambda s: s.finished,
            clock=ctx.clock, deadline=ctx.deadline, backoff=ctx.poll_backoff, on_poll=seen,
            retry_on=POLL_RETRY_ON,
        )  # fmt: skip
        status = polled.value
        if not polled.done or status is None:
            return "running"
        if status.failed or not status.download_url:
            why = f"Zoho reported bulk write job {job_id} (part {k}) {status.status}"
            if not status.failed:
                why += " without a download_url"
            self.errors.append(JobError("JOB_FAILED", why))
            return "lost"
        if not await self.download(status.download_url, result_zip):
            return "running"
        rows = self.results[k] = result_rows(result_zip)
        outcomes = [outcome(rows[i] if i < len(rows) else None, part.first + i + 1)
                    for i in range(part.rows)]  # fmt: skip
        fact = {"job_id": job_id, "download_url": status.download_url, "rows": len(rows)}
        bulk_steps.remember(ctx, f"result:{k}", urlsplit(status.download_url).path, fact, outcomes)
        return "done"

    async def create(self, part: Part) -> tuple[Any, str] | Settled | PartEnd:
        """Upload if needed, then create part K's job; its intent and Zoho job id (or, for
        a lost create that evidence shows ran, the rows as evidence found them)."""
        ctx, job, k = self.ctx, self.job, part.index
        known = ctx.accepted(f"create:{k}")
        if known is not None and known.zoho_job_id is not None:
            return known, known.zoho_job_id
        key = bulk_evidence.key_field(job, self.mappings)
        mark = await bulk_evidence.watermark(ctx, k, key)
        before = ctx.earlier(f"create:{k}")
        file_id = ""
        # An ACKED upload replays its file id from the journal without sending it again.
        if before is None or before.state != "ACKED":
            uploaded = await self.upload(part)
            if isinstance(uploaded, JobError):
                self.errors.append(uploaded)
                return "lost"
            file_id = uploaded
        body = {"operation": job.operation, "module": job.module, "file_id": file_id,
                "find_by": job.find_by, "mappings": [m.to_wire() for m in self.mappings],
                "ignore_empty": job.ignore_empty, "encoding": job.character_encoding}  # fmt: skip
        # The file id is left out of the hash: a part uploaded again after a restart gets a
        # new one, while its bytes (hashed by the upload step) are the same.
        hashed = json.dumps({**body, "file_id": None}, default=str)
        summary = RequestSummary.of("POST", endpoints.bulk_write(), hashed)

        async def send() -> str:
            return await bulk_write.create_bulk_write(
                ctx.client, job.operation, job.module, file_id, find_by=job.find_by,
                field_mappings=self.mappings, ignore_empty=job.ignore_empty,
                character_encoding=job.character_encoding,
            )  # fmt: skip

        # An update or upsert sets the same values however often it runs, so a create whose
        # answer was lost is asked again; an insert would add the rows twice, so it is not.
        tries = MAX_CREATES if job.operation in ("update", "upsert") else 1
        for attempt in range(tries):
            try:
                answer = await ctx.step(
                    f"create:{k}" + (f".{attempt}" if attempt else ""), summary, send,
                    lambda jid: Recorded(zoho_job_id=jid, result={"job_id": jid}),
                )  # fmt: skip
            except AuthError:
                raise
            except ZohoError as exc:
                self.errors.append(JobError.from_error(exc, f"part {k}"))
                return "stop"
            if isinstance(answer, Answered):
                break
            keys = [row[key.index] if key and key.index is not None and key.index < len(row)
                    else "" for row in input_rows(job, part)]  # fmt: skip
            seen, rows = await bulk_evidence.judge(ctx, mark, keys)
            for check in range(EVIDENCE_CHECKS):  # a lost job may still be queued: look again
                wait = ctx.poll_backoff.delay(check)
                if seen.verdict != "NOT_APPLIED" or ctx.clock.now() + wait > ctx.deadline:
                    break
                await ctx.clock.sleep(wait)
                seen, rows = await bulk_evidence.judge(ctx, mark, keys)
            why = f"part {k}: {answer.explain(ctx.name)}; evidence: {seen.text}"
            if seen.verdict == "UNSETTLED":  # no verdict yet: the part waits for resume
                ctx.progress.note(ctx.name, f"{why}; resume to settle it")
                return "running"
            if seen.verdict == "APPLIED":
                why += ": APPLIED (the Zoho job id was in the lost answer)"
                ctx.progress.note(ctx.name, why)
                return Settled(rows, why)
            if seen.verdict == "NOT_APPLIED" and attempt + 1 < tries:
                ctx.progress.note(ctx.name, f"{why}: NOT_APPLIED; an {job.operation} is safe to "
                                  "repeat")  # fmt: skip
                continue
            fix = f"not sent again: check the org, then apply with --replace {job.name}"
            self.errors.append(JobError(OUTCOME_UNKNOWN, f"{why}; {fix}"))
            return "lost"
        if not isinstance(answer, Answered):
            why = f"part {k}: {answer.explain(ctx.name)}; not sent again"
            self.errors.append(JobError(OUTCOME_UNKNOWN, why))
            return "lost"
        assert answer.zoho_job_id is not None
        return answer.intent, answer.zoho_job_id

    async def upload(self, part: Part) -> str | JobError:
        """The part's file id; a lost upload is sent again under the next step key."""
        ctx = self.ctx
        zgid = await ctx.zgid()
        summary = RequestSummary.of("POST", endpoints.upload(), part.zip_path.read_bytes())
        for attempt in range(MAX_UPLOADS):
            key = f"upload:{part.index}" + (f".{attempt}" if attempt else "")
            answer = await ctx.step(
                key, summary, lambda: bulk_write.upload_file(ctx.client, part.zip_path, zgid),
                lambda file_id: Recorded(result={"file_id": file_id}),
            )  # fmt: skip
            if isinstance(answer, Answered):
                return str(answer.result["file_id"])
        why = f"part {part.index}: the upload's answer was lost {MAX_UPLOADS} times"
        return JobError("OUTCOME_UNKNOWN", why)

    async def download(self, url: str, dest: Any) -> bool:
        return await bulk_steps.download(self.ctx, url, dest)

    def finish(self, parts: list[Part], total: int, running: bool) -> JobResult:
        """Write `<job>.result.csv` (every input row, Zoho's columns beside) and count."""
        ctx, job = self.ctx, self.job
        dest = ctx.work_dir / f"{job.name}.result.csv"
        outcomes: list[RecordOutcome] = []
        tally = {"ADDED": 0, "UPDATED": 0}
        with atomic_open(dest, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*self.header, *RESULT_COLUMNS])
            for part in parts:
                got = self.results.get(part.index)
                for i, row in enumerate(input_rows(job, part)):
                    res = got[i] if got is not None and i < len(got) else None
                    writer.writerow([*row, *result_cells(res)])
                    if got is None:
                        continue
                    outcomes.append(outcome(res, part.first + i + 1))
                    said = res.status.strip().upper() if res else ""
                    if said in SUCCESS:
                        tally[said] += 1
        ok = tally["ADDED"] + tally["UPDATED"]
        failed = len(outcomes) - ok
        counts = {"total": total, "succeeded": ok, "failed": failed, "added": tally["ADDED"],
                  "updated": tally["UPDATED"], "not_processed": total - len(outcomes)}  # fmt: skip
        if self.settled:  # as for a mass job settled from evidence (mass_view.py)
            counts.update(sampled=self.looked_up, changed=self.found)
        status: JobStatus
        if running:
            status = "RUNNING"
        elif self.errors or (failed and not ok):
            status = "FAILED"
        else:
            status = "PARTIAL" if failed else "COMPLETED"
        return ctx.result(
            status,
            zoho_job_ids=self.job_ids,
            counts=counts,
            errors=self.errors,
            outcomes=outcomes,
            files=(FileRef("bulk_write_result", str(dest), total),),
            skipped_reason="; ".join(self.settled) or None,
        )


class BulkWriteDriver:
    """Imports a CSV with insert / update / upsert and keeps Zoho's per-row result."""

    kind = "bulk_write"

    async def run(self, ctx: JobContext) -> JobResult:
        job = ctx.job
        assert isinstance(job, BulkWriteJob)
        try:
            header, total, parts = build_parts(job, ctx.work_dir)
        except (OSError, UnicodeError) as exc:
            unreadable = JobError("FILE_UNREADABLE", f"{job.file.name}: {exc}")
            return ctx.result("FAILED", errors=(unreadable,))
        mappings = column_mappings(job, header)
        if isinstance(mappings, str):
            return ctx.result("FAILED", errors=(JobError("COLUMN_NOT_FOUND", mappings),))
        ctx.progress.job_started(
            ctx.name, total=total, detail=f"{job.operation} {total} rows in {len(parts)} part(s)"
        )
        run = _Import(ctx, job, header, mappings)
        running = False
        for part in parts:
            try:
                end = await run.part(part)
            except AuthError:
                raise  # the executor pauses the job: resume goes on with this part
            except ZohoError as exc:
                run.errors.append(JobError.from_error(exc, f"part {part.index}"))
                break
            except (ValueError, csv.Error, zipfile.BadZipFile) as exc:
                why = f"part {part.index}: unreadable result file: {exc}"
                run.errors.append(JobError("INVALID_RESPONSE", why))
                break
            if end == "running":
                running = True
                break
            if end == "stop":
                break
            if end == "done":
                run.finished_rows += part.rows
        return run.finish(parts, total, running)
