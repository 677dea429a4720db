"""Mass update and mass delete: per-record results, request errors, and cvid job lifecycles."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from runner.simulator.models.values import created_iso, iso
from runner.simulator.responses.base import encode
from runner.simulator.seed import build_demo_org
from tests.unit.sim_fixtures import Sim, error, open_sim

pytestmark = pytest.mark.anyio
MU = "/crm/v8/{}/actions/mass_update"
MD = "/crm/v8/{}/actions/mass_delete"


def rid(k: int, n: int) -> str:
    return f"554023{k:03d}{n:09d}"


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


async def test_ids_all_success_is_200(sim: Sim) -> None:
    """Plain records update at once; answer 200 with seed 002's success details."""
    r = await sim.post(
        MU.format("Deals"), {"data": [{"Stage": "Closed Won"}], "ids": [rid(4, 1), rid(4, 2)]}
    )
    assert r.status_code == 200
    entry = r.json()["data"][0]
    assert entry["code"] == "SUCCESS"
    assert entry["message"] == "record updated"
    assert set(entry["details"]) == {
        "Modified_Time",
        "Modified_By",
        "Created_Time",
        "id",
        "Created_By",
    }
    truth = (await sim.client.get(f"/__sim__/records/Deals?ids={rid(4, 1)}")).json()[0]
    assert truth["record"]["Stage"] == "Closed Won"


async def test_ids_answer_is_compact_json_in_seed_key_order() -> None:
    """The per-record answer, built from text pieces, is what json.dumps of seed 002's
    objects gives, byte for byte, even for a user name JSON must escape."""
    org = build_demo_org()
    admin = org.admin
    org.users[admin.id] = dataclasses.replace(admin, full_name='Zoë "Pat" Boyle\\')
    async with open_sim(org) as sim:
        ids = [rid(1, 1), rid(1, 7), rid(1, 2), "554023001999999999"]
        r = await sim.post(MU.format("Leads"), {"data": [{"City": "Porto"}], "ids": ids})
    body = r.json()
    assert r.content == encode(body).encode()
    ok = body["data"][0]
    assert list(ok) == ["code", "details", "message", "status"]
    details = ok["details"]
    assert list(details) == ["Modified_Time", "Modified_By", "Created_Time", "id", "Created_By"]
    assert details["Modified_By"] == {"id": admin.id, "name": 'Zoë "Pat" Boyle\\'}
    assert details["Created_Time"] == "2025-01-01T00:01:00+00:00"  # DEMO_ORG: n minutes in
    assert [d["code"] for d in body["data"]] == [
        "SUCCESS", "RECORD_LOCKED", "SUCCESS", "INVALID_DATA"
    ]  # fmt: skip


def test_iso_matches_datetime_isoformat() -> None:
    """The sim's fast timestamp texts equal datetime.isoformat() in UTC, day edges included."""
    for seconds in (
        0,
        59,
        86_399,
        86_400,
        951_782_400,
        1_735_689_600,
        1_798_761_599,
        4_102_444_800,
    ):
        expected = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()
        assert iso(seconds + 0.7) == expected
    epoch = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    for n in (1, 59, 60, 1439, 1440, 1441, 525_600, 1_000_000):
        assert created_iso(n) == (epoch + dt.timedelta(minutes=n)).isoformat()


async def test_owner_update_gives_each_record_its_own_object(sim: Sim) -> None:
    """An ownerlookup value is stored per record, never one object shared by all."""
    user = next(u for u in sim.org.users.values() if not u.admin)
    ids = [rid(1, 1), rid(1, 2)]
    r = await sim.post(MU.format("Leads"), {"data": [{"Owner": {"id": user.id}}], "ids": ids})
    assert r.status_code == 200, r.text
    store = sim.org.stores["Leads"]
    first, second = store.get(1, "Owner"), store.get(2, "Owner")
    assert first == second == {"name": user.full_name, "id": user.id, "email": user.email}
    assert first is not second


