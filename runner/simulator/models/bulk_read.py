"""Bulk read: validate the query, pick the page's records, export rows lazily.

The job keeps only the record numbers of its page (≤ 200,000 ints); rows are built while
the zip streams (API_NOTES §3.1-§3.4, seed 004).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.jobs import SimJob
from runner.simulator.models.criteria import SYSTEM_FIELDS, compile_criteria
from runner.simulator.models.org import SimOrg
from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.store import RecordStore
from runner.simulator.models.views import SimUser
from runner.zoho.limits import (
    BULK_READ_DOWNLOAD_WINDOW,
    BULK_READ_DOWNLOADS_PER_WINDOW,
    BULK_READ_MAX_PAGE,
    BULK_READ_PAGE_ROWS,
)

PER_PAGE = BULK_READ_PAGE_ROWS  # seed 004: result.per_page (tests make pages smaller)
ICS_MODULES = {"Meetings"}  # API_NOTES §3.1: ICS only for Events/Meetings


@dataclass
class SimBulkReadJob(SimJob):
    query: dict[str, Any] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    numbers: array[int] = field(default_factory=lambda: array("q"))
    page: int = 1
    more: bool = False
    next_token: str | None = None
    file_type: str = "csv"
    callback: dict[str, Any] | None = None

    def advance(self, now: float) -> None:
        """Exports do nothing per row, so jump straight to the reached count."""
        self.observed_at = max(self.observed_at, now)
        reached = self.total if self.fail and now >= self.work_start else self.reached(now)
        self.applied = max(self.applied, reached)
        self.ok = self.applied


def _module_name(query: dict[str, Any]) -> str:
    spec = query.get("module")
    name = spec.get("api_name") if isinstance(spec, dict) else spec
    if not isinstance(name, str) or not name:
        raise e.SimMandatoryNotFound(details={"api_name": "module", "json_path": "$.query.module"})
    return name


def _check_columns(org: SimOrg, mod: ModuleDef, fields: Any) -> list[str]:
    if fields is None:
        return [f.api_name for f in mod.fields if f.data_type != "subform"]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise e.SimInvalidData(
            "invalid data", {"api_name": "fields", "json_path": "$.query.fields"}
        )
    for name in fields:
        base, _, sub = name.partition(".")
        f = mod.field(base)
        ok = name in SYSTEM_FIELDS or name.lower() == "id"
        if f is not None and f.data_type != "subform":
            ok = not sub or f.data_type in ("lookup", "ownerlookup")
        if not ok:
            raise e.SimFieldNotAvailable(details={"api_name": name})
    return [f for f in fields if f.lower() != "id"]


def _resolve(org: SimOrg, body: Any) -> tuple[dict[str, Any], int]:
    """The effective query and page, following a continuation `page_token`."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
        raise e.SimMandatoryNotFound(details={"api_name": "query", "json_path": "$.query"})
    query: dict[str, Any] = body["query"]
    token = query.get("page_token")
    if token is not None:
        saved = org.page_tokens.get(str(token))
        if saved is None or "page" not in saved:  # unknown, or a records page_token
            raise e.SimInvalidData("invalid data", {"api_name": "page_token"})
        return dict(saved["query"]), int(saved["page"])
    page = query.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise e.SimInvalidData("invalid data", {"api_name": "page", "json_path": "$.query.page"})
    if page > BULK_READ_MAX_PAGE:
        raise e.SimPageRangeExceeded(details={"max_limit": BULK_READ_MAX_PAGE})
    return {k: v for k, v in query.items() if k not in ("page", "page_token")}, page


def module_of(org: SimOrg, body: Any) -> ModuleDef:
    """The module a create request names (for the module scope check before creating)."""
    query, _ = _resolve(org, body)
    return org.module(_module_name(query))


