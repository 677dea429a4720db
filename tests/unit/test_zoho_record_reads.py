"""runner.zoho.record_reads against the in-process simulator (one ManualClock for both
sides) and canned answers: paging by page then page_token, sorting, the deleted list,
the §13 error codes as classes, and Zoho times as instants."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from runner.clock import ManualClock
from runner.simulator.app import create_app
from runner.simulator.models import record_reads as rr
from runner.simulator.models.org import SimOrg
from runner.simulator.seed import build_demo_org
from runner.zoho import endpoints
from runner.zoho import errors as ze
from runner.zoho.auth import Credentials, Target
from runner.zoho.client import ZohoClient
from runner.zoho.mass_delete import mass_delete_ids, schedule_mass_delete
from runner.zoho.mass_update import mass_update_ids
from runner.zoho.record_reads import (
    DeletedRecord,
    deleted_records,
    list_pages,
    list_records,
    newest_change,
    parse_zoho_time,
)
from runner.zoho.records import get_records
from runner.zoho.transport import LimitedTransport
from tests.unit.zoho_fixtures import Recorder, client

pytestmark = pytest.mark.anyio
BASE = "http://127.0.0.1"  # loopback: the only place plain http may carry the token
JUNK = "554023000000091999"  # DEMO_ORG: Leads with n % 10 == 0
ALL_DEALS = "554023000000092001"
EMPTY = "554023000000092003"
T0 = 1_767_225_600.0  # the ManualClock's start, 2026-01-01T00:00:00Z


def rid(k: int, n: int) -> str:
    return f"554023{k:03d}{n:09d}"


@dataclass
class Live:
    """A real client talking to an in-process simulator on the same clock."""

    zc: ZohoClient
    org: SimOrg
    clock: ManualClock
    app: Any

    def queries(self) -> list[dict[str, str]]:
        """The query parameters of every Zoho call the simulator saw, in order."""
        return [dict(parse_qsl(c["query"])) for c in self.app.state.sim.calls]


@asynccontextmanager
async def live(records: int = 300) -> AsyncIterator[Live]:
    clock = ManualClock()
    org = build_demo_org(records=records)
    app = create_app(org, clock=clock)
    target = Target(BASE, BASE, BASE, Credentials(access_token=app.state.access_token), dc="sim")
    transport = httpx.ASGITransport(app=app)
    async with ZohoClient(target, clock=clock, transport=transport, rng=random.Random(3)) as zc:
        yield Live(zc, org, clock, app)


def numbers(pages: list[list[dict[str, Any]]]) -> list[int]:
    return [int(r["id"][-9:]) for page in pages for r in page]


async def test_pages_then_page_token_past_2000() -> None:
    """Pages 1-10 go by `page`, records 2,001+ by the previous page's next_page_token."""
    async with live(records=2_500) as s:
        pages = [p async for p in list_records(s.zc, "Leads", ["Last_Name"])]
        queries = s.queries()
    assert numbers(pages) == list(range(1, 2_501))
    assert all(isinstance(r["id"], str) for p in pages for r in p)
    assert [len(p) for p in pages] == [200] * 12 + [100]
    assert [q.get("page") for q in queries] == [str(i) for i in range(1, 11)] + [None] * 3
    assert all(q["page_token"] for q in queries[10:])
    assert len(queries) == 13


async def test_per_page_150_switches_after_page_13() -> None:
    """With 150 a page, page 13 ends at record 1,950; page 14 needs page 13's token."""
    async with live(records=2_100) as s:
        pages = [p async for p in list_records(s.zc, "Leads", ["Last_Name"], per_page=150)]
        queries = s.queries()
    assert numbers(pages) == list(range(1, 2_101))
    assert ["page_token" in q for q in queries] == [False] * 13 + [True]
    assert [q.get("page") for q in queries[:13]] == [str(i) for i in range(1, 14)]


async def test_limit_stops_early() -> None:
    """`limit` caps the records yielded and the calls made; 0 makes no call."""
    async with live() as s:
        pages = [p async for p in list_records(s.zc, "Leads", ["Last_Name"], limit=250)]
        assert [len(p) for p in pages] == [200, 50]
        assert [p async for p in list_records(s.zc, "Leads", ["Last_Name"], limit=0)] == []
        assert len(s.queries()) == 2