async def test_ids_per_record_codes_in_input_order_207(sim: Sim) -> None:
    """Locked, blueprint, stop-processing, not-approved and unknown ids fail per record."""
    ids = [rid(4, 1), rid(4, 7), rid(4, 17), rid(4, 27), rid(4, 37), "554023000000497021"]
    r = await sim.post(MU.format("Deals"), {"data": [{"Stage": "Closed Won"}], "ids": ids})
    assert r.status_code == 207
    codes = [d["code"] for d in r.json()["data"]]
    assert codes == [
        "SUCCESS",
        "RECORD_LOCKED",
        "RECORD_IN_BLUEPRINT",
        "CANNOT_PROCESS",
        "NOT_APPROVED",
        "INVALID_DATA",
    ]
    assert [d["details"]["id"] for d in r.json()["data"]] == ids
    assert r.json()["data"][5]["message"] == "the id given seems to be invalid"


async def test_blueprint_only_blocks_the_blueprint_field(sim: Sim) -> None:
    """A record in blueprint updates fine when the field is not the blueprint one."""
    r = await sim.post(
        MU.format("Deals"), {"data": [{"Type": "New Business"}], "ids": [rid(4, 17)]}
    )
    assert r.status_code == 200


async def test_ids_all_failed_is_400_with_data(sim: Sim) -> None:
    """When no id succeeds the answer is 400 and still lists each record."""
    r = await sim.post(MU.format("Deals"), {"data": [{"Type": "New Business"}], "ids": [rid(4, 7)]})
    assert r.status_code == 400
    assert r.json()["data"][0]["code"] == "RECORD_LOCKED"


async def test_multiselect_adds_unless_over_write(sim: Sim) -> None:
    """over_write false adds picklist values; true replaces them (seed 002)."""
    url = f"/__sim__/records/Deals?ids={rid(4, 2)}"
    before = (await sim.client.get(url)).json()[0]["record"]["Languages_Known"]
    await sim.post(
        MU.format("Deals"), {"data": [{"Languages_Known": ["German"]}], "ids": [rid(4, 2)]}
    )
    added = (await sim.client.get(url)).json()[0]["record"]["Languages_Known"]
    assert added == [*before, "German"] if "German" not in before else before
    body = {"data": [{"Languages_Known": ["Spanish"]}], "ids": [rid(4, 2)], "over_write": True}
    await sim.post(MU.format("Deals"), body)
    assert (await sim.client.get(url)).json()[0]["record"]["Languages_Known"] == ["Spanish"]


@pytest.mark.parametrize(
    ("module", "data", "message"),
    [
        ("Deals", [{}], "No field found"),
        ("Deals", None, "No field found"),
        (
            "Deals",
            [
                {
                    "Stage": "Closed Won",
                    "Type": "New Business",
                    "Lead_Source": "Cold Call",
                    "Amount": 5,
                }
            ],
            "Max field limit exceeded",
        ),
        ("Accounts", [{"Industry": "Retail", "Phone": "1"}], "Max field limit exceeded"),
        ("Leads", [{"Email": "a@b.c"}], "This field cannot be updated in the Mass Update"),
        (
            "Deals",
            [{"Account_Name": {"id": "1"}}],
            "This field cannot be updated in the Mass Update",
        ),
        ("Deals", [{"Layout": {"id": "1"}}], "This field cannot be updated in the Mass Update"),
        ("Deals", [{"Description": "x"}], "This field cannot be updated in the Mass Update"),
        ("Quotes", [{"Product_Details": []}], "This field cannot be updated in the Mass Update"),
        ("Deals", [{"No_Such_Field": "x"}], "This field cannot be updated in the Mass Update"),
        ("Deals", [{"Stage": "Sleeping"}], "invalid data"),
        ("Deals", [{"Amount": "lots"}], "invalid data"),
    ],
)
async def test_invalid_data_request_errors(
    sim: Sim, module: str, data: object, message: str
) -> None:
    """seed 002's request-level INVALID_DATA variants, HTTP 400."""
    r = await sim.post(MU.format(module), {"data": data, "ids": [rid(4, 1)]})
    assert error(r, "INVALID_DATA", 400)["message"] == message


