"""GET /crm/{v}/{module} as evidence: cvid, sort_by/sort_order, page limits, page_token and
record times (API_NOTES §13)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runner.simulator.models import record_reads as rr
from runner.simulator.models.values import created_iso, iso
from runner.simulator.seed import build_demo_org
from tests.unit.sim_fixtures import Sim, error, open_sim

pytestmark = pytest.mark.anyio
MU = "/crm/v8/{}/actions/mass_update"
JUNK = "554023000000091999"  # DEMO_ORG: Leads with n % 10 == 0
ALL_DEALS = "554023000000092001"
EMPTY = "554023000000092003"  # Contacts, no records
START = "2026-01-01T00:00:00+00:00"  # the ManualClock's start


def rid(k: int, n: int) -> str:
    return f"554023{k:03d}{n:09d}"


def ns(body: dict[str, Any]) -> list[int]:
    return [int(r["id"][-9:]) for r in body["data"]]


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


@pytest.fixture
async def big() -> AsyncIterator[Sim]:
    async with open_sim(build_demo_org(records=2_500)) as s:
        yield s


async def test_default_order_and_info_keys(sim: Sim) -> None:
    """No sort: ascending ids, info says so and carries every key OAS-Y requires."""
    r = await sim.get("/crm/v8/Leads?fields=Last_Name&per_page=50")
    body = r.json()
    assert ns(body) == list(range(1, 51))
    info = body["info"]
    assert list(info) == [
        "per_page",
        "count",
        "page",
        "sort_by",
        "sort_order",
        "more_records",
        "next_page_token",
        "previous_page_token",
        "page_token_expiry",
    ]
    assert (info["sort_by"], info["sort_order"], info["more_records"]) == ("id", "asc", True)
    assert info["next_page_token"]  # API_NOTES §13: already on page 1
    assert info["page_token_expiry"] == "2026-01-02T00:00:00+00:00"  # 24 h of sim clock
    assert info["previous_page_token"] is None


async def test_last_page_has_no_token(sim: Sim) -> None:
    """When nothing follows, more_records is false and no token or expiry is given."""
    info = (await sim.get("/crm/v8/Leads?fields=Last_Name&page=2")).json()["info"]
    assert (info["count"], info["more_records"]) == (100, False)
    assert (info["next_page_token"], info["page_token_expiry"]) == (None, None)


async def test_cvid_lists_the_view(sim: Sim) -> None:
    """cvid gives exactly the view's records; sort_order still applies to them."""
    body = (await sim.get(f"/crm/v8/Leads?cvid={JUNK}&fields=Lead_Status")).json()
    assert ns(body) == list(range(10, 301, 10))
    assert {r["Lead_Status"] for r in body["data"]} == {"Junk Lead"}
    desc = (await sim.get(f"/crm/v8/Leads?cvid={JUNK}&fields=Last_Name&sort_order=desc")).json()
    assert ns(desc) == list(range(300, 9, -10))


async def test_unusable_cvid_is_invalid_data(sim: Sim) -> None:
    """An unknown cvid, or another module's, is INVALID_DATA naming param cvid."""
    for cvid in ("554023000000000001", ALL_DEALS, "x"):
        r = await sim.get(f"/crm/v8/Leads?fields=Last_Name&cvid={cvid}")
        body = error(r, "INVALID_DATA", 400)
        assert body["details"]["param_name"] == "cvid"


async def test_empty_view_and_past_the_end_are_204(sim: Sim) -> None:
    """Nothing to list answers 204 with no body (API_NOTES §13)."""
    for url in (
        f"/crm/v8/Contacts?fields=Last_Name&cvid={EMPTY}",
        "/crm/v8/Leads?fields=Last_Name&page=5&per_page=200",
    ):
        r = await sim.get(url)
        assert (r.status_code, r.content) == (204, b"")


async def test_cvid_with_sort_by_is_ambiguous(sim: Sim) -> None:
    """cvid and sort_by together: AMBIGUITY_DURING_PROCESSING (API_NOTES §13)."""
    r = await sim.get(f"/crm/v8/Deals?fields=Stage&cvid={ALL_DEALS}&sort_by=id")
    error(r, "AMBIGUITY_DURING_PROCESSING", 400)


async def test_bad_sort_values(sim: Sim) -> None:
    """sort_by outside id/Created_Time/Modified_Time is INVALID_DATA with supported_values."""
    r = await sim.get("/crm/v8/Leads?fields=Last_Name&sort_by=Last_Name")
    body = error(r, "INVALID_DATA", 400)
    assert body["details"] == {
        "param_name": "sort_by",
        "supported_values": ["id", "Created_Time", "Modified_Time"],
    }
    body = error(await sim.get("/crm/v8/Leads?fields=Last_Name&sort_order=up"), "INVALID_DATA", 400)
    assert body["details"]["supported_values"] == ["asc", "desc"]


