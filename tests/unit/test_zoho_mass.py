"""Mass update/delete, metadata and records: requests equal the wire vectors, answers parse."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from runner.manifest.model import Territory
from runner.zoho import errors as ze
from runner.zoho import mass_delete, mass_update, metadata, records
from tests.unit import zoho_fixtures as zf
from tests.unit.zoho_fixtures import Recorder, client, reply


def vector(name: str, method: str = "POST") -> dict[str, Any]:
    """The first request of a wire capture with that method (POST unless said)."""
    return zf.vector(name, method)


def assert_same_request(req: httpx.Request, vec: dict[str, Any], body: Any = None) -> None:
    """Method, path, query and JSON body equal the vector's (or the given body)."""
    assert req.method == vec["method"]
    assert req.url.path == vec["path"]
    assert sorted(req.url.params.multi_items()) == sorted(tuple(q) for q in vec["query"])
    if vec["body"]["kind"] == "json":
        assert json.loads(req.content) == (vec["body"]["json"] if body is None else body)
    else:
        assert req.content == b""


@pytest.mark.anyio
async def test_mass_update_ids_request_is_wire_01() -> None:
    """ids, data and over_write go out exactly as the SDK sends them (wire 01)."""
    vec = vector("01_mass_update_ids.json")
    rec = Recorder(httpx.Response(200, json={"data": []}))
    async with client(rec) as zc:
        await mass_update.mass_update_ids(
            zc,
            "Deals",
            ["554023000000101001", "554023000000101002"],
            {"Stage": "Closed Won"},
            over_write=True,
        )
    assert_same_request(rec.requests[0], vec)


SEED_002_MIXED = {  # seed 002, "Response for non-scheduler type (with record IDs)"
    "data": [
        {
            "code": "SUCCESS",
            "details": {"Modified_Time": "2021-03-03T12:17:00+05:30", "id": "580845000003654076"},
            "message": "record updated",
            "status": "success",
        },
        {
            "code": "INVALID_DATA",
            "details": {"id": "554023000000497021"},
            "message": "the id given seems to be invalid",
            "status": "error",
        },
    ]
}


@pytest.mark.anyio
async def test_mixed_207_answer_gives_outcomes_in_input_order() -> None:
    """A 207 with success and INVALID_DATA entries yields one outcome per input id, in order."""
    ids = ["554023000000497007", "554023000000497021"]
    async with client(Recorder(httpx.Response(207, json=SEED_002_MIXED))) as zc:
        out = await mass_update.mass_update_ids(zc, "Deals", ids, {"Lead_Source": "Advertisement"})
    assert [o.record_id for o in out] == ids
    assert [(o.ok, o.code) for o in out] == [(True, "SUCCESS"), (False, "INVALID_DATA")]
    assert out[1].message == "the id given seems to be invalid"


def test_aligned_answer_accepts_ids_sent_back_as_numbers() -> None:
    """Ids answered as JSON numbers still match their string ids, in the fast path too."""
    body = {
        "data": [
            {"code": "SUCCESS", "details": {"id": 554023000000497007}, "message": "ok",
             "status": "success"},
            {"code": "RECORD_LOCKED", "details": {"id": "554023000000497008"}, "message": "no",
             "status": "error"},
        ]
    }  # fmt: skip
    out = records.record_outcomes(["554023000000497007", "554023000000497008"], body)
    assert [(o.record_id, o.status, o.code) for o in out] == [
        ("554023000000497007", "success", "SUCCESS"),
        ("554023000000497008", "error", "RECORD_LOCKED"),
    ]


def test_odd_status_word_is_an_error() -> None:
    """Anything but status "success" is a failed record, whatever word Zoho used."""
    body = {"data": [{"code": "X", "details": {"id": "1"}, "message": "m", "status": "warning"}]}
    assert records.record_outcomes(["1"], body)[0].status == "error"


@pytest.mark.anyio
async def test_entries_are_matched_by_id_not_position() -> None:
    """An answer in another order still lands on the right ids; a missing one is unknown."""
    ids = ["1001", "1002", "1003"]
    locked = {"code": "RECORD_LOCKED", "details": {"id": "1002"}, "message": "x", "status": "error"}
    done = {"code": "SUCCESS", "details": {"id": "1001"}, "message": "ok", "status": "success"}
    body = {"data": [locked, done]}
    async with client(Recorder(httpx.Response(207, json=body))) as zc:
        out = await mass_delete.mass_delete_ids(zc, "Leads", ids)
    assert [(o.record_id, o.code, o.status) for o in out] == [
        ("1001", "SUCCESS", "success"),
        ("1002", "RECORD_LOCKED", "error"),
        ("1003", "OUTCOME_UNKNOWN", "error"),
    ]