async def test_ids_in_other_scripts_digits_are_invalid_data(sim: Sim) -> None:
    """An id written with full-width digits is no Zoho id, though str.isdigit() says yes."""
    r = await sim.post(
        MU.format("Leads"), {"data": [{"City": "Porto"}], "ids": ["554023001００００００００５"]}
    )
    body = error(r, "INVALID_DATA", 400)
    assert body["details"]["json_path"] == "$.ids[0]"


async def test_mandatory_not_found_without_ids_or_cvid(sim: Sim) -> None:
    """No ids and no cvid: MANDATORY_NOT_FOUND; territory without cvid too."""
    error(
        await sim.post(MU.format("Deals"), {"data": [{"Type": "New Business"}]}),
        "MANDATORY_NOT_FOUND",
        400,
    )
    body = {
        "data": [{"Type": "New Business"}],
        "ids": [rid(4, 1)],
        "territory": {"id": "554023000000430409"},
    }
    error(await sim.post(MU.format("Deals"), body), "MANDATORY_NOT_FOUND", 400)


async def test_more_than_500_ids_is_limit_exceeded(sim: Sim) -> None:
    """501 ids in one call are refused before any record changes."""
    body = {"data": [{"Type": "New Business"}], "ids": [rid(4, n) for n in range(1, 502)]}
    assert (
        error(await sim.post(MU.format("Deals"), body), "LIMIT_EXCEEDED", 400)["details"][
            "max_limit"
        ]
        == 500
    )


async def test_bad_cvid_and_territory_are_invalid_data(sim: Sim) -> None:
    """An unknown cvid, another module's cvid or an unknown territory: INVALID_DATA."""
    values = [{"Industry": "Education"}]
    for cvid in ("554023000000000001", "554023000000091999"):
        r = await sim.post(MU.format("Accounts"), {"data": values, "cvid": cvid})
        assert error(r, "INVALID_DATA", 400)["message"] == "the id given seems to be invalid"
    body = {"data": values, "cvid": "554023000000091515", "territory": {"id": "554023000000999999"}}
    error(await sim.post(MU.format("Accounts"), body), "INVALID_DATA", 400)


async def test_empty_view_is_no_records_found(sim: Sim) -> None:
    """The Empty view (DEMO_ORG) answers NO_RECORDS_FOUND."""
    r = await sim.post(
        MU.format("Contacts"),
        {"data": [{"Lead_Source": "Cold Call"}], "cvid": "554023000000092003"},
    )
    assert error(r, "NO_RECORDS_FOUND", 400)["message"] == "no record found to update"


async def test_view_over_50000_is_limit_exceeded() -> None:
    """A view holding 50,001 records is refused (seed 002 LIMIT_EXCEEDED)."""
    async with open_sim(build_demo_org(records=50_001)) as sim:
        r = await sim.post(
            MU.format("Leads"), {"data": [{"City": "Lima"}], "cvid": "554023000000092002"}
        )
        error(r, "LIMIT_EXCEEDED", 400)


async def test_already_scheduled_is_202_per_cvid(sim: Sim) -> None:
    """A second job on the same cvid while one runs: ALREADY_SCHEDULED with HTTP 202."""
    body = {"data": [{"Type": "New Business"}], "cvid": "554023000000092001"}
    assert (await sim.post(MU.format("Deals"), body)).status_code == 200
    error(await sim.post(MU.format("Deals"), body), "ALREADY_SCHEDULED", 202)
    await sim.advance(3600)
    assert (await sim.post(MU.format("Deals"), body)).status_code == 200


async def test_read_only_user_has_no_permission(sim: Sim) -> None:
    """The Read Only user: NO_PERMISSION 403 on mass update and mass delete."""
    h = await sim.token_for()
    r = await sim.post(
        MU.format("Deals"), {"data": [{"Type": "New Business"}], "ids": [rid(4, 1)]}, h
    )
    error(r, "NO_PERMISSION", 403)
    error(await sim.post(MD.format("Deals"), {"ids": [rid(4, 1)]}, h), "NO_PERMISSION", 403)


