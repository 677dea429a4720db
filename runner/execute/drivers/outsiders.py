"""Records that joined a view behind its sample's back: with them, no count is exact.

A count from the sample is exact only when nothing else moved the view: a record that joined
the view between the sample and the schedule is in Zoho's job but not in the sample. So the
baseline also journals a *watermark* (read before the view: the module's newest
`Modified_Time` for an update, the newest `deleted_time` for a delete), and before a count
is called exact, the records changed (or deleted) after it are read (`outsiders`): any
that is not in the sample but now holds the new values (or is deleted) may be the job's,
and the counts become unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from runner.execute.context import JobContext
from runner.execute.drivers.patient import patiently
from runner.zoho import record_reads
from runner.zoho.errors import AuthError, ZohoError

MODIFIED = "Modified_Time"
#: Records changed after the watermark read at most when looking for outsiders: a whole
#: sample (2,000) plus as many more; a busier module leaves the counts unknown.
OUTSIDER_SCAN = 4_000


async def watermark(ctx: JobContext, *, deleting: bool) -> dict[str, Any] | None:
    """The module's newest change (an update) or deletion (a delete), as Zoho stamped it;
    None when it cannot be read (the count from the sample is then never called exact)."""

    def newest() -> Awaitable[str | None]:
        return record_reads.newest_change(ctx.client, ctx.job.module, deleted=deleting)

    try:
        return {"deleted" if deleting else "modified": await patiently(ctx, newest)}
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        ctx.progress.note(ctx.name, f"could not read the module's newest change ({exc.code})")
        return None


async def outsiders(ctx: JobContext, base: Mapping[str, Any], holds: Any = None) -> int | None:
    """Records outside the sample changed to the new values (`holds`), or deleted when
    `holds` is None, since the baseline's watermark: the ones a lost job may have reached
    without the sample showing it. None when that cannot be told (no watermark, a read
    failed, or more changed than OUTSIDER_SCAN)."""
    mark = base.get("watermark")
    key = "modified" if holds is not None else "deleted"
    if not isinstance(mark, Mapping) or key not in mark:
        return None
    since = _instant(mark[key])
    if since == float("inf"):
        return None  # a watermark Zoho stamped unreadably marks nothing
    sampled = set(base.get("records") or ())
    try:
        if holds is None:
            return await patiently(ctx, lambda: _deleted_outside(ctx, sampled, since))
        fields = [*(base.get("fields") or ()), MODIFIED]
        return await patiently(ctx, lambda: _changed_outside(ctx, sampled, since, fields, holds))
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError:
        return None


async def _changed_outside(
    ctx: JobContext, sampled: set[str], since: float, fields: list[str], holds: Any
) -> int | None:
    found = read = 0
    pages = record_reads.list_records(
        ctx.client, ctx.job.module, fields, sort_by=MODIFIED, sort_order="desc",
        limit=OUTSIDER_SCAN,
    )  # fmt: skip
    async for page in pages:
        fresh = [r for r in page if _instant(r.get(MODIFIED)) >= since]
        found += sum(1 for r in fresh if str(r["id"]) not in sampled and holds(r))
        read += len(page)
        if len(fresh) < len(page):
            return found
    return None if read >= OUTSIDER_SCAN else found  # cut short, or the whole module read


async def _deleted_outside(ctx: JobContext, sampled: set[str], since: float) -> int | None:
    found = read = 0
    async for page in record_reads.deleted_records(ctx.client, ctx.job.module):
        fresh = [d for d in page if _instant(d.deleted_time) >= since]
        found += sum(1 for d in fresh if d.id not in sampled)
        read += len(page)
        if len(fresh) < len(page):
            return found
        if read >= OUTSIDER_SCAN:
            return None
    return found  # the whole list was read


def _instant(stamp: Any) -> float:
    """A Zoho time as an instant; a missing one (an empty module) is before everything."""
    if not stamp:
        return float("-inf")
    try:
        return record_reads.parse_zoho_time(str(stamp))
    except ZohoError:
        return float("inf")  # unreadable: counted as new, so never hidden
