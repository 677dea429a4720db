"""What a driver gets to run one job: the client, the journal, time, progress, and `step()`.

`JobContext.step()` is the write-ahead protocol of the journal (journal.py) in one place,
so no driver can forget it: an intent is committed before each POST, the answer right
after; on resume, a step already answered is not sent again, and a step whose answer was
lost is reported as `Lost` for the driver to verify or explain, never resent blindly.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from runner.clock import Clock
from runner.errors import RunnerError
from runner.execute.journal import Journal, RequestSummary
from runner.execute.journal_schema import Intent
from runner.execute.poll import Backoff
from runner.execute.progress import Progress
from runner.manifest.model import AnyJob
from runner.results import FileRef, JobError, JobResult, JobStatus, RecordOutcome
from runner.zoho.client import ZohoClient
from runner.zoho.errors import OutcomeUnknown, RateLimited, ServerError, TransportError, ZohoError

T = TypeVar("T")

#: Failures a poll retries instead of failing the job (DESIGN §Polling).
POLL_RETRY_ON: tuple[type[BaseException], ...] = (TransportError, ServerError, RateLimited)


class JournalMismatch(RunnerError):
    """A resumed step would send other bytes than the journaled intent of that step."""


@dataclass(frozen=True)
class Answered(Generic[T]):
    """A step with an answer: fresh from Zoho (`value`), or recorded by an earlier attempt."""

    intent: Intent | None
    value: T | None = None
    zoho_job_id: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    outcomes: tuple[RecordOutcome, ...] = ()
    replayed: bool = False


@dataclass(frozen=True)
class Lost:
    """A POST whose answer never arrived: lost just now (`fresh`), or by an earlier process."""

    intent: Intent
    fresh: bool = False

    def explain(self, job: str) -> str:
        return (
            f"the request {self.intent.request.method} {self.intent.request.path} of job "
            f"{job!r} was sent (attempt {self.intent.attempt}) but its answer was lost; "
            "Zoho may or may not have acted on it"
        )


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """How to record a fresh answer in the journal."""

    zoho_job_id: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    outcomes: Sequence[RecordOutcome] = ()


@dataclass
class JobContext:
    """Everything one job's driver needs; one per job per run."""

    run_id: str
    job: AnyJob
    client: ZohoClient
    journal: Journal
    clock: Clock
    deadline: float
    progress: Progress
    work_dir: Path
    zgid: Callable[[], Awaitable[str]]
    poll_backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = 5  # --concurrency: requests (so batches) under way at once
    rng: random.Random = field(default_factory=random.Random)
    #: Where a destructive job saves its backup (the run's report folder's `backups/`);
    #: None: no backup (drivers/backup.py).
    backup_dir: Path | None = None
    #: Values no file may hold (issue 9): the credentials, and what templates built from
    #: ZCRM_VAR_* variables; a backup leaves out a record that holds one.
    secrets: tuple[str, ...] = ()
    polls: int = 0  # counted for the executor, which files them with the job's calls
    downloads: int = 0
    reads: int = 0  # GETs no journal step stands for (a backup's reads by id)

    @property
    def name(self) -> str:
        return self.job.name

    def earlier(self, step_key: str) -> Intent | None:
        """The latest attempt at this step in this run, if any."""
        return self.journal.latest_intent(self.run_id, self.name, step_key)

    def accepted(self, prefix: str) -> Intent | None:
        """The latest step of this job (key `prefix` or `prefix.*`) that got a Zoho job id."""
        for intent in reversed(self.journal.intents(self.run_id, self.name)):
            key = intent.step_key
            if (
                intent.state == "ACKED"
                and intent.zoho_job_id
                and (key == prefix or key.startswith(f"{prefix}."))
            ):
                return intent
        return None

    def replay(self, intent: Intent) -> Answered[Any]:
        """An answer an earlier attempt recorded, rebuilt from the journal."""
        result = dict(self.journal.intent_result(intent.id) or {})
        outcomes = tuple(self.journal.intent_outcomes(intent.id))
        return Answered(intent, None, intent.zoho_job_id, result, outcomes, replayed=True)

    async def step(
        self,
        step_key: str,
        summary: RequestSummary,
        send: Callable[[], Awaitable[T]],
        record: Callable[[T], Recorded[T]],
    ) -> Answered[T] | Lost:
        """Send one POST under the write-ahead protocol (see the module docstring).

        A request-level refusal is journaled as REFUSED and re-raised; a lost answer is
        journaled as UNKNOWN and comes back as `Lost`.
        """
        before = self.earlier(step_key)
        hashes = (before.request.body_sha256 if before else None, summary.body_sha256)
        if before is not None and None not in hashes and hashes[0] != hashes[1]:
            raise JournalMismatch(
                f"job {self.name!r}, step {step_key}: the journal recorded a request with "
                f"another body (sha256 {str(before.request.body_sha256)[:12]}…) than the one "
                f"about to be sent ({str(summary.body_sha256)[:12]}…); nothing was sent. The "
                "job or its files changed since the run started: restore them to resume, or "
                f"check the org and apply the new version with --abandon {self.run_id}"
            )
        if before is not None and before.state == "ACKED":
            return self.replay(before)
        if before is not None and before.state in ("PENDING", "UNKNOWN"):
            if before.state == "PENDING":
                self.journal.mark_unknown(before.id, reason="no answer recorded before a restart")
            return Lost(before)
        intent_id = await self.journal.record_intent_async(
            self.run_id, self.name, step_key, summary
        )
        try:
            value = await send()
        except ZohoError as exc:
            if isinstance(exc, OutcomeUnknown) or exc.request_was_processed is None:
                self.journal.mark_unknown(intent_id, reason=str(exc))
                intent = self.journal.get_intent(intent_id)
                assert intent is not None
                return Lost(intent, fresh=True)
            self.journal.refuse_intent(intent_id, code=exc.code, message=exc.message)
            raise
        except BaseException:
            # Cancelled or crashed mid-request: nobody knows whether Zoho got it.
            self.journal.mark_unknown(intent_id, reason="interrupted while waiting for the answer")
            raise
        rec = record(value)
        self.journal.ack_intent(
            intent_id, zoho_job_id=rec.zoho_job_id, result=rec.result, outcomes=rec.outcomes
        )
        intent = self.journal.get_intent(intent_id)
        return Answered(intent, value, rec.zoho_job_id, dict(rec.result), tuple(rec.outcomes))

    def result(
        self,
        status: JobStatus,
        *,
        zoho_job_ids: Sequence[str] = (),
        counts: Mapping[str, int] | None = None,
        errors: Sequence[JobError] = (),
        outcomes: Sequence[RecordOutcome] = (),
        files: Sequence[FileRef] = (),
        skipped_reason: str | None = None,
    ) -> JobResult:
        """What this job came to, as its driver says it: the executor adds when it ran and
        how many calls and polls it took."""
        return JobResult(
            name=self.name,
            kind=self.job.kind,
            module=self.job.module,
            status=status,
            zoho_job_ids=tuple(zoho_job_ids),
            counts=dict(counts or {}),
            errors=tuple(errors),
            outcomes=tuple(outcomes),
            files=tuple(files),
            skipped_reason=skipped_reason,
            cvid=getattr(self.job, "cvid", None),
        )

    def on_poll(self, intent: Intent | None, status: str, counts: dict[str, int]) -> None:
        """Journal one poll and count it for the report."""
        self.polls += 1
        if intent is not None:
            self.journal.record_poll(intent.id, status=status, counts=counts)