async def test_read_only_user_status_is_authorization_failed(sim: Sim) -> None:
    """seed 000/001: the user without the privilege asking job status gets AUTHORIZATION_FAILED."""
    r = await sim.post(
        MU.format("Deals"), {"data": [{"Type": "New Business"}], "cvid": "554023000000092001"}
    )
    job = r.json()["data"][0]["details"]["job_id"]
    h = await sim.token_for()
    error(await sim.get(MU.format("Deals") + f"?job_id={job}", **h), "AUTHORIZATION_FAILED", 400)
    error(await sim.get(MD.format("Deals") + f"?job_id={job}", **h), "AUTHORIZATION_FAILED", 400)


async def test_status_errors(sim: Sim) -> None:
    """No job_id: MANDATORY_NOT_FOUND; an unknown one: NOT_FOUND 404 (seeds 000, 001)."""
    for url in (MU, MD):
        error(await sim.get(url.format("Deals")), "MANDATORY_NOT_FOUND", 400)
        error(await sim.get(url.format("Deals") + "?job_id=554023000000999999"), "NOT_FOUND", 404)


async def test_module_errors(sim: Sim) -> None:
    """Unknown module, Documents, and Cases (not in seed 002's list) are refused."""
    body = {"data": [{"Status": "New"}], "ids": [rid(17, 1)]}
    r = await sim.post(MU.format("Dealz"), body)
    assert error(r, "INVALID_MODULE", 400)["message"] == "the module name given seems to be invalid"
    r = await sim.post(MU.format("Documents"), body)
    assert error(r, "INVALID_MODULE", 400)["message"] == "The given module is not supported in API"
    error(await sim.post(MU.format("Cases"), body), "NOT_SUPPORTED", 400)
    assert (await sim.post(MD.format("Cases"), {"ids": [rid(17, 1)]})).status_code == 200


async def test_cvid_job_lifecycle_moves_counts_and_records(sim: Sim) -> None:
    """SCHEDULED → RUNNING → COMPLETED; a record changes exactly when the job reaches it."""
    body = {"data": [{"Stage": "Closed Lost"}], "cvid": "554023000000092001"}
    job = (await sim.post(MU.format("Deals"), body)).json()["data"][0]["details"]["job_id"]
    status = MU.format("Deals") + f"?job_id={job}"
    first = (await sim.get(status)).json()["data"][0]
    assert first == {
        "Status": "SCHEDULED",
        "Failed_Count": 0,
        "Updated_Count": 0,
        "Not_Updated_Count": 300,
        "Total_Count": 300,
    }
    await sim.advance(1.5)  # dwell 1 s, then 100 records/s: 50 records reached
    mid = (await sim.get(status)).json()["data"][0]
    assert mid["Status"] == "RUNNING"
    assert mid["Updated_Count"] + mid["Failed_Count"] == 50
    assert mid["Not_Updated_Count"] == 250
    url = f"/crm/v8/Deals?ids={rid(4, 50)},{rid(4, 51)}&fields=Stage,Modified_Time"
    fiftieth, next_one = (await sim.get(url)).json()["data"]
    assert fiftieth["Stage"] == "Closed Lost"
    assert fiftieth["Modified_Time"] == "2026-01-01T00:00:01+00:00"  # reached at +1.5 s
    assert next_one["Modified_Time"].startswith("2025-")  # not reached: still the seed value
    await sim.advance(10)
    done = (await sim.get(status)).json()["data"][0]
    # 24 of 300 Deals refuse a Stage change: locked, blueprint, stop processing, not approved.
    assert done == {
        "Status": "COMPLETED",
        "Failed_Count": 24,
        "Updated_Count": 276,
        "Not_Updated_Count": 0,
        "Total_Count": 300,
    }


