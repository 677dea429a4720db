"""The job DAG: jobs run in `needs` order, independent ones at once, each through its driver.

Concurrency has two levels: every job whose needs are met runs at once, and every request
of every job goes through the one transport whose cap is `--concurrency`. So a 50,000-id
job keeps 10 batches in flight under `--concurrency 10`, and two jobs share the cap.

Apply-once (ledger.py): a job whose content fingerprint is APPLIED on this org is
UNCHANGED and not sent again, unless `--replace` names it; `--retry-failed` sends only
what it left failed; an UNKNOWN entry stops the job until `--replace`. A bulk read changes
nothing on the org, so it always runs (a fresh export is the point). On resume, jobs that
ended in the interrupted run keep their result; only the unfinished ones run, and their
drivers skip every step the journal has an answer for. A driver that escapes with a
refused token leaves its job RUNNING with every Zoho job id it got, so resume polls them.

Drivers say what happened; `drive` keeps each job's books: when it started and ended, how
many calls and polls it took, and how an error that escaped the driver ended it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.clock import Clock
from runner.errors import RunnerError
from runner.execute.context import JobContext
from runner.execute.drivers import DRIVERS
from runner.execute.drivers.backup import is_backup_step, recorded
from runner.execute.fingerprint import job_fingerprint
from runner.execute.journal import Journal
from runner.execute.journal_schema import JobRow
from runner.execute.ledger import RETRIED, ledger_entry, unknown_hint
from runner.execute.poll import Backoff
from runner.execute.progress import Progress
from runner.execute.retry_failed import (
    Retry,
    renumber,
    retry_job,
    retry_wanted,
    unchanged_reason,
)
from runner.manifest.model import AnyJob
from runner.outcome import OUTCOME_UNKNOWN, failed_positions
from runner.refs import sha256_file
from runner.results import JobError, JobResult, JobStatus
from runner.zoho.client import ZohoClient
from runner.zoho.errors import AuthError, ZohoError

ENDED = frozenset({"COMPLETED", "PARTIAL", "FAILED", "SKIPPED", "UNCHANGED"})
GOOD_FOR_NEEDS = frozenset({"COMPLETED", "UNCHANGED"})
IN_FLIGHT = "the job stays in flight: set a valid token, then resume"
#: Kinds that count their downloads one by one, and not their journaled GET facts (pages and
#: parts done, evidence); a mass job's facts (baseline, looks, verifications) count as calls.
FACTS_ARE_DOWNLOADS = frozenset({"bulk_read", "bulk_write"})


@dataclass
class Execution:
    """One apply or resume of a set of jobs against one org."""

    run_id: str
    client: ZohoClient
    journal: Journal
    clock: Clock
    progress: Progress
    work_dir: Path
    org_id: str | None
    zgid: Callable[[], Awaitable[str]]
    deadline: float
    replace: frozenset[str] = frozenset()
    retry_failed: frozenset[str] = frozenset()  # job names, or "all"
    concurrency: int = 5
    apply_once: bool = True  # off for the in-process simulator: its org is new every run
    backups: Path | None = None  # the run's report folder's backups/ (None: none taken)
    secrets: tuple[str, ...] = ()  # values no backup may hold (JobContext.secrets)
    poll_backoff: Callable[[], Backoff] = Backoff
    _results: dict[str, JobResult] = field(default_factory=dict)

    async def run(self, jobs: Sequence[AnyJob]) -> tuple[JobResult, ...]:
        """Run every job once its needs have ended; results in manifest order."""
        before = {row.name: row for row in self.journal.jobs(self.run_id)}
        done: dict[str, asyncio.Future[JobResult]] = {
            job.name: asyncio.get_running_loop().create_future() for job in jobs
        }

        async def one(job: AnyJob) -> None:
            try:
                needs = [await done[name] for name in job.needs if name in done]
                result = await self._job(job, needs, before.get(job.name))
            except BaseException as exc:
                # Dependents see the failure; ^C cancels them instead. Either way the future
                # is settled here, so asyncio never reports it as "never retrieved".
                future = done[job.name]
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
                    future.exception()
                raise
            self._results[job.name] = result
            done[job.name].set_result(result)

        await asyncio.gather(*(one(job) for job in jobs))
        return tuple(self._results[job.name] for job in jobs)

    async def _job(self, job: AnyJob, needs: list[JobResult], row: JobRow | None) -> JobResult:
        fingerprint = job_fingerprint(job, file_hashes(job))
        if row is not None and row.status in ENDED:
            return self._from_journal(job, row)
        blocked = [n for n in needs if n.status not in GOOD_FOR_NEEDS]
        if blocked:
            why = ", ".join(f"{n.name} is {n.status}" for n in blocked)
            return self._not_run(job, fingerprint, "SKIPPED", skipped_reason=f"needs: {why}")
        once = self.apply_once and job.kind != "bulk_read" and job.name not in self.replace
        history = self.journal.job_history(self.org_id, fingerprint) if once else []
        earlier = next((h for h in history if h.ledger and h.run_id != self.run_id), None)
        send: AnyJob | None = job
        retry: Retry | None = None
        if earlier is not None and row is None and earlier.ledger == "UNKNOWN":
            error = JobError(OUTCOME_UNKNOWN, unknown_hint(job.name, earlier))
            self.progress.note(job.name, error.message)
            return self._not_run(
                job, fingerprint, "FAILED", zoho_job_ids=earlier.zoho_job_ids, errors=(error,)
            )
        if earlier is not None and retry_wanted(job, self.retry_failed):
            retry = retry_job(job, history, self.journal, self.work_dir / job.name)
            send = None if retry is None else retry.job
            if retry is not None:
                codes = ", ".join(f"{c} {n}" for c, n in sorted(retry.codes.items()))
                self.progress.note(job.name, f"retrying {retry.count} that failed ({codes})")
        elif earlier is not None and row is None:
            send = None
        if send is None:
            assert earlier is not None
            why = unchanged_reason(job, earlier, retrying=retry_wanted(job, self.retry_failed))
            self.progress.note(job.name, f"unchanged: {why}")
            return self._not_run(
                job,
                fingerprint,
                "UNCHANGED",
                zoho_job_ids=earlier.zoho_job_ids,
                counts=dict(earlier.counts),
                skipped_reason=why,
            )
        self.journal.record_job(
            self.run_id, job.name, kind=job.kind, module=job.module,
            fingerprint=fingerprint, status="RUNNING",
        )  # fmt: skip
        started = self.clock.now()
        self.journal.update_job(self.run_id, job.name, started_at=started)
        ctx = JobContext(
            run_id=self.run_id, job=send, client=self.client, journal=self.journal,
            clock=self.clock, deadline=self.deadline, progress=self.progress,
            work_dir=self.work_dir / job.name, zgid=self.zgid, poll_backoff=self.poll_backoff(),
            concurrency=self.concurrency, backup_dir=self.backups, secrets=self.secrets,
        )  # fmt: skip
        result = redacted(await drive(ctx), self.journal.redact)
        if retry is not None:
            outcomes = renumber(result.outcomes, retry.rows) if retry.rows else result.outcomes
            result = replace(result, counts={**result.counts, RETRIED: retry.count},
                             outcomes=outcomes)  # fmt: skip
        detail = ", ".join(f"{k} {v}" for k, v in result.counts.items()) or "-"
        for error in result.errors:
            self.progress.note(job.name, error.text)
        self.progress.job_finished(job.name, status=result.status, detail=detail)
        return self._end(job, fingerprint, result)

    def _not_run(
        self, job: AnyJob, fingerprint: str, status: JobStatus, **fields: Any
    ) -> JobResult:
        """A job ended before its driver ran: SKIPPED, UNCHANGED, or stopped by an UNKNOWN
        ledger entry; journaled, but kept out of the ledger."""
        result = JobResult(name=job.name, kind=job.kind, module=job.module, status=status, **fields)
        return self._end(job, fingerprint, result, ran=False)

    def _end(self, job: AnyJob, fingerprint: str, result: JobResult, ran: bool = True) -> JobResult:
        if not any(r.name == job.name for r in self.journal.jobs(self.run_id)):
            self.journal.record_job(
                self.run_id, job.name, kind=job.kind, module=job.module,
                fingerprint=fingerprint, status=result.status,
            )  # fmt: skip
        self.journal.update_job(
            self.run_id, job.name, status=result.status, counts=dict(result.counts),
            zoho_job_ids=list(result.zoho_job_ids), ended_at=result.ended_at or self.clock.now(),
            errors=result.errors,
            ledger=ledger_entry(result) if ran and self.apply_once else None,
        )  # fmt: skip
        return result

    def _from_journal(self, job: AnyJob, row: JobRow) -> JobResult:
        """A job the interrupted run already finished, as the journal remembers it."""
        return JobResult(
            name=job.name,
            kind=job.kind,
            module=job.module,
            status=row.status,  # type: ignore[arg-type]
            zoho_job_ids=row.zoho_job_ids,
            counts=dict(row.counts),
            polls=self.journal.poll_count(self.run_id, job.name),
            started_at=row.started_at,
            ended_at=row.ended_at,
            outcomes=tuple(self.journal.job_outcomes(self.run_id, job.name)),
            errors=row.errors,
            cvid=getattr(job, "cvid", None),
            backup=recorded(self.journal, self.run_id, job, _folder(self.backups)),
        )


async def drive(ctx: JobContext) -> JobResult:
    """Run one job through its driver and keep the job's books.

    The driver says what happened (status, counts, errors, outcomes, files); this records
    when the job started and ended and, on what the driver returned, its calls and polls.
    A refused token pauses the job: RUNNING, with every Zoho job id it got, so resume polls
    them. Any other request-level error that escapes the driver fails the job.
    """
    started = ctx.clock.now()
    try:
        result = counted(ctx, await DRIVERS[ctx.job.kind].run(ctx))
    except AuthError as exc:
        # Whatever Zoho already accepted keeps running there, so the run ends resumable.
        paused = JobError.from_error(exc, advice=IN_FLIGHT)
        result = ctx.result("RUNNING", zoho_job_ids=accepted_ids(ctx), errors=(paused,))
    except (ZohoError, RunnerError) as exc:
        if isinstance(exc, ZohoError):
            error = JobError.from_error(exc)
        else:  # a JournalMismatch, say: the runner's own refusal
            error = JobError(type(exc).__name__, str(exc))
        result = ctx.result("FAILED", zoho_job_ids=accepted_ids(ctx), errors=(error,))
    backup = recorded(ctx.journal, ctx.run_id, ctx.job, _folder(ctx.backup_dir))
    return replace(result, started_at=started, ended_at=ctx.clock.now(), backup=backup)


def _folder(backups: Path | None) -> Path | None:
    """The report folder a backup's path is given relative to."""
    return None if backups is None else backups.parent