@pytest.mark.parametrize(
    ("query", "first", "order"),
    [
        ("sort_by=id", 300, "desc"),  # API_NOTES §13: sort_order defaults to desc
        ("sort_by=id&sort_order=asc", 1, "asc"),
        ("sort_order=desc", 300, "desc"),
        ("sort_by=Created_Time&sort_order=asc", 1, "asc"),
        ("sort_by=Created_Time", 300, "desc"),
        ("sort_by=Modified_Time", 300, "desc"),
    ],
)
async def test_sort_orders(sim: Sim, query: str, first: int, order: str) -> None:
    """Each sort field and order lists the untouched demo records in (reverse) id order."""
    body = (await sim.get(f"/crm/v8/Leads?fields=Last_Name&per_page=3&{query}")).json()
    step = 1 if order == "asc" else -1
    assert ns(body) == [first, first + step, first + 2 * step]
    assert body["info"]["sort_order"] == order


async def test_sort_by_modified_time_after_mass_update(sim: Sim) -> None:
    """Records a mass update by ids changed sort by their new Modified_Time."""
    await sim.advance(10)
    r = await sim.post(MU.format("Leads"), {"data": [{"City": "Lima"}], "ids": [rid(1, 100)]})
    assert r.status_code == 200
    await sim.advance(10)
    r = await sim.post(MU.format("Leads"), {"data": [{"City": "Lima"}], "ids": [rid(1, 5)]})
    assert r.status_code == 200
    url = "/crm/v8/Leads?fields=Modified_Time&sort_by=Modified_Time"
    desc = (await sim.get(f"{url}&per_page=3")).json()
    assert ns(desc) == [5, 100, 300]
    assert [d["Modified_Time"] for d in desc["data"][:2]] == [
        "2026-01-01T00:00:20+00:00",
        "2026-01-01T00:00:10+00:00",
    ]
    asc = (await sim.get(f"{url}&sort_order=asc&page=2&per_page=150")).json()
    assert ns(asc)[-3:] == [300, 100, 5]
    assert 5 not in ns((await sim.get(f"{url}&sort_order=asc&per_page=10")).json())


async def test_cvid_job_and_bulk_write_stamp_modified_time(sim: Sim) -> None:
    """A cvid mass update stamps each record when the job reaches it; a bulk write upsert
    stamps the row's time on the record it updates and the one it inserts."""
    r = await sim.post(MU.format("Leads"), {"data": [{"City": "Lima"}], "cvid": JUNK})
    assert r.status_code == 200, r.text
    await sim.advance(1.2)  # dwell 1 s, then 100 records/s: the first 20 reached
    got = (await sim.get(f"/crm/v8/Leads?ids={rid(1, 10)}&fields=Modified_Time")).json()
    assert got["data"][0]["Modified_Time"] == "2026-01-01T00:00:01+00:00"  # reached at +1.01 s
    await sim.advance(60)
    up = await sim.upload("id,Last_Name\n554023001000000003,Oslo\n,Newman\n", "Leads.csv")
    res = {
        "type": "data",
        "module": {"api_name": "Leads"},
        "file_id": up.json()["details"]["file_id"],
        "find_by": "id",
        "field_mappings": [{"api_name": "id", "index": 0}, {"api_name": "Last_Name", "index": 1}],
    }
    r = await sim.post_json("/crm/bulk/v8/write", {"operation": "upsert", "resource": [res]})
    assert r.status_code == 201, r.text
    await sim.advance(5)
    url = "/crm/v8/Leads?fields=Last_Name,Created_Time,Modified_Time&sort_by=Modified_Time"
    body = (await sim.get(url)).json()
    assert ns(body)[:2] == [301, 3]  # same second: ties by id, descending
    stamp = "2026-01-01T00:01:02+00:00"  # +61.2 s, 1 s dwell, then 500 rows/s
    assert [r["Modified_Time"] for r in body["data"][:2]] == [stamp, stamp]
    assert body["data"][0]["Created_Time"] == stamp
    assert body["data"][1]["Created_Time"] == created_iso(3)
    assert ns(body)[2:32] == list(range(300, 9, -10))  # the job's records, all at +1 s


async def test_record_times_are_deterministic(sim: Sim) -> None:
    """Generated records: Created_Time is store.created_time, Modified_Time equals it."""
    body = (await sim.get("/crm/v8/Deals?fields=Created_Time,Modified_Time&per_page=2")).json()
    for row, n in zip(body["data"], (1, 2), strict=True):
        assert row["Created_Time"] == row["Modified_Time"] == created_iso(n)
        assert row["Created_Time"] == sim.org.stores["Deals"].created_time(n)