def create(org: SimOrg, user: SimUser, body: Any, now: float) -> SimBulkReadJob:
    query, page = _resolve(org, body)
    mod = org.module(_module_name(query))
    file_type = body.get("file_type") or query.get("file_type") or "csv"
    if file_type not in ("csv", "ics"):
        raise e.SimInvalidData("invalid data", {"api_name": "file_type"})
    if file_type == "ics" and mod.api_name not in ICS_MODULES:
        raise e.SimModuleNotSupported(details={"api_name": "file_type"})
    if file_type == "ics" and query.get("fields") is not None:
        raise e.SimInvalidData("fields are not allowed for ics", {"api_name": "fields"})
    columns = _check_columns(org, mod, query.get("fields"))
    store = org.stores[mod.api_name]
    members: Iterator[int] = store.numbers()
    cvid = query.get("cvid")
    if cvid is not None:
        cvid = str(cvid)
        view = org.view(mod, cvid, "the id given seems to be invalid", "$.query.cvid")
        members = view.members(store)
    if query.get("criteria") is not None:
        pred = compile_criteria(mod, query["criteria"])
        members = (n for n in members if pred(store, n))
    callback = body.get("callback")
    _check_callback(callback)
    chosen = array("q", islice(members, (page - 1) * PER_PAGE, page * PER_PAGE + 1))
    more = len(chosen) > PER_PAGE
    if more:
        chosen = chosen[:PER_PAGE]
    echo: dict[str, Any] = {**query, "module": {"api_name": mod.api_name, "id": mod.id}}
    if cvid is not None:
        echo["cvid"] = cvid
    job = SimBulkReadJob(
        id=org.new_id(), kind="bulk_read", module=mod.api_name, created_at=now,
        total=len(chosen), rate=org.timing.read_rate, dwell=org.timing.dwell, user_id=user.id,
        query={**echo, "page": page}, columns=columns, numbers=chosen, page=page, more=more,
        file_type=file_type, callback=callback,
    )  # fmt: skip
    if more:
        job.next_token = hashlib.sha256(f"{org.seed}:{job.id}:{page + 1}".encode()).hexdigest()
        org.page_tokens[job.next_token] = {"query": echo, "page": page + 1}
    org.add_job(job)
    return job


def _check_callback(callback: Any) -> None:
    if callback is None:
        return
    if not isinstance(callback, dict) or not str(callback.get("url", "")).startswith("http"):
        raise e.SimInvalidCallbackUrl(details={"api_name": "callback.url"})
    if str(callback.get("method", "post")).lower() != "post":
        raise e.SimInvalidCallbackMethod(details={"supported_callback_methods": ["post"]})


def find(org: SimOrg, job_id: str) -> SimBulkReadJob:
    job = org.jobs.get(job_id)
    if not isinstance(job, SimBulkReadJob):
        raise e.SimResourceNotFound(details={"resource": "job_id", "id": job_id})
    return job


def start_download(org: SimOrg, job_id: str, now: float) -> SimBulkReadJob:
    """Check the job is ready and the 10-a-minute budget (API_NOTES §3.3) on the clock."""
    job = find(org, job_id)
    window = org.downloads
    while window and window[0] <= now - BULK_READ_DOWNLOAD_WINDOW:
        window.popleft()
    if len(window) >= BULK_READ_DOWNLOADS_PER_WINDOW:
        raise e.SimTooManyRequests(
            f"download limit of {BULK_READ_DOWNLOADS_PER_WINDOW} per minute exceeded",
            {"limit": BULK_READ_DOWNLOADS_PER_WINDOW},
        )
    if job.state() != "COMPLETED":
        raise e.SimResourceNotFound(details={"resource": "result", "id": job_id})
    window.append(now)
    return job


def cell(org: SimOrg, store: RecordStore, n: int, column: str) -> str:
    """One CSV cell: lookups flattened to ids, booleans as true/false (API_NOTES §3.3)."""
    if column in SYSTEM_FIELDS:
        return "true" if column == "$approved" and store.state(n) != "not_approved" else "false"
    base, _, sub = column.partition(".")
    value = store.get(n, base)
    if sub and isinstance(value, dict):
        value = _follow(org, store, value, sub)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("id", ""))
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _follow(org: SimOrg, store: RecordStore, ref: dict[str, Any], sub: str) -> Any:
    rid = str(ref.get("id", ""))
    user = org.users.get(rid)
    if user is not None:
        return user.to_json().get(sub)
    for mod in org.modules.values():
        n = mod.record_n(rid)
        if n is not None:
            return org.stores[mod.api_name].get(n, sub)
    return None


def rows(org: SimOrg, job: SimBulkReadJob) -> Iterator[list[str]]:
    """Header, then one row per record of the page, built as it is consumed."""
    store = org.stores[job.module]
    mod = store.mod
    yield ["Id", *job.columns]
    for n in job.numbers:
        yield [mod.record_id(n), *(cell(org, store, n, c) for c in job.columns)]


def ics_lines(org: SimOrg, job: SimBulkReadJob) -> Iterator[str]:
    store = org.stores[job.module]
    yield "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//zcrm-sim//EN\r\n"
    for n in job.numbers:
        start = str(store.get(n, "Start_DateTime") or "").replace("-", "").replace(":", "")
        yield (
            f"BEGIN:VEVENT\r\nUID:{store.mod.record_id(n)}\r\n"
            f"SUMMARY:{store.get(n, 'Event_Title')}\r\nDTSTART:{start[:15]}Z\r\nEND:VEVENT\r\n"
        )
    yield "END:VCALENDAR\r\n"
