"""`plan --online`: what each mass job would change, read from the org before it runs.

A mass update's diff counts, per field, the records holding each current value and those
that already hold the new one; a mass delete's names the first records it removes. Reads
are bounded: an ids job reads up to `limit` of its ids (spread over the list for an
update, the first ones for a delete), a cvid job the view's first `limit` records, and
the plan says when that is a sample. Only GETs, through the run's one client: its
retries, its `--concurrency` cap. A read Zoho refuses leaves the diff unread, never the
plan unmade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from runner.manifest.catalog import name_field
from runner.manifest.model import Manifest, MassDeleteJob, MassUpdateJob
from runner.manifest.template_env import from_env_label
from runner.plan.model import NamedRecord, ValueDiff
from runner.plan.values import field_diff
from runner.zoho.client import ZohoClient
from runner.zoho.errors import ZohoError
from runner.zoho.limits import (
    CREDITS_CALL,
    CREDITS_GET_RECORDS_CVID,
    RECORDS_PER_PAGE,
    TERRITORY_MODULES,
)
from runner.zoho.record_reads import list_pages
from runner.zoho.records import get_records

DIFF_LIMIT = 2_000  # records read per job by default: ten pages of a view, 20 ids calls
DELETE_SHOWN = 20  # records a mass delete's diff names
MassJob = MassUpdateJob | MassDeleteJob


@dataclass(frozen=True)
class _Read:
    rows: list[dict[str, Any]]
    asked: int
    total: int | None
    sampled: bool
    credits_per_call: int
    scope: str = ""


def spread(ids: Sequence[str], limit: int) -> list[str]:
    """`limit` ids evenly spread over `ids` (all of them when they fit), in order."""
    if len(ids) <= limit:
        return list(ids)
    return [ids[i * len(ids) // limit] for i in range(limit)]


async def _by_ids(
    client: ZohoClient, job: MassJob, fields: list[str], limit: int, in_flight: int
) -> _Read:
    ids = list(dict.fromkeys(job.ids or ()))
    chosen = spread(ids, limit) if isinstance(job, MassUpdateJob) else ids[:limit]
    rows = await get_records(client, job.module, chosen, fields, in_flight=in_flight)
    return _Read(rows, len(chosen), len(ids), len(chosen) < len(ids), CREDITS_CALL)


async def _by_view(
    client: ZohoClient, job: MassJob, fields: list[str], limit: int, count: int | None
) -> _Read:
    """The view's first `limit` records, narrowed to the job's territory where Get Records
    can filter by it (API_NOTES §13: territory_id, Deals, Contacts and Accounts only)."""
    assert job.cvid is not None
    territory, scope = job.territory, ""
    if territory is not None and job.module not in TERRITORY_MODULES:
        scope = (
            f"of the whole view: territory {territory.id} narrows the job, and Get Records "
            f"filters by territory only in {', '.join(sorted(TERRITORY_MODULES))}"
        )
        territory = None
    rows: list[dict[str, Any]] = []
    more = False
    try:
        pages = list_pages(
            client,
            job.module,
            fields,
            cvid=job.cvid,
            territory_id=territory.id if territory else None,
            include_child=territory.include_child if territory else False,
            per_page=min(RECORDS_PER_PAGE, limit),
            limit=limit,
        )
        async for page in pages:
            rows += page.rows
            more = page.more
    except ZohoError as err:
        if territory is None:
            raise
        # [U] the sources do not say whether territory_id combines with cvid (§13)
        whole = await _by_view(client, replace(job, territory=None), fields, limit, count)
        why = f"of the whole view: Zoho refused territory_id with this view ({err.code})"
        return replace(whole, scope=why)
    if territory is not None:
        child = " and its children" if territory.include_child else ""
        scope = f"territory {territory.id}{child} only, by Get Records' territory_id"
        total = None if more else len(rows)  # the count endpoint counts the whole view
    else:
        total = count if count is not None else (None if more else len(rows))
    return _Read(rows, len(rows), total, more, CREDITS_GET_RECORDS_CVID, scope)


async def job_diff(
    client: ZohoClient, job: MassJob, *, count: int | None, limit: int, in_flight: int = 5
) -> ValueDiff:
    """Read the job's records (bounded by `limit`) and count what it would change."""
    update = isinstance(job, MassUpdateJob)
    names = name_field(job.module)
    fields = list(job.values) if isinstance(job, MassUpdateJob) else [names]
    before = client.calls
    try:
        if job.cvid is None:
            read = await _by_ids(client, job, fields, limit, in_flight)
        else:
            read = await _by_view(client, job, fields, limit if update else DELETE_SHOWN, count)
    except ZohoError as err:
        calls = client.calls - before
        return ValueDiff(0, 0, count, False, calls=calls, error=f"{err.code}: {err}"[:300])
    calls = client.calls - before
    diff = ValueDiff(
        asked=read.asked,
        found=len(read.rows),
        total=read.total,
        sampled=read.sampled,
        scope=read.scope,
        calls=calls,
        credits=calls * read.credits_per_call,
    )
    if isinstance(job, MassUpdateJob):
        fields_diffs = tuple(
            field_diff(
                name,
                value,
                read.rows,
                label=_label(job, name),
                over_write=job.over_write,
            )
            for name, value in job.values.items()
        )
        return replace(diff, fields=fields_diffs)
    shown = tuple(NamedRecord(str(r["id"]), _name(r.get(names))) for r in read.rows[:DELETE_SHOWN])
    return replace(diff, records=shown, name_field=names)


def _label(job: MassUpdateJob, name: str) -> str | None:
    env = job.env_names("values", name)  # issue 9: never the value itself
    return from_env_label(env) if env else None


def _name(value: Any) -> str | None:
    return None if value is None else str(value)


async def gather_diffs(
    client: ZohoClient,
    manifests: Sequence[Manifest],
    *,
    counts: Mapping[tuple[str, str], int],
    limit: int = DIFF_LIMIT,
    in_flight: int = 5,
) -> dict[str, ValueDiff]:
    """A diff for every mass update and mass delete, one job after another."""
    out: dict[str, ValueDiff] = {}
    for manifest in manifests:
        for job in manifest.jobs:
            if isinstance(job, (MassUpdateJob, MassDeleteJob)):
                count = counts.get((job.module, job.cvid)) if job.cvid else None
                out[job.name] = await job_diff(
                    client, job, count=count, limit=limit, in_flight=in_flight
                )
    return out
