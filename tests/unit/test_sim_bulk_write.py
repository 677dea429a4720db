"""Bulk write: upload checks, create checks, ADDED → INPROGRESS → COMPLETED, result CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from runner.simulator.seed import ZGID
from tests.unit.sim_fixtures import Sim, error, open_sim, unzip, zip_of

pytestmark = pytest.mark.anyio
WRITE = "/crm/bulk/v8/write"
LEADS = "Last_Name,Company,Email\nStone,Acme,stone@example.com\n,Acme,nameless@example.com\n"


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


async def upload(sim: Sim, text: str = LEADS, name: str = "Leads.csv") -> str:
    r = await sim.upload(text, name)
    assert r.status_code == 200, r.text
    assert r.json()["code"] == "FILE_UPLOAD_SUCCESS"
    file_id: str = r.json()["details"]["file_id"]
    return file_id


def resource(file_id: str, module: str = "Leads", **extra: Any) -> dict[str, Any]:
    mappings = [
        {"api_name": "Last_Name", "index": 0},
        {"api_name": "Company", "index": 1},
        {"api_name": "Email", "index": 2},
    ]
    return {
        "type": "data",
        "module": {"api_name": module},
        "file_id": file_id,
        "field_mappings": mappings,
        **extra,
    }


async def create(sim: Sim, body: dict[str, Any]) -> str:
    r = await sim.post_json(WRITE, body)
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "SUCCESS"
    job_id: str = r.json()["details"]["id"]
    return job_id


async def result_rows(sim: Sim, job: str) -> list[list[str]]:
    url = (await sim.get(f"{WRITE}/{job}")).json()["result"]["download_url"]
    r = await sim.client.get(url, headers=sim.auth)
    assert r.status_code == 200
    (text,) = unzip(r.content).values()
    return list(csv.reader(io.StringIO(text)))


async def test_insert_lifecycle_and_result(sim: Sim) -> None:
    """ADDED → INPROGRESS → COMPLETED with counts; new ids continue after the seed's."""
    file_id = await upload(
        sim,
        "Last_Name,Company,Email\n" + "".join(f"N{i},Acme,n{i}@example.com\n" for i in range(1000)),
    )
    job = await create(sim, {"operation": "insert", "resource": [resource(file_id)]})
    details = (await sim.get(f"{WRITE}/{job}")).json()
    assert details["status"] == "ADDED"
    assert details["resource"][0]["file"] == {"status": "ADDED", "name": "Leads.csv"}
    await sim.advance(1.5)  # 1 s added, then 500 rows/s
    details = (await sim.get(f"{WRITE}/{job}")).json()
    assert details["status"] == "INPROGRESS"
    assert details["resource"][0]["file"]["added_count"] == 250
    assert "result" not in details
    error(
        await sim.client.get(f"/v2/crm/{ZGID}/bulk-write/{job}/{job}.zip", headers=sim.auth),
        "RESOURCE_NOT_FOUND",
        404,
    )
    await sim.advance(2)
    details = (await sim.get(f"{WRITE}/{job}")).json()
    assert details["status"] == "COMPLETED"
    assert details["resource"][0]["file"] == {
        "status": "COMPLETED",
        "name": "Leads.csv",
        "added_count": 1000,
        "skipped_count": 0,
        "updated_count": 0,
        "total_count": 1000,
    }
    rows = await result_rows(sim, job)
    assert rows[0] == ["Last_Name", "Company", "Email", "STATUS", "RECORD_ID", "ERRORS"]
    assert rows[1] == ["N0", "Acme", "n0@example.com", "ADDED", "554023001000000301", ""]
    assert (await sim.get("/crm/v8/Leads/actions/count")).json() == {"count": 1300}
    got = (await sim.get("/crm/v8/Leads?ids=554023001000001300&fields=Last_Name,Email")).json()
    assert got["data"][0]["Email"] == "n999@example.com"