async def test_discrete_pages_reach_2000_records(sim: Sim) -> None:
    """page × per_page over 2,000 is DISCRETE_PAGINATION_LIMIT_EXCEEDED {limit: 2000}."""
    for ok in ("page=10&per_page=200", "page=20&per_page=100"):
        r = await sim.get(f"/crm/v8/Leads?fields=Last_Name&{ok}")
        assert r.status_code == 204  # only 300 records
    for bad in ("page=11&per_page=200", "page=21&per_page=100", "page=11"):
        body = error(
            await sim.get(f"/crm/v8/Leads?fields=Last_Name&{bad}"),
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            400,
        )
        assert body["details"] == {"limit": 2000}


async def test_page_token_past_2000(big: Sim) -> None:
    """Page 10's token fetches records 2001-2200, and tokens go on to the end."""
    url = "/crm/v8/Leads?fields=Last_Name"
    page10 = (await big.get(f"{url}&page=10")).json()
    assert ns(page10)[-1] == 2000
    token = page10["info"]["next_page_token"]
    seen: list[int] = []
    while token:
        body = (await big.get(f"{url}&page_token={token}")).json()
        seen += ns(body)
        token = body["info"]["next_page_token"]
        assert body["info"]["previous_page_token"]
    assert seen == list(range(2001, 2501))
    assert body["info"]["page"] == 13
    assert (body["info"]["count"], body["info"]["more_records"]) == (100, False)


async def test_previous_page_token_goes_back(big: Sim) -> None:
    """A token page's previous_page_token fetches the page before it."""
    url = "/crm/v8/Leads?fields=Last_Name&per_page=100"
    token = (await big.get(f"{url}")).json()["info"]["next_page_token"]
    second = (await big.get(f"{url}&page_token={token}")).json()
    back = (await big.get(f"{url}&page_token={second['info']['previous_page_token']}")).json()
    assert (ns(second)[0], ns(back)[0]) == (101, 1)


async def test_page_with_page_token_is_ambiguous(sim: Sim) -> None:
    """page and page_token together: AMBIGUITY_DURING_PROCESSING."""
    token = (await sim.get("/crm/v8/Leads?fields=Last_Name")).json()["info"]["next_page_token"]
    error(
        await sim.get(f"/crm/v8/Leads?fields=Last_Name&page=2&page_token={token}"),
        "AMBIGUITY_DURING_PROCESSING",
        400,
    )


@pytest.mark.parametrize(
    "change",
    [
        "fields=Email",
        "fields=Last_Name&per_page=100",
        "fields=Last_Name&sort_order=desc",
        f"fields=Last_Name&cvid={JUNK}",
        "fields=Last_Name&sort_by=Created_Time",
    ],
)
async def test_token_is_bound_to_its_parameters(sim: Sim, change: str) -> None:
    """A token sent with other parameters than its own: TOKEN_BOUND_DATA_MISMATCH."""
    token = (await sim.get("/crm/v8/Leads?fields=Last_Name")).json()["info"]["next_page_token"]
    r = await sim.get(f"/crm/v8/Leads?{change}&page_token={token}")
    error(r, "TOKEN_BOUND_DATA_MISMATCH", 400)
    r = await sim.get(f"/crm/v8/Leads?fields=Last_Name&page_token={token}")
    assert ns(r.json())[0] == 201


async def test_unknown_and_foreign_tokens_are_invalid_data(sim: Sim) -> None:
    """An unknown token or another user's is INVALID_DATA; another module's is bound data."""
    token = (await sim.get("/crm/v8/Leads?fields=Last_Name")).json()["info"]["next_page_token"]
    r = await sim.get("/crm/v8/Leads?fields=Last_Name&page_token=abc")
    body = error(r, "INVALID_DATA", 400)
    assert body["details"] == {"param_name": "page_token"}
    other = await sim.token_for(scopes=["ZohoCRM.modules.ALL"])
    r = await sim.client.get(f"/crm/v8/Leads?fields=Last_Name&page_token={token}", headers=other)
    error(r, "INVALID_DATA", 400)
    r = await sim.get(f"/crm/v8/Deals?fields=Deal_Name&page_token={token}")
    error(r, "TOKEN_BOUND_DATA_MISMATCH", 400)


async def test_records_token_is_no_bulk_read_token(sim: Sim) -> None:
    """The tokens share org.page_tokens, yet bulk read refuses a records token."""
    token = (await sim.get("/crm/v8/Leads?fields=Last_Name")).json()["info"]["next_page_token"]
    body = {"query": {"module": {"api_name": "Leads"}, "page_token": token}}
    error(await sim.post_json("/crm/bulk/v8/read", body), "INVALID_DATA", 400)