async def test_territory_with_children_narrows_the_view(sim: Sim) -> None:
    """The example's Accounts job: view ∩ Americas incl. children (n % 4 in 1, 2)."""
    body = {
        "data": [{"Industry": "Education"}],
        "cvid": "554023000000091515",
        "territory": {"id": "554023000000430409", "include_child": True},
    }
    job = (await sim.post(MU.format("Accounts"), body)).json()["data"][0]["details"]["job_id"]
    await sim.advance(3600)
    done = (await sim.get(MU.format("Accounts") + f"?job_id={job}")).json()["data"][0]
    expected = sum(1 for n in range(1, 301) if n % 5 != 3 and n % 4 in (1, 2))
    assert done["Total_Count"] == expected
    count = (await sim.get("/crm/v8/Accounts/actions/count?cvid=554023000000091515")).json()[
        "count"
    ]
    failed = done["Failed_Count"]
    assert count == 240 - expected + failed


async def test_mass_delete_ids_deletes_at_once(sim: Sim) -> None:
    """ids mode: "record is deleted" per id, and the record is gone from reads."""
    r = await sim.post(MD.format("Leads"), {"ids": [int(rid(1, 3)), rid(1, 7)]})
    assert r.status_code == 207
    assert r.json()["data"][0] == {
        "code": "SUCCESS",
        "details": {"id": rid(1, 3)},
        "message": "record is deleted",
        "status": "success",
    }
    assert r.json()["data"][1]["code"] == "RECORD_LOCKED"
    assert (await sim.get(f"/crm/v8/Leads?ids={rid(1, 3)}&fields=Last_Name")).status_code == 204
    truth = (await sim.client.get(f"/__sim__/records/Leads?ids={rid(1, 3)}")).json()[0]
    assert truth["deleted"] is True


async def test_mass_delete_cvid_lifecycle_and_single_job(sim: Sim) -> None:
    """RUNNING → COMPLETED with Deleted_Count moving; a second job meanwhile is 400."""
    job = (await sim.post(MD.format("Leads"), {"cvid": "554023000000091999"})).json()["data"][0][
        "details"
    ]["job_id"]
    status = MD.format("Leads") + f"?job_id={job}"
    assert (await sim.get(status)).json()["data"][0]["Status"] == "RUNNING"
    r = await sim.post(MD.format("Deals"), {"cvid": "554023000000092001"})
    error(r, "ALREADY_SCHEDULED", 400)
    await sim.advance(0.1)
    mid = (await sim.get(status)).json()["data"][0]
    assert mid == {"Status": "RUNNING", "Failed_Count": 0, "Deleted_Count": 10, "Total_Count": 30}
    await sim.advance(1)
    done = (await sim.get(status)).json()["data"][0]
    assert done == {
        "Status": "COMPLETED",
        "Failed_Count": 0,
        "Deleted_Count": 30,
        "Total_Count": 30,
    }
    assert (await sim.get("/crm/v8/Leads/actions/count")).json() == {"count": 270}


async def test_mass_delete_bad_cvid_message(sim: Sim) -> None:
    """API_NOTES §2.2: "the cvid given seems to be invalid"."""
    r = await sim.post(MD.format("Leads"), {"cvid": "554023000000091515"})
    assert error(r, "INVALID_DATA", 400)["message"] == "the cvid given seems to be invalid"


async def test_forced_job_failure_ends_failed(sim: Sim) -> None:
    """The control hook fails the next job: FAILED, every record counted as failed."""
    await sim.client.post("/__sim__/fail", json={"job_kind": "mass_update"})
    body = {"data": [{"Type": "New Business"}], "cvid": "554023000000092001"}
    job = (await sim.post(MU.format("Deals"), body)).json()["data"][0]["details"]["job_id"]
    await sim.advance(5)
    done = (await sim.get(MU.format("Deals") + f"?job_id={job}")).json()["data"][0]
    assert done["Status"] == "FAILED"
    assert done["Failed_Count"] == 300