async def test_errors_column_and_skips(sim: Sim) -> None:
    """A missing mandatory value and a duplicate unique value are SKIPPED with CODE-column."""
    dup = (await sim.get("/crm/v8/Leads?ids=554023001000000001&fields=Email")).json()["data"][0][
        "Email"
    ]
    file_id = await upload(
        sim,
        f"Last_Name,Company,Email\nA,Acme,a@example.com\n,Acme,b@example.com\nC,Acme,{dup}\nD,Acme,not-an-email\n",
    )
    job = await create(sim, {"operation": "insert", "resource": [resource(file_id)]})
    await sim.advance(60)
    rows = await result_rows(sim, job)
    assert [r[3:] for r in rows[1:]] == [
        ["ADDED", "554023001000000301", ""],
        ["SKIPPED", "", "MANDATORY_NOT_FOUND-Last_Name"],
        ["SKIPPED", "", "DUPLICATE_DATA-Email"],
        ["SKIPPED", "", "INVALID_DATA-Email"],
    ]
    file = (await sim.get(f"{WRITE}/{job}")).json()["resource"][0]["file"]
    assert (file["added_count"], file["skipped_count"]) == (1, 3)


async def test_update_by_id_and_locked_record(sim: Sim) -> None:
    """update with find_by id changes the record; a locked one is skipped."""
    text = "id,City\n554023001000000001,Lima\n554023001000000007,Lima\n554023001999999999,Lima\n"
    file_id = await upload(sim, text)
    mappings = [{"api_name": "id", "index": 0}, {"api_name": "City", "index": 1}]
    res = {
        "type": "data",
        "module": {"api_name": "Leads"},
        "file_id": file_id,
        "find_by": "id",
        "field_mappings": mappings,
    }
    job = await create(sim, {"operation": "update", "resource": [res]})
    await sim.advance(60)
    rows = await result_rows(sim, job)
    assert [r[2:] for r in rows[1:]] == [
        ["UPDATED", "554023001000000001", ""],
        ["SKIPPED", "554023001000000007", "BLOCKED_RECORD-id"],
        ["SKIPPED", "", "RESOURCE_NOT_FOUND-id"],
    ]
    got = (await sim.get("/crm/v8/Leads?ids=554023001000000001&fields=City")).json()["data"][0]
    assert got["City"] == "Lima"


async def test_upsert_by_email(sim: Sim) -> None:
    """upsert with find_by Email updates a match and inserts the rest."""
    email = (await sim.get("/crm/v8/Leads?ids=554023001000000002&fields=Email")).json()["data"][0][
        "Email"
    ]
    file_id = await upload(
        sim, f"Last_Name,Company,Email\nKnown,Acme,{email}\nNew,Acme,new@example.com\n"
    )
    job = await create(
        sim, {"operation": "upsert", "resource": [resource(file_id, find_by="Email")]}
    )
    await sim.advance(60)
    rows = await result_rows(sim, job)
    assert [r[3:5] for r in rows[1:]] == [
        ["UPDATED", "554023001000000002"],
        ["ADDED", "554023001000000301"],
    ]


async def test_default_value_and_auto_mapping(sim: Sim) -> None:
    """default_value fills a column; no field_mappings maps by header name."""
    file_id = await upload(sim, "Last_Name,Lead_Source\nAuto,\n")
    job = await create(
        sim,
        {
            "operation": "insert",
            "resource": [{"type": "data", "module": {"api_name": "Leads"}, "file_id": file_id}],
        },
    )
    job2 = await create(
        sim,
        {
            "operation": "insert",
            "resource": [
                {
                    "type": "data",
                    "module": {"api_name": "Leads"},
                    "file_id": file_id,
                    "field_mappings": [
                        {"api_name": "Last_Name", "index": 0},
                        {"api_name": "Lead_Source", "default_value": {"value": "Cold Call"}},
                    ],
                }
            ],
        },
    )
    await sim.advance(60)
    assert (await result_rows(sim, job))[1][2:4] == ["ADDED", "554023001000000301"]
    got = (await sim.get("/crm/v8/Leads?ids=554023001000000302&fields=Lead_Source")).json()["data"][
        0
    ]
    assert got["Lead_Source"] == "Cold Call"
    assert (await result_rows(sim, job2))[1][-3] == "ADDED"


