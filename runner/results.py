"""What a run produced: frozen dataclasses the executor fills and the reports read.

A neutral module (like `runner.outcome`): `runner.execute` writes these and `runner.report`
reads them, so neither package imports the other.

The executor builds one `JobResult` per manifest job (bulk writes split into several Zoho
jobs still make one `JobResult`, with several `zoho_job_ids`) and one `RunResult` per
apply or resume. Reports (`runner.report`) only read these; the journal stores the same
facts in SQLite so `resume` can rebuild them.

Times are seconds since the epoch on the run's injected clock (`runner.clock`). Ids are
strings end to end. Per-record failures are data (`RecordOutcome`), never exceptions.

Exit codes (`exit_code_for`, DESIGN §CLI contract), checked in this order:
  1  a job FAILED with a request-level error (`JobResult.errors` not empty), or is paused
     in flight by one (RUNNING with errors: a refused token; `resume` after fixing it)
  4  the deadline was reached while a Zoho job was still RUNNING (`resume` finishes it)
  3  some records failed: a PARTIAL job, or a FAILED job whose only errors are per record
  0  everything done (COMPLETED, SKIPPED, UNCHANGED)
An error outranks the deadline because a broken job needs a human before a resume helps;
the report still prints the resume hint whenever a job is RUNNING.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Protocol

# Defined beside the client, which builds them; re-exported for the reports.
from runner.outcome import OutcomeStatus as OutcomeStatus
from runner.outcome import RecordOutcome as RecordOutcome
from runner.outcome import failed_of
from runner.refs import ManifestRef

JobStatus = Literal["COMPLETED", "PARTIAL", "FAILED", "SKIPPED", "RUNNING", "UNCHANGED"]
JOB_STATUSES: tuple[JobStatus, ...] = (
    "COMPLETED",
    "PARTIAL",
    "FAILED",
    "SKIPPED",
    "RUNNING",
    "UNCHANGED",
)
TargetKind = Literal["sim", "zoho"]

#: Count keys the reports know by name; drivers may add others (e.g. "not_updated").
COUNT_KEYS = ("total", "succeeded", "failed", "not_processed")
#: How much of Zoho's error details a message line shows (report.json keeps them whole).
DETAIL_CHARS = 60  # per value
DETAIL_ITEMS = 5  # per list


def _detail_value(value: Any) -> str | None:
    """One detail as text: a scalar, or a list of scalars; None for anything deeper."""
    if isinstance(value, (list, tuple)):
        items = [_detail_value(v) for v in value if not isinstance(v, (list, tuple, Mapping))]
        shown = [v for v in items[:DETAIL_ITEMS] if v is not None]
        more = ", …" if len(value) > DETAIL_ITEMS else ""
        return f"[{', '.join(shown)}{more}]"
    if isinstance(value, Mapping):
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def details_text(details: Mapping[str, Any]) -> str:
    """Zoho's error details in one line: `api_name: Email, expected_data_type: email`.

    Zoho says there which field, type, path or limit the error is about (API_NOTES §5.1);
    a nested mapping shows its own scalars (`duplicate_record.id: 5`), deeper ones are
    left to report.json. Empty when there are none."""
    parts: list[str] = []
    for key, value in details.items():
        inner = value.items() if isinstance(value, Mapping) else [(None, value)]
        for sub, item in inner:
            text = _detail_value(item)
            name = " ".join(str(key if sub is None else f"{key}.{sub}").split())
            if text is not None:
                parts.append(f"{name}: {text}")
    return ", ".join(parts)


def with_details(message: str, details: Mapping[str, Any]) -> str:
    """`invalid data (api_name: Email, expected_data_type: email)`; the message alone
    when there are no details."""
    shown = details_text(details)
    if not shown:
        return message
    return f"{message} ({shown})" if message else f"({shown})"


def error_text(code: str, message: str, details: Mapping[str, Any]) -> str:
    """`INVALID_DATA: invalid data (api_name: Email, expected_data_type: email)`: an
    error's code, message and details, as the console, report.md and junit.xml show it."""
    text = with_details(message, details)
    return f"{code}: {text}" if text else code


def record_details(outcome: RecordOutcome) -> Mapping[str, Any]:
    """A record's details without its own id, which Zoho repeats in `details.id`
    (API_NOTES §5.1) and every report already shows beside it."""
    details = outcome.details
    if "id" in details and str(details["id"]) == outcome.record_id:
        return {k: v for k, v in details.items() if k != "id"}
    return details


