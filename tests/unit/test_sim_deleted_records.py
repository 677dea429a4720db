"""GET /crm/{v}/{module}/deleted: who deleted what and when, recycle vs permanent, paging
(API_NOTES §13); and `deleted_at` in the /__sim__/ ground truth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from runner.simulator.models.views import SimUser
from runner.simulator.seed import build_demo_org
from tests.unit.sim_fixtures import Sim, error, open_sim

pytestmark = pytest.mark.anyio
MD = "/crm/v8/{}/actions/mass_delete"
JUNK = "554023000000091999"  # DEMO_ORG: Leads with n % 10 == 0
DAY = 86_400
ADMIN = {"name": "Patricia Boyle", "id": "554023000000235011"}
OTHER = SimUser(
    id="554023000000235099",
    full_name="Second Admin",
    email="second@zylker.example",
    profile="Administrator",
    role="CEO",
    admin=True,
)


def rid(k: int, n: int) -> str:
    return f"554023{k:03d}{n:09d}"


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


async def delete_ids(sim: Sim, module: str, k: int, *ns: int) -> None:
    r = await sim.post(MD.format(module), {"ids": [rid(k, n) for n in ns]})
    assert r.status_code == 200, r.text


async def deleted(sim: Sim, query: str = "", module: str = "Leads") -> dict[str, Any]:
    r = await sim.get(f"/crm/v8/{module}/deleted{query}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_nothing_deleted_is_204(sim: Sim) -> None:
    """No deleted records: 204 with no body."""
    r = await sim.get("/crm/v8/Leads/deleted")
    assert (r.status_code, r.content) == (204, b"")


async def test_mass_delete_by_ids_is_listed(sim: Sim) -> None:
    """Each entry has the six keys, the name field as display_name and the clock's time."""
    name = (await sim.get(f"/crm/v8/Leads?ids={rid(1, 3)}&fields=Last_Name")).json()["data"][0]
    await sim.advance(30)
    await delete_ids(sim, "Leads", 1, 3)
    body = await deleted(sim)
    assert body == {
        "data": [
            {
                "id": rid(1, 3),
                "display_name": name["Last_Name"],
                "type": "recycle",
                "deleted_time": "2026-01-01T00:00:30+00:00",
                "deleted_by": ADMIN,
                "created_by": ADMIN,
            }
        ],
        "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False},
    }


async def test_newest_deletion_first(sim: Sim) -> None:
    """Later deletions come first; within one call, the later record first."""
    await delete_ids(sim, "Deals", 4, 3)
    await sim.advance(10)
    await delete_ids(sim, "Deals", 4, 4, 5)
    body = await deleted(sim, module="Deals")
    assert [d["id"][-1] for d in body["data"]] == ["5", "4", "3"]
    assert body["data"][0]["display_name"] == "Deal 5"  # Deals' name field is Deal_Name


async def test_cvid_job_deletions_have_the_job_times(sim: Sim) -> None:
    """A cvid mass delete lists each record at the time the job reached it."""
    r = await sim.post(MD.format("Leads"), {"cvid": JUNK})
    assert r.status_code == 200, r.text
    await sim.advance(0.2)  # no dwell for mass delete, 100 records/s: 20 reached
    assert (await deleted(sim))["info"]["count"] == 20
    await sim.advance(60)
    body = await deleted(sim)
    assert [int(d["id"][-9:]) for d in body["data"]] == list(range(300, 9, -10))
    assert {d["deleted_time"] for d in body["data"][:10]} == {"2026-01-01T00:00:00+00:00"}
    assert body["data"][0]["deleted_by"] == ADMIN


async def test_recycle_then_permanent_then_gone(sim: Sim) -> None:
    """60 days in the recycle bin, then permanent (no name, no users), unlisted at 120."""
    await delete_ids(sim, "Leads", 1, 1)
    await sim.advance(59 * DAY)
    await delete_ids(sim, "Leads", 1, 2)
    assert [d["type"] for d in (await deleted(sim))["data"]] == ["recycle", "recycle"]
    await sim.advance(DAY)
    both = (await deleted(sim))["data"]
    assert [d["type"] for d in both] == ["recycle", "permanent"]
    assert both[1] == {
        "id": rid(1, 1),
        "display_name": None,
        "type": "permanent",
        "deleted_time": "2026-01-01T00:00:00+00:00",
        "deleted_by": None,
        "created_by": None,
    }
    assert [d["id"] for d in (await deleted(sim, "?type=permanent"))["data"]] == [rid(1, 1)]
    assert [d["id"] for d in (await deleted(sim, "?type=recycle"))["data"]] == [rid(1, 2)]
    await sim.advance(60 * DAY)
    assert [d["id"] for d in (await deleted(sim, "?type=all"))["data"]] == [rid(1, 2)]
    assert (await sim.get("/crm/v8/Leads/deleted?type=recycle")).status_code == 204


