"""`apply --retry-failed JOB|all`: send again only what the applied runs left failed.

A mass job by ids sends the ids whose latest answer was a failure (or that never got
one); a bulk write sends a CSV of the failed rows, written beside the run's other files.
A job by custom view has no per-record answers to retry: Zoho reports counts only, so it
keeps apply-once (UNCHANGED) and the message says to use `--replace`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from runner.atomic import atomic_open
from runner.execute.journal_read import JournalReader
from runner.execute.journal_schema import JobRow
from runner.execute.ledger import counts_text, leftovers
from runner.manifest.model import AnyJob, BulkWriteJob, MassDeleteJob, MassUpdateJob
from runner.outcome import RecordOutcome

ALL = "all"


def retry_wanted(job: AnyJob, names: Collection[str]) -> bool:
    """Whether `--retry-failed` asks for this job (by name or `all`)."""
    return job.name in names or ALL in names


def per_record(job: AnyJob) -> bool:
    """Jobs whose failures Zoho names record by record (ids jobs, bulk writes)."""
    if isinstance(job, (MassUpdateJob, MassDeleteJob)):
        return job.cvid is None
    return isinstance(job, BulkWriteJob)


@dataclass(frozen=True)
class Retry:
    """The job as the retry sends it, and how many ids or rows that is."""

    job: AnyJob
    count: int
    codes: dict[str, int]
    rows: tuple[int, ...] = ()  # bulk write: the retry file's rows in the manifest's file


def retry_job(
    job: AnyJob, history: Sequence[JobRow], reader: JournalReader, work_dir: Path
) -> Retry | None:
    """The retry of `job` from its applied history; None when nothing is left to send."""
    if not per_record(job):
        return None
    if isinstance(job, BulkWriteJob):
        header, rows = _read_rows(job)
        left = leftovers(reader, history, total_rows=len(rows))
        if not left.rows:
            return None
        dest = work_dir / "retry-failed.csv"
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(dest, newline="") as fh:  # UTF-8, whatever the source's encoding
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows[n - 1] for n in left.rows)
        sent = replace(job, file=dest, character_encoding=None)
        return Retry(sent, len(left.rows), left.codes, left.rows)
    assert isinstance(job, (MassUpdateJob, MassDeleteJob))
    left = leftovers(reader, history, all_ids=job.ids or ())
    if not left.ids:
        return None
    return Retry(replace(job, ids=left.ids), len(left.ids), left.codes)


def renumber(outcomes: Sequence[RecordOutcome], rows: Sequence[int]) -> tuple[RecordOutcome, ...]:
    """A retried bulk write's outcomes, numbered as rows of the manifest's own file."""
    out = []
    for o in outcomes:
        number = o.details.get("row") if o.details else None
        if isinstance(number, int) and 1 <= number <= len(rows):
            o = o._replace(details={**o.details, "row": rows[number - 1]})
        out.append(o)
    return tuple(out)


def failed_codes(job: AnyJob, history: Sequence[JobRow], reader: JournalReader) -> str:
    """What `--retry-failed` would resend, by error code ("RECORD_LOCKED 2, …"); "" when
    nothing, or the job has no per-record failures (a view). Reads, writes nothing."""
    if not per_record(job):
        return ""
    if isinstance(job, BulkWriteJob):
        left = leftovers(reader, history, total_rows=len(_read_rows(job)[1]))
    else:
        assert isinstance(job, (MassUpdateJob, MassDeleteJob))
        left = leftovers(reader, history, all_ids=job.ids or ())
    return ", ".join(f"{code} {n}" for code, n in sorted(left.codes.items()))


def _read_rows(job: BulkWriteJob) -> tuple[list[str], list[list[str]]]:
    """The CSV's header and data rows, numbered as the outcomes number them (blank lines
    are not records, as in the upload)."""
    text = job.file.read_text(encoding=job.character_encoding or "utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    return header, [row for row in reader if row]


def unchanged_reason(job: AnyJob, earlier: JobRow, *, retrying: bool) -> str:
    """Why the job is not sent: the run that applied it, and what would send it again."""
    why = f"applied in run {earlier.run_id} ({earlier.status}, {counts_text(earlier.counts)})"
    if retrying and not per_record(job):
        return (
            f"{why}; a job by custom view has no per-record failures to retry, "
            f"--replace {job.name} runs it again in full"
        )
    if retrying:
        return f"{why}; nothing failed, nothing to retry"
    hint = f"--replace {job.name} runs it again in full"
    if earlier.status in ("PARTIAL", "FAILED") and per_record(job):
        hint = f"--retry-failed {job.name} resends only what failed, {hint}"
    return f"{why}; {hint}"
