"""Records: reading them by id (for verification), and the per-record answers of the mass
APIs. Listing pages and deleted records: `record_reads.py`.

Ids are strings everywhere: Zoho sends digit strings, the SDK sometimes numbers
(API_NOTES §1.3); `as_id` accepts both and never goes through float.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runner.outcome import NO_DETAILS, OUTCOME_UNKNOWN, RecordOutcome
from runner.zoho import endpoints
from runner.zoho.client import ZohoClient, ZohoResponse
from runner.zoho.errors import ZohoError, error_from_response
from runner.zoho.limits import GET_IDS_PER_CALL, GET_MAX_FIELDS

NO_ENTRY = "Zoho's answer named no outcome for this record"


def as_id(value: Any) -> str:
    """A Zoho id as a digit string, whether it came as a string or a JSON integer."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ZohoError("INVALID_RESPONSE", f"expected an id, got {value!r}")


def as_int(value: Any, default: int = 0) -> int:
    """A count that may come as a number or a numeric string; `default` when absent."""
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def sub(obj: Any, key: str) -> Mapping[str, Any]:
    """`obj[key]` when both are JSON objects, else an empty mapping."""
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class MassJobStatus:
    """A cvid mass job as polled (seed 000 for update, seed 001 for delete)."""

    status: str  # SCHEDULED | RUNNING | COMPLETED | FAILED
    total: int
    done: int  # Updated_Count, or Deleted_Count for mass delete
    failed: int
    not_done: int = 0  # Not_Updated_Count (mass update only)

    @property
    def deleted(self) -> int:
        return self.done

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "FAILED")

    @classmethod
    def from_body(cls, resp: ZohoResponse, done_key: str) -> MassJobStatus:
        data = resp.body.get("data") if isinstance(resp.body, Mapping) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
            raise ZohoError("INVALID_RESPONSE", "status answer has no data[] entry")
        row = data[0]
        return cls(
            status=str(row.get("Status") or "").strip().upper(),
            total=as_int(row.get("Total_Count")),
            done=as_int(row.get(done_key)),
            failed=as_int(row.get("Failed_Count")),
            not_done=as_int(row.get("Not_Updated_Count")),
        )