async def test_cvid_and_empty_view() -> None:
    """cvid lists the view's records; an empty view yields no page (204)."""
    async with live() as s:
        pages = [p async for p in list_records(s.zc, "Leads", ["Lead_Status"], cvid=JUNK)]
        empty = [p async for p in list_records(s.zc, "Contacts", ["Last_Name"], cvid=EMPTY)]
    assert numbers(pages) == list(range(10, 301, 10))
    assert empty == []


async def test_sort_by_modified_time_finds_a_mass_update() -> None:
    """After a mass update by ids, Modified_Time descending lists the updated records first."""
    async with live() as s:
        s.clock.advance(30)
        await mass_update_ids(s.zc, "Deals", [rid(4, 8), rid(4, 9)], {"Stage": "Closed Won"})
        pages = list_records(
            s.zc, "Deals", ["Stage", "Modified_Time"], sort_by="Modified_Time", limit=3
        )
        first = [r async for p in pages for r in p]
    assert [r["id"] for r in first] == [rid(4, 9), rid(4, 8), rid(4, 300)]
    assert parse_zoho_time(first[0]["Modified_Time"]) == T0 + 30
    assert first[0]["Stage"] == "Closed Won"


async def test_sort_order_asc_with_sort_by() -> None:
    """sort_by and sort_order are sent as given."""
    async with live() as s:
        pages = list_records(
            s.zc, "Leads", ["Last_Name"], sort_by="Created_Time", sort_order="asc", limit=2
        )
        assert numbers([p async for p in pages]) == [1, 2]
        assert s.queries()[0]["sort_by"] == "Created_Time"
        assert s.queries()[0]["sort_order"] == "asc"


async def collect(pages: AsyncIterator[Any]) -> list[Any]:
    return [p async for p in pages]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cvid": ALL_DEALS, "sort_by": "id"}, "AMBIGUITY_DURING_PROCESSING"),
        ({"sort_by": "Amount"}, "INVALID_DATA"),
        ({"cvid": "554023000000000001"}, "INVALID_DATA"),
    ],
)
async def test_refused_listings_raise_invalid_request(kwargs: dict[str, Any], code: str) -> None:
    """Refusals are InvalidRequest with Zoho's code, not retried, safe to fix and resend."""
    async with live() as s:
        with pytest.raises(ze.InvalidRequest) as caught:
            await collect(list_records(s.zc, "Deals", ["Stage"], **kwargs))
        assert s.zc.calls == 1
    assert (caught.value.code, caught.value.http_status) == (code, 400)
    assert caught.value.request_was_processed is False


async def test_token_expired_mid_listing() -> None:
    """A listing resumed 24 h after page 10 fails with EXPIRED_VALUE (InvalidRequest)."""
    async with live(records=2_500) as s:
        pages = list_records(s.zc, "Leads", ["Last_Name"])
        for _ in range(10):
            await anext(pages)
        s.clock.advance(24 * 3600)
        with pytest.raises(ze.InvalidRequest) as caught:
            await anext(pages)
    assert caught.value.code == "EXPIRED_VALUE"
    assert caught.value.details == {"api_name": "page_token", "json_path": "$.query.page_token"}


@pytest.mark.parametrize(
    ("params", "cls", "code"),
    [
        ({"page": "11"}, ze.LimitExceeded, "DISCRETE_PAGINATION_LIMIT_EXCEEDED"),
        ({"page": "1", "page_token": "T"}, ze.InvalidRequest, "AMBIGUITY_DURING_PROCESSING"),
        ({"per_page": "100", "page_token": "T"}, ze.InvalidRequest, "TOKEN_BOUND_DATA_MISMATCH"),
        ({"page_token": "nope"}, ze.InvalidRequest, "INVALID_DATA"),
        ({"page_token": "FAR"}, ze.LimitExceeded, "PAGINATION_LIMIT_EXCEEDED"),
    ],
)
async def test_paging_codes_map_to_classes(
    params: dict[str, str], cls: type[ze.ZohoError], code: str
) -> None:
    """Each §13 paging refusal the simulator sends arrives as its client class and code."""
    async with live() as s:
        first = await s.zc.get(endpoints.records("Leads"), params={"fields": "Last_Name"})
        query = rr.ReadQuery("Leads", ("Last_Name",), None, "id", "asc", 200)
        far = rr.issue_token(s.org, s.org.admin.id, query, 100_000, s.clock.now())
        tokens = {"T": first.body["info"]["next_page_token"], "FAR": far}
        sent = {"fields": "Last_Name", **params}
        if "page_token" in sent:
            sent["page_token"] = tokens.get(sent["page_token"], sent["page_token"])
        with pytest.raises(cls) as caught:
            await s.zc.get(endpoints.records("Leads"), params=sent)
    assert (caught.value.code, caught.value.http_status) == (code, 400)


