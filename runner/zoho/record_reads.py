"""Reading records back as evidence: pages of a module or custom view, and deleted records.

API_NOTES §13. `page` reaches only the first 2,000 records; past them a listing continues
with `info.next_page_token`. The deleted list pages with `page` alone. Times are ISO 8601
with an offset and are compared as instants (`parse_zoho_time`), never as text.
Every read goes through `ZohoClient.get`: the same retries, limits and call count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runner.zoho import endpoints
from runner.zoho.client import ZohoClient, ZohoResponse
from runner.zoho.errors import ZohoError
from runner.zoho.limits import PAGE_REACH, RECORDS_PER_PAGE
from runner.zoho.records import as_id, fields_param, record_rows, sub


@dataclass(frozen=True)
class DeletedRecord:
    """One entry of `GET /{module}/deleted`: `type` is recycle or permanent (§13)."""

    id: str
    deleted_time: str  # ISO 8601 with offset; compare with parse_zoho_time
    type: str
    display_name: str | None


def parse_zoho_time(text: str) -> float:
    """Epoch seconds of a Zoho time such as `2024-05-02T10:11:12+05:30` (API_NOTES §13)."""
    raw = text.strip() if isinstance(text, str) else ""
    if raw.endswith(("Z", "z")):  # fromisoformat takes "Z" only from Python 3.11
        raw = raw[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ZohoError("INVALID_RESPONSE", f"not an ISO 8601 time: {text!r}") from exc
    if when.tzinfo is None:  # without an offset it names no instant
        raise ZohoError("INVALID_RESPONSE", f"a time without an offset: {text!r}")
    return when.timestamp()


def _check_per_page(per_page: int) -> None:
    if not 1 <= per_page <= RECORDS_PER_PAGE:
        raise ValueError(f"per_page must be 1-{RECORDS_PER_PAGE}, not {per_page}")


@dataclass(frozen=True)
class RecordPage:
    """One page of a listing: its records, and whether Zoho said more follow."""

    rows: list[dict[str, Any]]
    more: bool


async def list_pages(
    client: ZohoClient,
    module: str,
    fields: Sequence[str],
    *,
    cvid: str | None = None,
    territory_id: str | None = None,
    include_child: bool = False,
    sort_by: str | None = None,
    sort_order: str | None = None,
    per_page: int = RECORDS_PER_PAGE,
    limit: int | None = None,
) -> AsyncIterator[RecordPage]:
    """A module's (or custom view's) records, a page at a time, at most `limit` in all.

    Pages within the first 2,000 records are asked for by `page`; later ones by the
    `next_page_token` of the page before (API_NOTES §13). Zoho refuses `cvid` with
    `sort_by` (AMBIGUITY_DURING_PROCESSING); the simulator lists ascending ids by default.
    `territory_id` narrows the listing to a territory (Deals, Contacts, Accounts only:
    `TERRITORY_MODULES`, §13). `more` is Zoho's `more_records`, also on a page `limit` cut.
    """
    _check_per_page(per_page)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    base = {"fields": fields_param(fields), "per_page": str(per_page)}
    for name, value in (
        ("cvid", cvid),
        ("territory_id", territory_id),
        ("sort_by", sort_by),
        ("sort_order", sort_order),
    ):
        if value is not None:
            base[name] = value
    if territory_id is not None and include_child:
        base["include_child"] = "true"
    page, token, left = 1, "", limit
    while left is None or left > 0:
        params = dict(base)
        if page * per_page <= PAGE_REACH:
            params["page"] = str(page)
        elif token:
            params["page_token"] = token
        else:
            raise ZohoError(
                "INVALID_RESPONSE", f"{module}: more records past {PAGE_REACH:,}, no page token"
            )
        resp = await client.get(endpoints.records(module), params=params)
        rows = record_rows(resp)
        info = sub(resp.body, "info")
        more = bool(rows) and bool(info.get("more_records"))
        if left is not None:
            more = more or len(rows) > left
            rows = rows[:left]
            left -= len(rows)
        if rows:
            yield RecordPage(rows, more)
        if not more:
            return
        token = str(info.get("next_page_token") or "")
        page += 1


async def list_records(
    client: ZohoClient,
    module: str,
    fields: Sequence[str],
    *,
    cvid: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
    per_page: int = RECORDS_PER_PAGE,
    limit: int | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """`list_pages`, the records only."""
    pages = list_pages(
        client,
        module,
        fields,
        cvid=cvid,
        sort_by=sort_by,
        sort_order=sort_order,
        per_page=per_page,
        limit=limit,
    )
    async for page in pages:
        yield page.rows


def _deleted(entry: Mapping[str, Any], resp: ZohoResponse) -> DeletedRecord:
    when, name = entry.get("deleted_time"), entry.get("display_name")
    if not isinstance(when, str):
        message = f"a deleted record without deleted_time: {entry!r}"[:200]
        raise ZohoError("INVALID_RESPONSE", message, http_status=resp.status)
    parse_zoho_time(when)  # garbage fails here, where the answer is read
    return DeletedRecord(
        id=as_id(entry.get("id")),
        deleted_time=when,
        type=str(entry.get("type") or ""),
        display_name=None if name is None else str(name),
    )


async def deleted_records(
    client: ZohoClient, module: str, *, type: str = "all", per_page: int = RECORDS_PER_PAGE
) -> AsyncIterator[list[DeletedRecord]]:
    """Deleted records of a module, newest deletion first, a page at a time (§13).

    `type`: all, recycle (in the recycle bin, 60 days) or permanent (listed 120 days).
    """
    _check_per_page(per_page)
    page = 1
    while True:
        params = {"type": type, "page": str(page), "per_page": str(per_page)}
        resp = await client.get(endpoints.deleted_records(module), params=params)
        data = resp.body.get("data") if isinstance(resp.body, Mapping) else None  # 204: None
        entries = data if isinstance(data, list) else []
        rows = [_deleted(e, resp) for e in entries if isinstance(e, Mapping)]
        if rows:
            yield rows
        if not rows or not sub(resp.body, "info").get("more_records"):
            return
        page += 1


async def newest_change(client: ZohoClient, module: str, *, deleted: bool = False) -> str | None:
    """Zoho's stamp of the module's newest change (`Modified_Time`), or with `deleted` of
    its newest deletion (`deleted_time`); None for a module with none. A watermark in
    Zoho's own clock: later changes are the ones stamped after it (§13)."""
    if deleted:
        async for gone in deleted_records(client, module, per_page=1):
            return gone[0].deleted_time
        return None
    modified = "Modified_Time"
    pages = list_records(client, module, [modified], sort_by=modified, sort_order="desc", limit=1)
    async for page in pages:
        return str(page[0].get(modified) or "") or None
    return None