async def test_upload_errors(sim: Sim) -> None:
    """Headers, zip format, size, columns and rows are checked on upload (API_NOTES §4.1-2)."""
    r = await sim.client.post(
        "/crm/v8/upload", files={"file": ("a.zip", zip_of({"a.csv": "x\n"}))}, headers=sim.auth
    )
    assert r.status_code == 400
    assert r.json()["x-error"] == "check if headers [feature, X-CRM-ORG] are present and valid"
    headers = {**sim.auth, "feature": "bulk-write", "X-CRM-ORG": ZGID}
    r = await sim.client.post(
        "/crm/v8/upload", files={"file": ("a.zip", b"plain text")}, headers=headers
    )
    assert (
        error(r, "INVALID_FILE_FORMAT", 400)["message"]
        == "invalid file format. only zip format is supported"
    )
    big = {"file": ("a.zip", b"\0" * (25 * 1024 * 1024 + 1))}
    r = await sim.client.post("/crm/v8/upload", files=big, headers=headers)
    error(r, "FILE_TOO_LARGE", 413)
    error(
        await sim.upload(",".join(f"c{i}" for i in range(201)) + "\n"), "HEADER_LIMIT_EXCEEDED", 400
    )
    error(await sim.upload("Last_Name\n" + "x\n" * 25_001), "LIMIT_EXCEEDED", 400)
    error(await sim.client.post("/crm/v8/upload", headers=headers), "MANDATORY_NOT_FOUND", 400)
    assert (await sim.upload("Last_Name\n" + "x\n" * 25_000)).status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"operation": None}, "MANDATORY_NOT_FOUND"),
        ({"operation": "merge"}, "INVALID_DATA"),
        ({"resource": []}, "MANDATORY_NOT_FOUND"),
        ({"operation": "update"}, "MANDATORY_NOT_FOUND"),
        ({"file_id": "554023000000999999"}, "INVALID_FILE_ID"),
        ({"module": {"api_name": "Nope"}}, "MODULE_NOT_AVAILABLE"),
        ({"field_mappings": [{"api_name": "Nope", "index": 0}]}, "INVALID_FIELD"),
        ({"field_mappings": [{"api_name": "Created_Time", "index": 0}]}, "INVALID_FIELD"),
        ({"field_mappings": [{"api_name": "Last_Name", "index": 9}]}, "COLUMN_INDEX_NOT_FOUND"),
        ({"field_mappings": [{"api_name": "Last_Name"}]}, "MANDATORY_NOT_FOUND"),
        ({"field_mappings": [{"api_name": "Company", "index": 1}]}, "MANDATORY_FIELDS_NOT_MAPPED"),
        (
            {"field_mappings": [{"api_name": "Last_Name", "index": 0}] * 201},
            "HEADER_LIMIT_EXCEEDED",
        ),
        ({"callback": {"url": "http://x.test/cb", "method": "get"}}, "INVALID_CALLBACK_METHOD"),
    ],
)
async def test_create_errors(sim: Sim, change: dict[str, Any], code: str) -> None:
    """Each create refusal of API_NOTES §4.3 for its cause."""
    file_id = await upload(sim)
    res = resource(file_id)
    body: dict[str, Any] = {"operation": "insert", "resource": [res]}
    for key, value in change.items():
        if key in ("operation", "resource", "callback"):
            body[key] = value
        else:
            res[key] = value
    body = {k: v for k, v in body.items() if v is not None}
    error(await sim.post_json(WRITE, body), code, 400)


async def test_create_needs_json_and_scope(sim: Sim) -> None:
    """415 without JSON content type; OAUTH_SCOPE_MISMATCH without bulk.CREATE."""
    file_id = await upload(sim)
    body = {"operation": "insert", "resource": [resource(file_id)]}
    error(await sim.post(WRITE, body), "MEDIA_TYPE_NOT_SUPPORTED", 415)
    h = await sim.token_for(sim.org.admin.id, ["ZohoCRM.bulk.read"])
    error(
        await sim.post(WRITE, body, {**h, "Content-Type": "application/json"}),
        "OAUTH_SCOPE_MISMATCH",
        401,
    )


async def test_unknown_job_and_wrong_org(sim: Sim) -> None:
    """Unknown job: RESOURCE_NOT_FOUND; a download URL for another org: INVALID_URL_PATTERN."""
    error(await sim.get(f"{WRITE}/554023000000999999"), "RESOURCE_NOT_FOUND", 404)
    r = await sim.get("/v2/crm/1/bulk-write/554023000000999999/554023000000999999.zip")
    error(r, "INVALID_URL_PATTERN", 404)


async def test_forced_failure(sim: Sim) -> None:
    """A forced failure ends the job FAILED, with no result URL."""
    await sim.client.post("/__sim__/fail", json={"job_kind": "bulk_write"})
    job = await create(sim, {"operation": "insert", "resource": [resource(await upload(sim))]})
    await sim.advance(60)
    details = (await sim.get(f"{WRITE}/{job}")).json()
    assert details["status"] == "FAILED"
    assert "result" not in details
