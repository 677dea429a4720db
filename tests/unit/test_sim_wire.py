"""One test per SDK wire capture: the exact request is accepted and answered in its shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.unit.sim_fixtures import Sim, assert_shape, error, open_sim, unzip, zip_of

WIRE = Path(__file__).parent.parent / "data" / "wire"
SKIP_HEADERS = {"host", "content-length", "authorization"}
pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


def capture(name: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads((WIRE / name).read_text())["requests"]
    return requests


def raw_body(req: dict[str, Any], subst: dict[str, str]) -> bytes:
    """The body bytes as sent: raw JSON text, or the multipart rebuilt from its zip entries."""
    body = req["body"]
    if body["kind"] == "empty":
        return b""
    if body["kind"] == "json":
        text: str = body["raw"]
        for old, new in subst.items():
            text = text.replace(old, new)
        return text.encode()
    mp = body["multipart"]
    part = mp["parts"][0]
    data = zip_of({e["name"]: "\n".join(e["text_lines"]) + "\n" for e in part["zip_entries"]})
    head = "".join(f"{k}: {v}\r\n" for k, v in part["part_headers"].items())
    boundary = mp["boundary"].encode()
    return (
        b"--"
        + boundary
        + b"\r\n"
        + head.encode()
        + b"\r\n"
        + data
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )


async def replay(
    sim: Sim, req: dict[str, Any], subst: dict[str, str] | None = None
) -> httpx.Response:
    """Send the captured request as is (ids swapped by `subst`), with our token."""
    subst = subst or {}
    path: str = req["raw_path"]
    for old, new in subst.items():
        path = path.replace(old, new)
    headers = [(k, v) for k, v in req["headers"] if k.lower() not in SKIP_HEADERS]
    headers.append(("Authorization", f"Zoho-oauthtoken {sim.token}"))
    return await sim.client.request(
        req["method"], path, headers=headers, content=raw_body(req, subst)
    )


def recorded(req: dict[str, Any]) -> Any:
    return req["response"]["body"]


async def test_00_init_users_and_org(sim: Sim) -> None:
    """The SDK's start-up calls answer users[0].email and org[0].zgid in the recorded shape."""
    users, org = capture("00_init.json")
    r = await replay(sim, users)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    assert_shape(r.json(), recorded(users))
    assert r.json()["users"][0]["email"] == "patricia.boyle@zylker.example"
    r = await replay(sim, org)
    assert_shape(r.json(), recorded(org))
    assert r.json()["org"][0]["zgid"] == "673573045"


async def test_01_mass_update_ids(sim: Sim) -> None:
    """Fields first, then the ids POST without Content-Type; unknown ids answer per record."""
    fields, post = capture("01_mass_update_ids.json")
    r = await replay(sim, fields)
    assert_shape(r.json(), recorded(fields))
    ours = {f["api_name"]: f for f in r.json()["fields"]}
    for theirs in recorded(fields)["fields"]:
        assert_shape(ours[theirs["api_name"]], theirs)
        if "pick_list_values" in theirs:
            assert [p["actual_value"] for p in ours[theirs["api_name"]]["pick_list_values"]] == [
                p["actual_value"] for p in theirs["pick_list_values"]
            ]
    r = await replay(sim, post)
    # The capture's ids are not demo-org ids: each is refused as seed 002's INVALID_DATA entry.
    assert r.status_code == 400
    data = r.json()["data"]
    assert [d["details"]["id"] for d in data] == ["554023000000101001", "554023000000101002"]
    assert_shape(data[0], {"code": "", "details": {"id": ""}, "message": "", "status": ""})
    assert {d["code"] for d in data} == {"INVALID_DATA"}


async def test_02_mass_update_cvid(sim: Sim) -> None:
    """A cvid mass update as the SDK sends it schedules a job (recorded reply shape)."""
    fields, post = capture("02_mass_update_cvid.json")
    assert (await replay(sim, fields)).status_code == 200
    r = await replay(sim, post)
    assert r.status_code == 200
    assert_shape(r.json(), recorded(post))
    assert r.json()["data"][0]["message"] == "mass update scheduled successfully"


async def test_03_mass_update_status(sim: Sim) -> None:
    """The status GET answers seed 000's keys once a Deals job exists."""
    (req,) = capture("03_mass_update_status.json")
    r = await sim.post(
        "/crm/v8/Deals/actions/mass_update",
        {"data": [{"Type": "New Business"}], "cvid": "554023000000092001"},
    )
    job_id = r.json()["data"][0]["details"]["job_id"]
    await sim.advance(3600)
    r = await replay(sim, req, {"554023000000506051": job_id})
    assert r.status_code == 200
    assert_shape(r.json(), recorded(req))
    assert r.json()["data"][0]["Status"] == "COMPLETED"


async def test_04_mass_delete_ids_big_numbers(sim: Sim) -> None:
    """Ids sent as JSON numbers above 2^53 come back exact, as strings."""
    (req,) = capture("04_mass_delete_ids.json")
    r = await replay(sim, req)
    assert r.status_code == 400
    assert [d["details"]["id"] for d in r.json()["data"]] == [
        "554023000000102001",
        "554023000000102002",
    ]


async def test_05_mass_delete_status(sim: Sim) -> None:
    """The mass delete status GET answers seed 001's keys."""
    (req,) = capture("05_mass_delete_status.json")
    r = await sim.post("/crm/v8/Deals/actions/mass_delete", {"cvid": 554023000000092001})
    job_id = r.json()["data"][0]["details"]["job_id"]
    await sim.advance(3600)
    r = await replay(sim, req, {"554023000000506053": job_id})
    assert r.status_code == 200
    assert_shape(r.json(), recorded(req))
    assert r.json()["data"][0] == {
        "Status": "COMPLETED",
        "Failed_Count": 12,
        "Deleted_Count": 288,
        "Total_Count": 300,
    }


