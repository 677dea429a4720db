"""Settling a lost schedule answer from evidence (Zoho has no list-jobs endpoint, API_NOTES §8).

Before a mass job by custom view is scheduled, the view (all of it up to 2,000 records,
1-10 GETs) is journaled as the job's *baseline*: ids, and for an update the target fields
and `Modified_Time` of each, with the view's record count. When the schedule's answer is
lost, the same records are read again by id:

- update: a record whose `Modified_Time` moved and that now holds every new value was
  changed after the request → APPLIED;
- delete: a record that is gone, and listed by the deleted-records API
  (`/{module}/deleted`, API_NOTES §13) → APPLIED;
- none of them changed → NOT_APPLIED: the request may be sent again, still guarded by
  Zoho's ALREADY_SCHEDULED (a lost job that is queued but not started yet refuses the
  new one, and the driver then waits and looks again);
- the records cannot be read just now (5xx, 429, a dropped connection, after patient
  tries) → UNSETTLED: no verdict, the job stays in flight and resume looks again;
- no baseline, or a read Zoho refuses → OUTCOME_UNKNOWN: never sent again without
  `--replace`. A refused token is no evidence at all: it pauses the job.

A count from the sample is exact only when no record outside it joined the view meanwhile
(outsiders.py).

The comparison is of Zoho's own values before and after, never of Zoho's clock against
ours, so clock skew cannot turn a change into "no change". Each look at a settling job
is journaled (`remember_look`), so looks add up across resumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runner.execute.context import POLL_RETRY_ON, JobContext
from runner.execute.drivers.bulk_steps import fact, remember
from runner.execute.drivers.outsiders import watermark
from runner.execute.drivers.patient import patiently
from runner.zoho import endpoints, record_reads
from runner.zoho import records as zrecords
from runner.zoho.errors import AuthError, ZohoError
from runner.zoho.limits import PAGE_REACH, RECORDS_PER_PAGE

#: Records of the view journaled before a schedule: the whole view up to 2,000 (10 pages of
#: 200, the reach of `page` before page tokens, API_NOTES §13), so that for most views a
#: lost answer can still be counted exactly; a larger view is sampled.
SAMPLE = PAGE_REACH
BASELINE = "baseline"
LOOK = "evidence:look"
MODIFIED = "Modified_Time"
DELETED_PAGES = 10  # newest first: beyond the lost job's own, look this many pages further

#: UNSETTLED: the records could not be read just now (5xx, 429, a dropped connection,
#: even after a few patient tries): no verdict yet, the job stays in flight for resume.
Verdict = Literal["APPLIED", "NOT_APPLIED", "OUTCOME_UNKNOWN", "UNSETTLED"]


@dataclass(frozen=True)
class Evidence:
    """What the read-back showed, in words a reviewer can check."""

    verdict: Verdict
    text: str
    sampled: int = 0
    changed: int = 0
    complete: bool = False  # the sample is the job's whole target: `changed` is its count


def unreadable(exc: ZohoError, what: str) -> Evidence:
    """No verdict from a failed read: UNSETTLED if it may pass, else OUTCOME_UNKNOWN."""
    if isinstance(exc, POLL_RETRY_ON):
        return Evidence("UNSETTLED", f"{what} could not be read yet ({exc.code})")
    return Evidence("OUTCOME_UNKNOWN", f"{what} could not be read ({exc.code})")


async def take_baseline(
    ctx: JobContext,
    cvid: str,
    fields: Sequence[str],
    *,
    read: bool = True,
    count: int | None = None,
    narrowed: bool = False,
) -> Mapping[str, Any]:
    """The view's sample as journaled for this job; read (once per job, and only while
    `read`: before any request was sent) if not yet there; {} when there is none.
    `narrowed`: a territory narrows the job to part of the view, so even a whole-view
    sample is not the job's exact target."""
    known = fact(ctx, BASELINE)
    if known is not None or not read:
        return known or {}
    wanted = [*fields, MODIFIED] if fields else [MODIFIED]
    # Read before the view: a record that joins it after this read is newer than the mark.
    mark = await watermark(ctx, deleting=not fields)

    async def sample_view() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        pages = record_reads.list_records(ctx.client, ctx.job.module, wanted, cvid=cvid)
        async for page in pages:
            rows.extend(page)
            if len(rows) >= SAMPLE:
                break
        return rows

    try:
        rows = await patiently(ctx, sample_view)
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        ctx.progress.note(ctx.name, f"could not sample the view first ({exc.code}); going on")
        return {}
    # Only ids and Modified_Time are ever read back: the field values stay out of the
    # journal, since a value the job sets may come from the environment (issue 9).
    sample = {str(r["id"]): {MODIFIED: r.get(MODIFIED)} for r in rows[:SAMPLE]}
    whole = len(rows) < SAMPLE or (count is not None and len(sample) >= count)
    base = {
        "cvid": cvid, "fields": list(fields), "records": sample, "count": count,
        "complete": whole and not narrowed, "watermark": mark,
    }  # fmt: skip
    remember(ctx, BASELINE, endpoints.records(ctx.job.module), base)
    return base


