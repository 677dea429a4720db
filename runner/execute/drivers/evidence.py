"""Settling a lost schedule answer from evidence (Zoho has no list-jobs endpoint, API_NOTES §8).

Before a mass job by custom view is scheduled, a sample of the view (up to 200 records,
one GET) is journaled as the job's *baseline*: ids, and for an update the target fields
and `Modified_Time` of each, with the view's record count. When the schedule's answer is
lost, the same records are read again by id:

- update: a sampled record whose `Modified_Time` moved and that now holds every new value
  was changed after the request → APPLIED;
- delete: a sampled record that is gone, and listed by the deleted-records API
  (`/{module}/deleted`, API_NOTES §13) → APPLIED;
- none of them changed → NOT_APPLIED: the request may be sent again, still guarded by
  Zoho's ALREADY_SCHEDULED (a lost job that is queued but not started yet refuses the
  new one, and the driver then waits and looks again);
- no baseline, or the records could not be read → OUTCOME_UNKNOWN: never sent again
  without `--replace`.

The comparison is of Zoho's own values before and after, never of Zoho's clock against
ours, so clock skew cannot turn a change into "no change".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from runner.execute.context import JobContext
from runner.execute.drivers.bulk_steps import fact, remember
from runner.zoho import endpoints, record_reads
from runner.zoho import records as zrecords
from runner.zoho.errors import AuthError, ZohoError

#: Records of the view journaled before a schedule: the whole view up to 2,000 (10 pages of
#: 200, the reach of `page` before page tokens, API_NOTES §13), so that for most views a
#: lost answer can still be counted exactly; a larger view is sampled.
SAMPLE = 2_000
BASELINE = "baseline"
MODIFIED = "Modified_Time"
DELETED_PAGES = 10  # newest first: beyond the lost job's own, look this many pages further

Verdict = Literal["APPLIED", "NOT_APPLIED", "OUTCOME_UNKNOWN"]


@dataclass(frozen=True)
class Evidence:
    """What the read-back showed, in words a reviewer can check."""

    verdict: Verdict
    text: str
    sampled: int = 0
    changed: int = 0
    complete: bool = False  # the sample is the job's whole target: `changed` is its count


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
    rows: list[dict[str, Any]] = []
    try:
        async for page in record_reads.list_records(ctx.client, ctx.job.module, wanted, cvid=cvid):
            rows.extend(page)
            if len(rows) >= SAMPLE:
                break
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        ctx.progress.note(ctx.name, f"could not sample the view first ({exc.code}); going on")
        return {}
    sample = {str(r["id"]): {f: r.get(f) for f in wanted} for r in rows[:SAMPLE]}
    whole = len(rows) < SAMPLE or (count is not None and len(sample) >= count)
    base = {
        "cvid": cvid, "fields": list(fields), "records": sample, "count": count,
        "complete": whole and not narrowed,
    }  # fmt: skip
    remember(ctx, BASELINE, endpoints.records(ctx.job.module), base)
    return base


async def judge_update(
    ctx: JobContext, base: Mapping[str, Any], values: Mapping[str, Any], holds: Any
) -> Evidence:
    """Did a lost mass update by view reach the sampled records? (module docstring)"""
    before: Mapping[str, Mapping[str, Any]] = base.get("records") or {}
    if not base:
        return Evidence("OUTCOME_UNKNOWN", "no sample of the view was taken before the request")
    if not before:
        return Evidence("NOT_APPLIED", "the view was empty before the request", 0, 0)
    try:
        rows = await zrecords.get_records(
            ctx.client, ctx.job.module, list(before), [*values, MODIFIED]
        )
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        return Evidence("OUTCOME_UNKNOWN", f"the sampled records could not be read ({exc.code})")
    changed = sum(
        1
        for r in rows
        if r.get(MODIFIED) != before.get(str(r["id"]), {}).get(MODIFIED) and holds(r)
    )
    text = f"{changed} of {len(before)} sampled records of the view changed to the new values"
    verdict: Verdict = "APPLIED" if changed else "NOT_APPLIED"
    return Evidence(verdict, text, len(before), changed, bool(base.get("complete")))


async def judge_delete(ctx: JobContext, base: Mapping[str, Any]) -> Evidence:
    """Did a lost mass delete by view reach the sampled records? (module docstring)"""
    before: Mapping[str, Any] = base.get("records") or {}
    if not base:
        return Evidence("OUTCOME_UNKNOWN", "no sample of the view was taken before the request")
    if not before:
        return Evidence("NOT_APPLIED", "the view was empty before the request", 0, 0)
    try:
        rows = await zrecords.get_records(ctx.client, ctx.job.module, list(before), ["id"])
        gone = set(before) - {str(r["id"]) for r in rows}
        listed = await listed_deleted(ctx, gone) if gone else set()
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        return Evidence("OUTCOME_UNKNOWN", f"the sampled records could not be read ({exc.code})")
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
        if found == ids or pages >= DELETED_PAGES + len(ids) // 200:
            break
    return found