async def _bulk_read(sim: Sim) -> str:
    (req,) = capture("06_bulk_read_create.json")
    r = await replay(sim, req)
    assert r.status_code == 201, r.text
    assert_shape(r.json(), recorded(req))
    job_id: str = r.json()["data"][0]["details"]["id"]
    return job_id


async def test_06_bulk_read_create(sim: Sim) -> None:
    """The SDK's bulk read create (criteria with field objects, callback) answers 201."""
    job_id = await _bulk_read(sim)
    assert job_id.isdigit()


async def test_07_bulk_read_status(sim: Sim) -> None:
    """The status GET matches the recorded COMPLETED job, result included."""
    job_id = await _bulk_read(sim)
    (req,) = capture("07_bulk_read_status.json")
    await sim.advance(60)
    r = await replay(sim, req, {"554023000000506054": job_id})
    assert_shape(r.json(), recorded(req))
    assert r.json()["data"][0]["result"]["download_url"] == f"/crm/bulk/v8/read/{job_id}/result"


async def test_08_bulk_read_download(sim: Sim) -> None:
    """The download is application/zip with the quoted file name the SDK needs."""
    job_id = await _bulk_read(sim)
    (req,) = capture("08_bulk_read_download.json")
    await sim.advance(60)
    r = await replay(sim, req, {"554023000000506054": job_id})
    assert r.status_code == 200
    assert r.headers["content-type"] == req["response"]["content_type"]
    assert r.headers["content-disposition"] == f'attachment; filename="{job_id}.zip"'
    ((name, text),) = unzip(r.content).items()
    assert name == f"{job_id}.csv"
    assert text.splitlines()[0] == "Id,Last_Name,First_Name,Email,Lead_Source,Created_Time"


async def _upload(sim: Sim) -> str:
    (req,) = capture("09_bulk_write_upload.json")
    r = await replay(sim, req)
    assert r.status_code == 200, r.text
    assert_shape(r.json(), recorded(req))
    file_id: str = r.json()["details"]["file_id"]
    return file_id


async def test_09_bulk_write_upload(sim: Sim) -> None:
    """The multipart upload with feature and X-CRM-ORG headers is accepted."""
    file_id = await _upload(sim)
    assert sim.org.files[file_id].csvs["Leads.csv"][0] == ["Last_Name", "Company", "Email"]


async def _bulk_write(sim: Sim) -> str:
    file_id = await _upload(sim)
    (req,) = capture("10_bulk_write_create.json")
    r = await replay(sim, req, {"554023000000506055": file_id})
    assert r.status_code == 201, r.text
    assert_shape(r.json(), recorded(req))
    job_id: str = r.json()["details"]["id"]
    return job_id


async def test_10_bulk_write_create(sim: Sim) -> None:
    """The create answers 201 with a top-level object (no data[])."""
    job_id = await _bulk_write(sim)
    assert job_id.isdigit()


async def _details(sim: Sim, job_id: str) -> dict[str, Any]:
    (req,) = capture("11_bulk_write_status.json")
    await sim.advance(60)
    r = await replay(sim, req, {"554023000000506056": job_id})
    assert r.status_code == 200
    assert_shape(r.json(), recorded(req))
    body: dict[str, Any] = r.json()
    return body


async def test_11_bulk_write_status(sim: Sim) -> None:
    """Details match the recorded COMPLETED job, with an absolute download_url on our host."""
    job_id = await _bulk_write(sim)
    body = await _details(sim, job_id)
    assert (
        body["resource"][0]["file"]
        == recorded(capture("11_bulk_write_status.json")[0])["resource"][0]["file"]
    )
    assert body["result"]["download_url"] == (
        f"http://sim.test/v2/crm/673573045/bulk-write/{job_id}/{job_id}.zip"
    )


async def test_12_bulk_write_download(sim: Sim) -> None:
    """The result zip downloads from download_url exactly as given, token attached."""
    job_id = await _bulk_write(sim)
    url = (await _details(sim, job_id))["result"]["download_url"]
    (req,) = capture("12_bulk_write_download.json")
    req = {**req, "raw_path": url.removeprefix("http://sim.test")}
    r = await replay(sim, req)
    assert r.status_code == 200
    assert r.headers["content-disposition"] == f'attachment; filename="{job_id}.zip"'
    (text,) = unzip(r.content).values()
    header, first, second = text.splitlines()
    assert header == "Last_Name,Company,Email,STATUS,RECORD_ID,ERRORS"
    assert first == "Peer,Acme,peer1@example.com,ADDED,554023001000000301,"
    assert second.endswith("ADDED,554023001000000302,")


async def test_13_mass_delete_cvid_number(sim: Sim) -> None:
    """A cvid sent as a JSON number schedules a mass delete."""
    (req,) = capture("13_mass_delete_cvid.json")
    r = await replay(sim, req)
    assert r.status_code == 200, r.text
    assert_shape(r.json(), recorded(req))
    job_id = r.json()["data"][0]["details"]["job_id"]
    assert (await sim.client.get("/__sim__/jobs")).json()[0]["id"] == job_id


async def test_wire_replay_needs_token(sim: Sim) -> None:
    """Without the token the same request is refused: the replays really authenticate."""
    (users, _) = capture("00_init.json")
    r = await sim.client.get(users["raw_path"])
    error(r, "INVALID_TOKEN", 401)