def _no_sample(base: Mapping[str, Any]) -> Evidence:
    """The verdict when there is no sampled record to look at."""
    if not base:
        return Evidence("OUTCOME_UNKNOWN", "no sample of the view was taken before the request")
    return Evidence("NOT_APPLIED", "the view was empty before the request", 0, 0)


async def judge_update(
    ctx: JobContext, base: Mapping[str, Any], values: Mapping[str, Any], holds: Any
) -> Evidence:
    """Did a lost mass update by view reach the sampled records? (module docstring)"""
    before: Mapping[str, Mapping[str, Any]] = base.get("records") or {}
    if not before:
        return _no_sample(base)
    try:
        rows = await patiently(
            ctx,
            lambda: zrecords.get_records(
                ctx.client, ctx.job.module, list(before), [*values, MODIFIED]
            ),
        )
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        return unreadable(exc, "the sampled records")
    changed = sum(
        1
        for r in rows
        if r.get(MODIFIED) != before.get(str(r["id"]), {}).get(MODIFIED) and holds(r)
    )
    text = f"{changed} of {len(rows)} sampled records of the view changed to the new values"
    verdict: Verdict = "APPLIED" if changed else "NOT_APPLIED"
    # A sampled record that is gone was deleted by someone else (soak seed 244: a delete of
    # the same module at once): whether the lost job reached it first is unknown, so the
    # sample no longer counts the job exactly.
    exact = bool(base.get("complete")) and len(rows) == len(before)
    return Evidence(verdict, text, len(rows), changed, exact)


async def judge_delete(ctx: JobContext, base: Mapping[str, Any]) -> Evidence:
    """Did a lost mass delete by view reach the sampled records? (module docstring)"""
    before: Mapping[str, Any] = base.get("records") or {}
    if not before:
        return _no_sample(base)
    try:
        rows = await patiently(
            ctx, lambda: zrecords.get_records(ctx.client, ctx.job.module, list(before), ["id"])
        )
        gone = set(before) - {str(r["id"]) for r in rows}
        listed = await patiently(ctx, lambda: listed_deleted(ctx, gone)) if gone else set()
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        return unreadable(exc, "the sampled records")
    text = (
        f"{len(gone)} of {len(before)} sampled records of the view are gone, "
        f"{len(listed)} of them in the deleted records"
    )
    verdict: Verdict = "APPLIED" if listed else "NOT_APPLIED"
    return Evidence(verdict, text, len(before), len(listed), bool(base.get("complete")))


async def listed_deleted(ctx: JobContext, ids: set[str]) -> set[str]:
    """Which of `ids` the deleted-records API lists (newest first: stop once all are found)."""
    found: set[str] = set()
    pages = 0
    async for page in record_reads.deleted_records(ctx.client, ctx.job.module):
        found.update(d.id for d in page if d.id in ids)
        pages += 1
        if found == ids or pages >= DELETED_PAGES + len(ids) // RECORDS_PER_PAGE:
            break
    return found


@dataclass(frozen=True)
class Look:
    """The last evidence look at a lost job's records: how many had changed, and since
    when looks have seen that many (the first look of the run of agreeing ones)."""

    changed: int
    at: float


def last_look(ctx: JobContext) -> Look | None:
    """The latest look journaled by `remember_look` in this run, if any."""
    found = fact(ctx, LOOK)
    if not found:
        return None
    return Look(int(found["changed"]), float(found["at"]))


def remember_look(ctx: JobContext, seen: Evidence) -> None:
    """Journal this look (a fact: it adds up across resumes). A look that agrees with the
    last one keeps that one's time: how long the count has held still is then measured
    from its first sighting, so resumes closer together than the settle wait still add
    up to it (timing each look from the one before kept a job with a 2 s deadline, its
    resumes 2 s apart, in flight for good: soak seed 71)."""
    before = last_look(ctx)
    agrees = before is not None and before.changed == seen.changed
    look = {"changed": seen.changed, "at": before.at if agrees and before else ctx.clock.now()}
    remember(ctx, LOOK, endpoints.records(ctx.job.module), look)