class CodedError(Protocol):
    """What `JobError.from_error` reads of an error: `runner.zoho.errors.ZohoError` fits
    (named by shape, so this neutral module imports nothing of `runner.zoho`)."""

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def details(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class JobError:
    """A request-level error that stopped (part of) a job, e.g. ALREADY_SCHEDULED, NO_PERMISSION."""

    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(
        cls, error: CodedError, context: str | None = None, *, advice: str | None = None
    ) -> JobError:
        """Zoho's refusal as a job error: its code and details, its message after `context`
        (`part 3: ...`) and before `advice` (`...; resume after fixing it`) when given."""
        message = error.message if context is None else f"{context}: {error.message}"
        if advice is not None:
            message = f"{message}; {advice}"
        return cls(error.code, message, dict(error.details))

    @property
    def text(self) -> str:
        """Code, message and details in one line (`error_text`)."""
        return error_text(self.code, self.message, self.details)


@dataclass(frozen=True)
class FileRef:
    """A file a job produced: kind is "outcomes", "bulk_read_output", "bulk_write_result"..."""

    kind: str
    path: str
    rows: int | None = None


@dataclass(frozen=True)
class BackupColumn:
    """A column of a backup that a revert can write back: the field and its Zoho type."""

    name: str
    data_type: str = ""


@dataclass(frozen=True)
class Backup:
    """What a destructive job saved before its first request (issue 12), or why it did not.

    `path` is the CSV (relative to the report's folder when inside it); its first column
    is the record id (`id_column`), `columns` the fields a revert can write back (read-only
    and system fields of an exported record are left out). `source`: "records" (read by
    id) or "bulk_read" (an export of the view or the module). Without `path`, `skipped`
    says why there is none.
    """

    path: str | None
    rows: int = 0
    source: str = ""
    id_column: str = "Id"
    columns: tuple[BackupColumn, ...] = ()
    skipped: str | None = None
    withheld: int = 0  # records left out: they held a value built from ZCRM_VAR_* (issue 9)


@dataclass(frozen=True)
class JobResult:
    """One manifest job's end state, counts and evidence (Zoho job ids, polls, errors)."""

    name: str
    kind: str
    module: str
    status: JobStatus
    zoho_job_ids: tuple[str, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    polls: int = 0
    calls: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    errors: tuple[JobError, ...] = ()
    outcomes: tuple[RecordOutcome, ...] = ()
    files: tuple[FileRef, ...] = ()
    skipped_reason: str | None = None
    cvid: str | None = None  # the custom view the job chose its records by, if any
    backup: Backup | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0.0, self.ended_at - self.started_at)

    @cached_property
    def failed_outcomes(self) -> tuple[RecordOutcome, ...]:
        """The per-record failures, in the order the executor recorded them (picked once:
        the reports ask a dozen times, issue 13)."""
        return failed_of(self.outcomes)

    @property
    def counts_unknown(self) -> bool:
        """Settled from evidence after a lost answer: the Zoho job (and its counts) unknown."""
        return "sampled" in self.counts and "succeeded" not in self.counts

    @property
    def records_failed(self) -> int:
        """Failed records: the `failed` count when given, else the failed outcomes."""
        failed = self.counts.get("failed")
        return len(self.failed_outcomes) if failed is None else int(failed)

    @property
    def failures_unnamed(self) -> bool:
        """Records failed that no outcome names: a job by custom view, whose status has a
        Failed_Count and no record ids (seed 000, seed 001)."""
        return self.cvid is not None and self.records_failed > len(self.failed_outcomes)


@dataclass(frozen=True)
class RunTarget:
    """The org a run talked to; never any credential."""

    kind: TargetKind
    api_domain: str
    org_id: str | None = None
    dc: str | None = None


@dataclass(frozen=True)
class RunResult:
    """One apply or resume: its jobs, target and exit code."""

    run_id: str
    started_at: float
    ended_at: float | None
    target: RunTarget
    manifests: tuple[ManifestRef, ...] = ()
    jobs: tuple[JobResult, ...] = ()
    exit_code: int = 0
    resume: str | None = None  # the exact `zcrm-runner resume ...` for this run's options

    @property
    def duration(self) -> float | None:
        """Seconds the run took, when it has ended."""
        return None if self.ended_at is None else max(0.0, self.ended_at - self.started_at)

    @property
    def running_jobs(self) -> tuple[JobResult, ...]:
        """Jobs still running on Zoho when the deadline ended the wait."""
        return tuple(j for j in self.jobs if j.status == "RUNNING")


def _has_record_failures(job: JobResult) -> bool:
    return bool(job.failed_outcomes) or job.counts.get("failed", 0) > 0


def exit_code_for(run: RunResult) -> int:
    """The process exit code this run ends with (order explained in the module docstring)."""
    jobs = run.jobs
    if any(j.status in ("FAILED", "RUNNING") and j.errors for j in jobs):
        return 1  # a RUNNING job with an error is paused (a refused token): resume after fixing
    if any(j.status == "RUNNING" for j in jobs):
        return 4
    if any(j.status == "PARTIAL" for j in jobs):
        return 3
    if any(j.status == "FAILED" for j in jobs):
        # FAILED without a request-level error: the records failed, not the request.
        return 3 if any(_has_record_failures(j) for j in jobs if j.status == "FAILED") else 1
    return 0