async def test_paging(sim: Sim) -> None:
    """page/per_page page the list; more_records says when more follow; per_page ≤ 200."""
    await delete_ids(sim, "Leads", 1, 1, 2, 3)
    first = await deleted(sim, "?per_page=2")
    assert first["info"] == {"per_page": 2, "count": 2, "page": 1, "more_records": True}
    second = await deleted(sim, "?per_page=2&page=2")
    assert [d["id"] for d in second["data"]] == [rid(1, 1)]
    assert second["info"]["more_records"] is False
    assert (await sim.get("/crm/v8/Leads/deleted?per_page=2&page=3")).status_code == 204
    body = error(await sim.get("/crm/v8/Leads/deleted?per_page=201"), "INVALID_DATA", 400)
    assert body["details"] == {"param_name": "per_page"}


@pytest.mark.parametrize("kind", ["deleted", "ALL", ""])
async def test_bad_type_is_pattern_not_matched(sim: Sim, kind: str) -> None:
    """type outside all/recycle/permanent: PATTERN_NOT_MATCHED naming param type."""
    body = error(await sim.get(f"/crm/v8/Leads/deleted?type={kind}"), "PATTERN_NOT_MATCHED", 400)
    assert body["details"] == {"param_name": "type"}


async def test_needs_read_scope_of_the_module(sim: Sim) -> None:
    """Like the other reads: the module's READ scope, an unknown module INVALID_MODULE."""
    deals_only = await sim.token_for(scopes=["ZohoCRM.modules.Deals.READ"])
    r = await sim.client.get("/crm/v8/Leads/deleted", headers=deals_only)
    error(r, "OAUTH_SCOPE_MISMATCH", 401)
    assert (await sim.client.get("/crm/v8/Deals/deleted", headers=deals_only)).status_code == 204
    error(await sim.get("/crm/v8/Nope/deleted"), "INVALID_MODULE", 400)


async def test_route_sits_beside_records(sim: Sim) -> None:
    """/deleted takes only GET; record and count routes around it still answer."""
    error(await sim.post("/crm/v8/Leads/deleted", {}), "INVALID_REQUEST_METHOD", 400)
    assert (await sim.get(f"/crm/v8/Leads/{rid(1, 4)}")).json()["data"][0]["id"] == rid(1, 4)
    assert (await sim.get("/crm/v8/Leads/actions/count")).json() == {"count": 300}


async def test_deleted_by_names_the_user() -> None:
    """deleted_by is the user whose token deleted the record; created_by stays the admin."""
    org = build_demo_org()
    org.users[OTHER.id] = OTHER
    async with open_sim(org) as sim:
        other = await sim.token_for(OTHER.id)
        r = await sim.client.post(MD.format("Leads"), json={"ids": [rid(1, 8)]}, headers=other)
        assert r.status_code == 200, r.text
        entry = (await deleted(sim))["data"][0]
    assert entry["deleted_by"] == {"name": "Second Admin", "id": OTHER.id}
    assert entry["created_by"] == ADMIN


async def test_ground_truth_has_deleted_at(sim: Sim) -> None:
    """/__sim__/records gives deleted_at (ISO) for deleted records, null otherwise."""
    await sim.advance(5)
    await delete_ids(sim, "Leads", 1, 3)
    truth = (
        await sim.client.get(f"/__sim__/records/Leads?ids={rid(1, 3)},{rid(1, 4)},{rid(1, 999)}")
    ).json()
    assert [(t["deleted"], t["deleted_at"]) for t in truth] == [
        (True, "2026-01-01T00:00:05+00:00"),
        (False, None),
        (False, None),
    ]
