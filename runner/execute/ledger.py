"""The apply-once ledger: which job contents already ran on an org, and what is left of them.

A job is APPLIED once Zoho ran it to its end: COMPLETED, PARTIAL, or FAILED after Zoho
accepted a request (a Zoho job id, or a per-record answer). It is UNKNOWN when a request
may have reached Zoho and no evidence settled it. Either way `apply` does not send the
same content to the same org again: APPLIED shows as UNCHANGED, UNKNOWN stops the job
until the user has checked the org and says `--replace JOB` (DESIGN §CLI contract).

`--retry-failed` works from the same history: the ids (or bulk write rows) whose latest
answer across the applied runs of that content was a failure, or that never got one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runner.execute.journal_read import JournalReader
from runner.execute.journal_schema import JobRow, Ledger
from runner.outcome import OUTCOME_UNKNOWN, RecordOutcome
from runner.results import JobResult

#: `counts` key that marks a run of a job as a `--retry-failed` of an earlier one.
RETRIED = "retried"


def ledger_entry(result: JobResult) -> Ledger | None:
    """What this result puts in the ledger (None: nothing reached Zoho, or a bulk read)."""
    if result.kind == "bulk_read" or result.status in ("SKIPPED", "UNCHANGED", "RUNNING"):
        return None
    if any(e.code == OUTCOME_UNKNOWN for e in result.errors):
        return "UNKNOWN"
    if result.status in ("COMPLETED", "PARTIAL"):
        return "APPLIED"
    accepted = bool(result.zoho_job_ids) or any(o.code != OUTCOME_UNKNOWN for o in result.outcomes)
    return "APPLIED" if accepted else None


def counts_text(counts: Mapping[str, int]) -> str:
    """A run's counts in a few words: "58/60 succeeded, 2 failed" (or every count as is)."""
    if "total" in counts and "succeeded" in counts:
        text = f"{counts['succeeded']}/{counts['total']} succeeded"
        text += f", {counts['failed']} failed" if counts.get("failed") else ""
        return text + (" by --retry-failed" if RETRIED in counts else "")
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "no counts"


def unknown_hint(job: str, row: JobRow) -> str:
    """Why an UNKNOWN entry stops the job, and what the user does about it."""
    return (
        f"run {row.run_id} could not tell whether Zoho carried out job {job!r} (an answer "
        f"was lost and no evidence settled it); check the org, then apply with --replace "
        f"{job} to send it again"
    )


@dataclass(frozen=True)
class Leftovers:
    """What `--retry-failed` sends again: ids (mass jobs) or 1-based data rows (bulk write)."""

    ids: tuple[str, ...]
    rows: tuple[int, ...]
    codes: dict[str, int]


def _chain(reader: JournalReader, history: Sequence[JobRow]) -> list[JobRow]:
    """The applied runs that together make the job's current state: newest first, back to
    (and including) the last run that was not itself a retry."""
    chain: list[JobRow] = []
    for row in history:
        if not row.ledger:
            continue
        chain.append(row)
        if RETRIED not in row.counts:
            break
    return chain


def leftovers(
    reader: JournalReader,
    history: Sequence[JobRow],
    *,
    all_ids: Sequence[str] = (),
    total_rows: int = 0,
) -> Leftovers:
    """Failed or never-answered ids/rows across the job's applied history (newest wins)."""
    latest: dict[str, RecordOutcome] = {}
    rows: dict[int, RecordOutcome] = {}
    for row in _chain(reader, history):
        for o in reader.job_outcomes(row.run_id, row.name):
            number = o.details.get("row") if o.details else None
            if isinstance(number, int):
                rows.setdefault(number, o)
            elif o.record_id:
                latest.setdefault(o.record_id, o)
    codes: dict[str, int] = {}
    ids: list[str] = []
    for rid in all_ids:
        last = latest.get(rid)
        if last is None or not last.ok:
            ids.append(rid)
            code = "NOT_PROCESSED" if last is None else last.code
            codes[code] = codes.get(code, 0) + 1
    failed_rows: list[int] = []
    for n in range(1, total_rows + 1):
        got = rows.get(n)
        if got is None or not got.ok:
            failed_rows.append(n)
            code = "NOT_PROCESSED" if got is None else got.code
            codes[code] = codes.get(code, 0) + 1
    return Leftovers(tuple(ids), tuple(failed_rows), codes)