def record_outcomes(ids: Sequence[str], body: Any) -> list[RecordOutcome]:
    """One outcome per input id, in input order (seed 002 sample; API_NOTES §2.2, 207 mixed).

    Entries are matched by `details.id`; entries without a known id fill the remaining
    ids in order, as Zoho answers in input order. An id with no entry is OUTCOME_UNKNOWN.
    A failure keeps Zoho's details (they say what was wrong); a success's (modified time,
    by whom) are dropped: nothing reads them, and 50,000 of them kept until the report
    made every full garbage collection of a job walk 200,000 dicts.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    entries = (
        [e for e in data if type(e) is dict or isinstance(e, Mapping)]
        if isinstance(data, list)
        else []
    )
    aligned = _aligned(ids, entries)
    if aligned is not None:
        return aligned
    wanted = set(ids)
    by_id: dict[str, Mapping[str, Any]] = {}
    loose: list[Mapping[str, Any]] = []
    for entry in entries:
        details = entry.get("details")
        raw = details.get("id") if isinstance(details, Mapping) else None
        rid = as_id(raw) if isinstance(raw, (str, int)) and raw != "" else None
        if rid is not None and rid in wanted and rid not in by_id:
            by_id[rid] = entry
        else:
            loose.append(entry)
    out: list[RecordOutcome] = []
    for rid in ids:
        found = by_id.get(rid) or (loose.pop(0) if loose else None)
        if found is None:
            out.append(RecordOutcome(rid, "error", OUTCOME_UNKNOWN, NO_ENTRY))
            continue
        details = found.get("details")
        ok = found.get("status") == "success"
        out.append(
            RecordOutcome(
                rid,
                "success" if ok else "error",
                str(found.get("code") or ""),
                str(found.get("message") or ""),
                dict(details) if isinstance(details, Mapping) and not ok else NO_DETAILS,
            )
        )
    return out


def _aligned(ids: Sequence[str], entries: list[Mapping[str, Any]]) -> list[RecordOutcome] | None:
    """The common case, fast: one entry per id, in input order, each naming its id.

    A 500-record answer is parsed ~4x faster than by the general matching above; any
    entry out of place sends the whole answer down the general path.
    """
    if len(entries) != len(ids):
        return None
    out: list[RecordOutcome] = []
    append = out.append
    for rid, entry in zip(ids, entries, strict=True):
        details = entry.get("details")
        if type(details) is not dict:
            return None
        named = details.get("id")
        if named != rid and str(named) != rid:  # Zoho may send an id as a JSON number
            return None
        code, message = entry.get("code"), entry.get("message")
        if type(code) is not str or type(message) is not str:  # absent, null or odd
            code, message = str(code or ""), str(message or "")
        if entry.get("status") == "success":
            append(RecordOutcome(rid, "success", code, message))
        else:
            append(RecordOutcome(rid, "error", code, message, details))
    return out


def action_details(resp: ZohoResponse) -> Mapping[str, Any]:
    """`details` of a one-entry action answer (`{"data":[{...}]}`); its error raised."""
    data = resp.body.get("data") if isinstance(resp.body, Mapping) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], Mapping):
        raise ZohoError("INVALID_RESPONSE", "answer has no data[] entry", http_status=resp.status)
    entry = data[0]
    if entry.get("status") != "success":
        raise error_from_response(resp.status, entry)
    details = entry.get("details")
    return details if isinstance(details, Mapping) else {}


def _record(raw: Mapping[str, Any]) -> dict[str, Any]:
    rec = dict(raw)
    if "id" in rec:
        rec["id"] = as_id(rec["id"])
    return rec


def record_rows(resp: ZohoResponse) -> list[dict[str, Any]]:
    """The records of a GET records answer, ids as strings; none for a 204."""
    data = resp.body.get("data") if isinstance(resp.body, Mapping) else None  # 204: None
    return [_record(r) for r in data if isinstance(r, Mapping)] if isinstance(data, list) else []


def fields_param(fields: Sequence[str]) -> str:
    """`fields` as Get Records requires it: 1 to 50 names (API_NOTES §13); a caller's
    mistake otherwise, refused before a call is spent on Zoho's 400."""
    if not 1 <= len(fields) <= GET_MAX_FIELDS:
        raise ValueError(f"Get Records takes 1-{GET_MAX_FIELDS} fields, not {len(fields)}")
    return ",".join(fields)


async def get_records(
    client: ZohoClient,
    module: str,
    ids: Sequence[str],
    fields: Sequence[str],
    *,
    in_flight: int = 1,
) -> list[dict[str, Any]]:
    """The records with these ids, only the fields asked for, plus `id`, in the order asked.

    Any number of ids, 100 a call (`GET_IDS_PER_CALL`), each id once (Zoho wants them
    unique, §13). `in_flight` calls at a time; the transport's `--concurrency` cap still
    bounds what reaches the wire, across every job.
    """
    if in_flight < 1:
        raise ValueError(f"in_flight must be 1 or more, not {in_flight}")
    wanted = fields_param(fields)
    unique = list(dict.fromkeys(ids))
    chunks = [unique[i : i + GET_IDS_PER_CALL] for i in range(0, len(unique), GET_IDS_PER_CALL)]
    slots = asyncio.Semaphore(in_flight)

    async def one(chunk: list[str]) -> list[dict[str, Any]]:
        async with slots:
            params = {"ids": ",".join(chunk), "fields": wanted}
            return record_rows(await client.get(endpoints.records(module), params=params))

    if in_flight == 1:  # one after another, as evidence reads have always gone
        return [row for chunk in chunks for row in await one(chunk)]
    tasks = [asyncio.ensure_future(one(chunk)) for chunk in chunks]
    try:
        pages = await asyncio.gather(*tasks)
    except BaseException:  # the first error wins; the calls still queued are not sent
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [row for page in pages for row in page]