async def test_deleted_records_after_ids_and_cvid_deletes() -> None:
    """Both deletes are listed, newest first, with the clock times they happened."""
    async with live() as s:
        s.clock.advance(5)
        await mass_delete_ids(s.zc, "Leads", [rid(1, 3)])
        s.clock.advance(5)
        await schedule_mass_delete(s.zc, "Leads", JUNK)
        s.clock.advance(60)
        pages = [p async for p in deleted_records(s.zc, "Leads", per_page=20)]
    entries = [d for p in pages for d in p]
    assert [len(p) for p in pages] == [20, 11]
    assert all(isinstance(d, DeletedRecord) and d.type == "recycle" for d in entries)
    assert [d.id for d in entries] == [rid(1, n) for n in range(300, 9, -10)] + [rid(1, 3)]
    assert parse_zoho_time(entries[-1].deleted_time) == T0 + 5
    assert parse_zoho_time(entries[0].deleted_time) == T0 + 10  # job reached it at +10.3 s
    assert entries[-1].display_name


async def test_newest_change_is_zohos_own_stamp_of_the_last_change_and_deletion() -> None:
    """The watermarks evidence compares against: the newest Modified_Time and the newest
    deleted_time, each as Zoho stamped it; None when there is no deletion yet."""
    async with live() as s:
        assert await newest_change(s.zc, "Leads", deleted=True) is None
        s.clock.advance(40)
        await mass_update_ids(s.zc, "Leads", [rid(1, 5)], {"Lead_Status": "Contacted"})
        s.clock.advance(10)
        await mass_delete_ids(s.zc, "Leads", [rid(1, 6)])
        modified = await newest_change(s.zc, "Leads")
        deleted = await newest_change(s.zc, "Leads", deleted=True)
    assert modified is not None
    assert parse_zoho_time(modified) == T0 + 40
    assert deleted is not None
    assert parse_zoho_time(deleted) == T0 + 50


async def test_deleted_records_type_and_none() -> None:
    """No deletions yield no page; a bad type raises PATTERN_NOT_MATCHED (InvalidRequest)."""
    async with live() as s:
        assert [p async for p in deleted_records(s.zc, "Leads")] == []
        assert [p async for p in deleted_records(s.zc, "Leads", type="permanent")] == []
        with pytest.raises(ze.InvalidRequest) as caught:
            await collect(deleted_records(s.zc, "Leads", type="bin"))
    assert caught.value.code == "PATTERN_NOT_MATCHED"
    assert caught.value.details == {"param_name": "type"}


@pytest.mark.parametrize(
    "text",
    ["2024-05-02T10:11:12+05:30", "2024-05-02T04:41:12Z", "2024-05-01T21:41:12-07:00"],
)
def test_parse_zoho_time_compares_instants(text: str) -> None:
    """The same instant in any offset is the same epoch second."""
    assert parse_zoho_time(text) == 1_714_624_872.0


@pytest.mark.parametrize("text", ["", "yesterday", "2024-05-02T10:11:12", "2024-13-02T00:00:00Z"])
def test_parse_zoho_time_refuses_garbage(text: str) -> None:
    """Garbage, or a time without an offset, is INVALID_RESPONSE."""
    with pytest.raises(ze.ZohoError) as caught:
        parse_zoho_time(text)
    assert caught.value.code == "INVALID_RESPONSE"


async def test_bad_deleted_time_is_invalid_response() -> None:
    """A deleted entry whose deleted_time is not a Zoho time fails where it is read."""
    entry = {"id": 5540230010000000031, "deleted_time": "soon", "type": "recycle"}
    rec = Recorder(httpx.Response(200, json={"data": [entry], "info": {"more_records": False}}))
    async with client(rec) as zc:
        with pytest.raises(ze.ZohoError) as caught:
            await collect(deleted_records(zc, "Leads"))
    assert caught.value.code == "INVALID_RESPONSE"
    assert rec.requests[0].url.path == "/crm/v8/Leads/deleted"
    assert dict(rec.requests[0].url.params) == {"type": "all", "page": "1", "per_page": "200"}