@pytest.mark.anyio
async def test_every_record_refused_is_data_not_an_exception() -> None:
    """An HTTP 400 whose data[] names each record gives per-record outcomes."""
    body = {
        "data": [
            {"code": "INVALID_DATA", "details": {"id": i}, "message": "bad id", "status": "error"}
            for i in ("1", "2")
        ]
    }
    async with client(Recorder(httpx.Response(400, json=body))) as zc:
        out = await mass_update.mass_update_ids(zc, "Deals", ["1", "2"], {"Stage": "Closed Won"})
    assert [(o.record_id, o.code) for o in out] == [("1", "INVALID_DATA"), ("2", "INVALID_DATA")]


@pytest.mark.anyio
async def test_ids_call_refuses_more_than_500() -> None:
    """The caller batches: 501 ids is a programming error, caught before any request."""
    rec = Recorder()
    async with client(rec) as zc:
        with pytest.raises(ValueError, match="1 to 500"):
            await mass_delete.mass_delete_ids(zc, "Leads", [str(i) for i in range(501)])
    assert rec.requests == []


@pytest.mark.anyio
async def test_schedule_mass_update_is_wire_02() -> None:
    """The cvid body is `{"cvid", "data"}` (wire 02); the job id comes back as a string."""
    vec = vector("02_mass_update_cvid.json")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        job = await mass_update.schedule_mass_update(
            zc, "Leads", "554023000000087501", {"Lead_Status": "Contacted"}
        )
    assert job == "554023000000506052"
    assert_same_request(rec.requests[0], vec)


@pytest.mark.anyio
async def test_schedule_with_territory_matches_seed_002_sample() -> None:
    """A territory goes as {id, include_child} next to the cvid (seed 002 sample input)."""
    rec = Recorder(reply(vector("02_mass_update_cvid.json")))
    async with client(rec) as zc:
        await mass_update.schedule_mass_update(
            zc,
            "Accounts",
            "554023000000091515",
            {"Industry": "Education"},
            territory=Territory("554023000000430409", include_child=True),
        )
    assert json.loads(rec.requests[0].content) == {
        "data": [{"Industry": "Education"}],
        "cvid": "554023000000091515",
        "territory": {"id": "554023000000430409", "include_child": True},
    }


@pytest.mark.anyio
async def test_already_scheduled_202_raises() -> None:
    """Seed 002: ALREADY_SCHEDULED arrives as HTTP 202 and raises AlreadyScheduled."""
    body = {
        "data": [
            {
                "code": "ALREADY_SCHEDULED",
                "details": {"api_name": "cvid"},
                "message": "Already a Mass Action scheduler is running for the given cvid",
                "status": "error",
            }
        ]
    }
    async with client(Recorder(httpx.Response(202, json=body))) as zc:
        with pytest.raises(ze.AlreadyScheduled) as info:
            await mass_update.schedule_mass_update(zc, "Leads", "1", {"Lead_Status": "Contacted"})
    assert info.value.http_status == 202
    assert "already scheduled" in info.value.resolution


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [(400, "ALREADY_SCHEDULED", ze.AlreadyScheduled), (400, "NO_RECORDS_FOUND", ze.NoRecordsFound)],
)
@pytest.mark.anyio
async def test_mass_delete_schedule_errors(status: int, code: str, cls: type[ze.ZohoError]) -> None:
    """API_NOTES §2.2: ALREADY_SCHEDULED / NO_RECORDS_FOUND at HTTP 400 raise their class."""
    answer = httpx.Response(
        status, json={"code": code, "details": {}, "message": "m", "status": "error"}
    )
    async with client(Recorder(answer)) as zc:
        with pytest.raises(cls):
            await mass_delete.schedule_mass_delete(zc, "Leads", "554023000000091999")


@pytest.mark.anyio
async def test_mass_update_status_is_wire_03() -> None:
    """`GET …/actions/mass_update?job_id=` parses Status and the four counts."""
    vec = vector("03_mass_update_status.json", "GET")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        status = await mass_update.mass_update_status(zc, "Deals", "554023000000506051")
    assert_same_request(rec.requests[0], vec)
    assert status == records.MassJobStatus("COMPLETED", total=2, done=2, failed=0, not_done=0)
    assert status.finished


