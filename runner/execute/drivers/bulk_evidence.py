"""Settling a bulk write create whose answer was lost, from the records themselves.

Before part K's create is first sent, the newest `Modified_Time` of the module (one GET,
sorted by Modified_Time, API_NOTES §13) is journaled as the part's watermark. When the
answer is lost, the records modified after the watermark are read (newest first, Zoho's
own clock on both sides) and matched to the part's rows by the key field (`find_by`, or
the first mapped field of an insert):

- rows found → APPLIED: each found row is ADDED (created after the watermark) or UPDATED,
  the rest OUTCOME_UNKNOWN; the part is done, with these outcomes, and never resent;
- nothing found → NOT_APPLIED: an update or upsert may be sent again (it sets the same
  values however often it runs); an insert stays OUTCOME_UNKNOWN, since a job queued but
  not started yet would add the rows a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runner.execute.context import JobContext
from runner.execute.drivers.bulk_steps import fact, remember
from runner.execute.drivers.evidence import Evidence, Verdict, unreadable
from runner.execute.drivers.patient import patiently
from runner.manifest.model import BulkWriteJob
from runner.zoho import endpoints, record_reads
from runner.zoho.bulk_write import ColumnMapping, ResultRow
from runner.zoho.errors import AuthError, ZohoError

MODIFIED, CREATED = "Modified_Time", "Created_Time"
SCAN_LIMIT = 2_000  # records read back at most: a part's rows plus what others changed
UNKNOWN_ROW = "OUTCOME_UNKNOWN: not found among the records changed after the lost request"


def key_field(job: BulkWriteJob, mappings: Sequence[ColumnMapping]) -> ColumnMapping | None:
    """The mapping whose values identify a row's record: find_by, else the first mapped."""
    mapped = [m for m in mappings if m.index is not None]
    if job.find_by:
        return next((m for m in mapped if m.api_name == job.find_by), None)
    return mapped[0] if mapped else None


async def watermark(ctx: JobContext, part: int, key: ColumnMapping | None) -> Mapping[str, Any]:
    """The module's newest Modified_Time before part `part` is created (journaled once)."""
    name = f"watermark:{part}"
    known = fact(ctx, name)
    if known is not None or key is None:
        return known or {}

    try:
        newest = await patiently(
            ctx, lambda: record_reads.newest_change(ctx.client, ctx.job.module)
        )
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        ctx.progress.note(ctx.name, f"could not read the module's newest change ({exc.code})")
        return {}
    mark = {"field": key.api_name, "newest": newest}
    remember(ctx, name, endpoints.records(ctx.job.module), mark)
    return mark


async def judge(
    ctx: JobContext, mark: Mapping[str, Any], keys: Sequence[str]
) -> tuple[Evidence, list[ResultRow]]:
    """The verdict on a lost create of rows with these key values, and one row per key."""
    field = mark.get("field")
    if not field:
        return Evidence("OUTCOME_UNKNOWN", "no watermark was read before the request"), []
    newest = mark.get("newest")
    since = record_reads.parse_zoho_time(str(newest)) if newest else float("-inf")

    async def changed_since() -> dict[str, tuple[str, bool]]:
        found: dict[str, tuple[str, bool]] = {}  # key value → (record id, created since)
        async for page in record_reads.list_records(
            ctx.client, ctx.job.module, [str(field), CREATED, MODIFIED],
            sort_by=MODIFIED, sort_order="desc", limit=SCAN_LIMIT,
        ):  # fmt: skip
            fresh = [r for r in page if _after(r.get(MODIFIED), since)]
            for r in fresh:
                found.setdefault(str(r.get(field)), (str(r["id"]), _after(r.get(CREATED), since)))
            if len(fresh) < len(page):
                break
        return found

    try:
        found = await patiently(ctx, changed_since)
    except AuthError:
        raise  # a refused token pauses the job (executor); it is no evidence
    except ZohoError as exc:
        return unreadable(exc, "the records changed since"), []
    rows = []
    for key in keys:
        hit = found.get(key)
        if hit is None:
            rows.append(ResultRow("", "", UNKNOWN_ROW))
        else:
            rows.append(ResultRow("ADDED" if hit[1] else "UPDATED", hit[0], ""))
    matched = sum(1 for r in rows if r.status)
    text = f"{matched} of {len(keys)} rows found by {field} among records changed since"
    verdict: Verdict = "APPLIED" if matched else "NOT_APPLIED"
    return Evidence(verdict, text, len(keys), matched), rows


def _after(stamp: Any, since: float) -> bool:
    try:
        return isinstance(stamp, str) and record_reads.parse_zoho_time(stamp) >= since
    except ZohoError:
        return False