async def test_more_records_past_2000_without_token_is_invalid_response() -> None:
    """Past record 2,000 with no next_page_token the listing cannot go on: it says so."""
    page = {"data": [{"id": 1}], "info": {"more_records": True, "next_page_token": None}}
    rec = Recorder(*(httpx.Response(200, json=page) for _ in range(10)))
    async with client(rec) as zc:
        with pytest.raises(ze.ZohoError) as caught:
            await collect(list_records(zc, "Leads", ["Last_Name"]))
    assert caught.value.code == "INVALID_RESPONSE"
    assert len(rec.requests) == 10


async def test_per_page_is_checked_before_any_call() -> None:
    """per_page outside 1-200 is a ValueError; nothing is sent."""
    rec = Recorder()
    async with client(rec) as zc:
        with pytest.raises(ValueError, match="per_page"):
            await collect(list_records(zc, "Leads", ["Last_Name"], per_page=201))
        with pytest.raises(ValueError, match="per_page"):
            await collect(deleted_records(zc, "Leads", per_page=0))
    assert rec.requests == []


def test_deleted_records_path_encodes_the_module() -> None:
    """The path is /crm/v8/{module}/deleted, the module one segment."""
    assert endpoints.deleted_records("Leads") == "/crm/v8/Leads/deleted"
    assert endpoints.deleted_records("a/b") == "/crm/v8/a%2Fb/deleted"


def test_job_id_placeholder_is_shown_as_written() -> None:
    """Plans name `{job_id}` through endpoints.JOB_ID; a real id is still one encoded segment."""
    assert endpoints.bulk_read_result(endpoints.JOB_ID) == "/crm/bulk/v8/read/{job_id}/result"
    assert endpoints.bulk_write_job("{job_id}") == "/crm/bulk/v8/write/%7Bjob_id%7D"


class _Watching(httpx.AsyncBaseTransport):
    """Counts the requests in flight through it, and the most at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.now, self.most = inner, 0, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0)  # let every task that can start, start
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


async def test_get_records_any_number_of_ids_concurrently_under_the_cap() -> None:
    """1,050 ids (a repeat among them) take 11 calls of ≤ 100 unique ids, 4 at a time
    under a cap of 4 however many `in_flight` asks for; rows come in the order asked."""
    clock = ManualClock()
    app = create_app(build_demo_org(records=2_000), clock=clock)
    watching = _Watching(httpx.ASGITransport(app=app))
    target = Target(BASE, BASE, BASE, Credentials(access_token=app.state.access_token), dc="sim")
    ids = [rid(4, n) for n in range(1, 1_051)] + [rid(4, 1)]
    async with ZohoClient(target, clock=clock, transport=LimitedTransport(watching, 4)) as zc:
        rows = await get_records(zc, "Deals", ids, ["Stage"], in_flight=8)
        assert [r["id"] for r in rows] == ids[:-1]
        assert zc.calls == 11
        assert watching.most == 4
        sent = [dict(parse_qsl(c["query"])) for c in app.state.sim.calls]
        assert sorted(len(q["ids"].split(",")) for q in sent) == [50] + [100] * 10
        one = await get_records(zc, "Deals", ids[:150], ["Stage"])
        assert len(one) == 150
        assert watching.most == 4


async def test_fields_are_checked_before_a_call() -> None:
    """No fields, or more than 50, is the caller's mistake: ValueError, nothing sent."""
    async with live() as s:
        for fields in ([], ["Stage"] * 51):
            with pytest.raises(ValueError, match="1-50 fields"):
                await get_records(s.zc, "Deals", [rid(4, 1)], fields)
            with pytest.raises(ValueError, match="1-50 fields"):
                await collect(list_records(s.zc, "Deals", fields))
        assert s.queries() == []


async def test_list_pages_says_whether_more_follow_and_filters_by_territory() -> None:
    """`more` is true on a page `limit` cut short and false on the last; territory_id and
    include_child go as Zoho names them (API_NOTES §13)."""
    async with live() as s:
        cut = [p async for p in list_pages(s.zc, "Deals", ["Stage"], cvid=ALL_DEALS, limit=250)]
        assert [(len(p.rows), p.more) for p in cut] == [(200, True), (50, True)]
        south = list_pages(
            s.zc, "Deals", ["Stage"], cvid=ALL_DEALS, territory_id="554023000000430412"
        )
        pages = [p async for p in south]
        assert [(len(p.rows), p.more) for p in pages] == [(75, False)]
        kids = list_pages(
            s.zc, "Deals", ["Stage"], territory_id="554023000000430409", include_child=True
        )
        assert [len(p.rows) async for p in kids] == [150]
        sent = s.queries()[-1]
    assert sent["territory_id"] == "554023000000430409"
    assert sent["include_child"] == "true"