def redacted(result: JobResult, redact: Callable[[Any], Any]) -> JobResult:
    """`result` with its errors and failed records scrubbed as the journal scrubs them: the
    console and the reports show what Zoho said, never a secret it echoed (issue 9). One
    `redact` call over all of them, so 50,000 failed records with nothing to hide cost one
    `json.dumps`; `result` itself when nothing was redacted."""
    failed = failed_positions(result.outcomes)
    outcomes = result.outcomes
    said = {
        "errors": [[e.message, dict(e.details)] for e in result.errors],
        "records": [[outcomes[i].message, dict(outcomes[i].details)] for i in failed],
    }
    clean = redact(said)
    if clean is said:
        return result
    errors = tuple(
        JobError(e.code, str(message), details)
        for e, (message, details) in zip(result.errors, clean["errors"], strict=True)
    )
    scrubbed = list(outcomes)
    for i, (message, details) in zip(failed, clean["records"], strict=True):
        scrubbed[i] = scrubbed[i]._replace(message=str(message), details=details)
    return replace(result, errors=errors, outcomes=tuple(scrubbed))


def counted(ctx: JobContext, result: JobResult) -> JobResult:
    """`result` with the calls and polls its job made in this run, as the journal saw them:
    its journaled steps, each poll, each download, each read (a backup's facts are not
    calls: its reads and downloads are counted one by one)."""
    intents = ctx.journal.intents(ctx.run_id, ctx.name)
    if ctx.job.kind in FACTS_ARE_DOWNLOADS:
        steps = sum(1 for i in intents if i.request.method == "POST")
    else:
        steps = sum(
            1 for i in intents if i.request.method == "POST" or not is_backup_step(i.step_key)
        )
    calls = steps + ctx.polls + ctx.downloads + ctx.reads
    return replace(result, polls=ctx.polls, calls=calls)


def accepted_ids(ctx: JobContext) -> tuple[str, ...]:
    """Every Zoho job id this job's requests got in this run (resume polls them); a
    backup's export is not the job's: it changes nothing, so it leaves it out."""
    intents = ctx.journal.intents(ctx.run_id, ctx.name)
    found = (i.zoho_job_id for i in intents if i.zoho_job_id and not is_backup_step(i.step_key))
    return tuple(dict.fromkeys(found))


def file_hashes(job: AnyJob) -> Mapping[str, str]:
    """Content hashes of the files a job reads, for its fingerprint."""
    out: dict[str, str] = {}
    for name in ("ids_file", "file"):
        path = getattr(job, name, None)
        if path is not None:
            out[name] = sha256_file(path)
    return out