@pytest.mark.anyio
async def test_mass_delete_ids_is_wire_04_with_string_ids() -> None:
    """Same path and keys as wire 04; ids go as strings, never numbers."""
    vec = vector("04_mass_delete_ids.json")
    rec = Recorder(httpx.Response(200, json={"data": []}))
    async with client(rec) as zc:
        await mass_delete.mass_delete_ids(zc, "Deals", ["554023000000102001", "554023000000102002"])
    expected = {"ids": [str(i) for i in vec["body"]["json"]["ids"]]}
    assert_same_request(rec.requests[0], vec, expected)


@pytest.mark.anyio
async def test_schedule_mass_delete_is_wire_13_with_string_cvid() -> None:
    """Same path and key as wire 13, with the cvid as a string."""
    vec = vector("13_mass_delete_cvid.json")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        job = await mass_delete.schedule_mass_delete(zc, "Leads", "554023000000087501")
    assert job == "554023000000506057"
    assert_same_request(rec.requests[0], vec, {"cvid": "554023000000087501"})


@pytest.mark.anyio
async def test_mass_delete_status_is_wire_05() -> None:
    """`GET …/actions/mass_delete?job_id=` parses Status, Total, Deleted and Failed counts."""
    vec = vector("05_mass_delete_status.json", "GET")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        status = await mass_delete.mass_delete_status(zc, "Deals", "554023000000506053")
    assert_same_request(rec.requests[0], vec)
    assert (status.status, status.total, status.deleted, status.failed) == ("COMPLETED", 2, 2, 0)


@pytest.mark.anyio
async def test_org_and_current_user_are_wire_00() -> None:
    """`/org` gives the zgid for X-CRM-ORG; `/users?type=CurrentUser` the user."""
    reqs = json.loads((zf.WIRE / "00_init.json").read_text())["requests"]
    rec = Recorder(reply(reqs[1]), reply(reqs[0]))
    async with client(rec) as zc:
        org = await metadata.get_org(zc)
        user = await metadata.current_user(zc)
    assert (org.id, org.zgid) == ("554023000000046001", "673573045")
    assert (user.id, user.email, user.profile) == (
        "554023000000235011",
        "sdk.peer@example.com",
        "Administrator",
    )
    assert_same_request(rec.requests[0], reqs[1])
    assert_same_request(rec.requests[1], reqs[0])


@pytest.mark.anyio
async def test_list_fields_is_the_sdk_fields_call() -> None:
    """`settings/fields?module=Deals` (wire 01) parses types and picklist values."""
    vec = vector("01_mass_update_ids.json", "GET")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        fields = await metadata.list_fields(zc, "Deals")
    assert_same_request(rec.requests[0], vec)
    by_name = {f.api_name: f for f in fields}
    assert by_name["Stage"].data_type == "picklist"
    assert "Closed Won" in by_name["Stage"].picklist_values
    assert by_name["Deal_Name"].system_mandatory


@pytest.mark.anyio
async def test_modules_views_and_count() -> None:
    """Modules, custom views and the record count parse; the count query carries the cvid."""
    rec = Recorder(
        httpx.Response(200, json={"modules": [{"api_name": "Leads", "api_supported": True}]}),
        httpx.Response(200, json={"custom_views": [{"id": 554023000000091999, "name": "Junk"}]}),
        httpx.Response(200, json={"count": 30}),
    )
    async with client(rec) as zc:
        mods = await metadata.list_modules(zc)
        views = await metadata.list_custom_views(zc, "Leads")
        count = await metadata.record_count(zc, "Leads", "554023000000091999")
    assert mods[0].api_name == "Leads"
    assert views[0] == metadata.CustomView("554023000000091999", "Junk")
    assert count == 30
    assert (
        str(rec.requests[2].url)
        == "https://api.test/crm/v8/Leads/actions/count?cvid=554023000000091999"
    )
    assert rec.requests[1].url.params["module"] == "Leads"


@pytest.mark.anyio
async def test_get_records_in_chunks_of_100_with_string_ids() -> None:
    """250 ids take 3 calls; ids come back as exact strings even when sent as numbers."""
    rec = Recorder(
        httpx.Response(200, content=b'{"data":[{"id":5540230040000000011,"Stage":"X"}]}'),
        httpx.Response(200, json={"data": []}),
        httpx.Response(204),
    )
    ids = [str(554023004000000001 + i) for i in range(250)]
    async with client(rec) as zc:
        got = await records.get_records(zc, "Deals", ids, ["Stage"])
    assert got == [{"id": "5540230040000000011", "Stage": "X"}]
    assert [len(r.url.params["ids"].split(",")) for r in rec.requests] == [100, 100, 50]
    assert rec.requests[0].url.params["fields"] == "Stage"