async def test_token_expires_after_24_hours(sim: Sim) -> None:
    """24 h of sim clock later the token is EXPIRED_VALUE with api_name and json_path."""
    token = (await sim.get("/crm/v8/Leads?fields=Last_Name")).json()["info"]["next_page_token"]
    await sim.advance(24 * 3600 - 1)
    assert (await sim.get(f"/crm/v8/Leads?fields=Last_Name&page_token={token}")).status_code == 200
    await sim.advance(1)
    body = error(
        await sim.get(f"/crm/v8/Leads?fields=Last_Name&page_token={token}"), "EXPIRED_VALUE", 400
    )
    assert body["details"] == {"api_name": "page_token", "json_path": "$.query.page_token"}


async def test_paging_stops_at_100000_records() -> None:
    """Token pages end at record 100,000; the next token is PAGINATION_LIMIT_EXCEEDED."""
    async with open_sim(build_demo_org(records=100_100)) as sim:
        query = rr.ReadQuery("Leads", ("Last_Name",), None, "id", "asc", 200)
        admin = sim.org.admin.id
        token = rr.issue_token(sim.org, admin, query, 99_900, sim.clock.now())
        url = "/crm/v8/Leads?fields=Last_Name&per_page=200"
        body = (await sim.get(f"{url}&page_token={token}")).json()
        assert (ns(body)[0], ns(body)[-1], body["info"]["count"]) == (99_901, 100_000, 100)
        assert body["info"]["more_records"] is True
        r = await sim.get(f"{url}&page_token={body['info']['next_page_token']}")
        assert error(r, "PAGINATION_LIMIT_EXCEEDED", 400)["details"] == {"limit": 100_000}


async def test_big_org_sorts_without_building_records() -> None:
    """500,000 records: default and Modified_Time orders read one page, build no records."""
    async with open_sim(build_demo_org(records=500_000)) as sim:
        r = await sim.post(MU.format("Deals"), {"data": [{"Amount": 5}], "ids": [rid(4, 9)]})
        assert r.status_code == 200
        start = time.perf_counter()
        url = "/crm/v8/Deals?fields=Amount,Modified_Time"
        assert ns((await sim.get(f"{url}&page=10")).json())[0] == 1801
        assert ns((await sim.get(f"{url}&sort_by=Modified_Time&per_page=2")).json()) == [
            9,
            500_000,  # created 2025-12-14, before the update's 2026-01-01
        ]
        asc = (await sim.get(f"{url}&sort_by=Modified_Time&sort_order=asc&per_page=10")).json()
        assert ns(asc) == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
        assert time.perf_counter() - start < 10  # generous guard: real cost is milliseconds
        assert list(sim.org.stores["Deals"].overrides) == [9]
        assert iso(sim.clock.now()) == START


async def test_fields_is_required_and_at_most_50(sim: Sim) -> None:
    """Get Records without fields is REQUIRED_PARAM_MISSING naming it, by ids or listing;
    over 50 names is LIMIT_EXCEEDED {limit: 50} (API_NOTES §13)."""
    for url in ("/crm/v8/Leads", f"/crm/v8/Leads?ids={rid(1, 1)}", "/crm/v8/Leads?fields="):
        body = error(await sim.get(url), "REQUIRED_PARAM_MISSING", 400)
        assert body["details"] == {"param_name": "fields"}
    many = ",".join(["Last_Name"] * 51)
    body = error(await sim.get(f"/crm/v8/Leads?fields={many}"), "LIMIT_EXCEEDED", 400)
    assert body["details"] == {"limit": 50, "param_name": "fields"}


async def test_territory_narrows_a_listing_and_its_view(sim: Sim) -> None:
    """territory_id keeps the territory's records (DEMO_ORG: n % 4 == 2 is South America),
    include_child its descendants too; other modules are INVALID_MODULE (API_NOTES §13)."""
    south, americas = "554023000000430412", "554023000000430409"
    body = (await sim.get(f"/crm/v8/Accounts?fields=Industry&territory_id={south}")).json()
    assert {n % 4 for n in ns(body)} == {2}
    url = f"/crm/v8/Accounts?fields=Industry&territory_id={americas}"
    assert (await sim.get(url)).status_code == 204  # no record sits in Americas itself
    body = (await sim.get(f"{url}&include_child=true&per_page=8")).json()
    assert ns(body) == [1, 2, 5, 6, 9, 10, 13, 14]
    view = f"/crm/v8/Deals?fields=Stage&cvid={ALL_DEALS}&territory_id={south}&per_page=3"
    assert ns((await sim.get(view)).json()) == [2, 6, 10]
    r = await sim.get(f"/crm/v8/Leads?fields=Last_Name&territory_id={south}")
    error(r, "INVALID_MODULE", 400)
    body = error(await sim.get("/crm/v8/Deals?fields=Stage&territory_id=1"), "INVALID_DATA", 400)
    assert body["details"] == {"param_name": "territory_id"}
