"""Bulk read: create checks, ADDED → QUEUED → IN PROGRESS → COMPLETED, paging, streamed zip."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from runner.simulator.seed import build_demo_org
from tests.unit.sim_fixtures import Sim, error, open_sim, unzip

pytestmark = pytest.mark.anyio
READ = "/crm/bulk/v8/read"
JUNK = {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "Junk Lead"}


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


def leaf(field: str, comparator: str, value: Any) -> dict[str, Any]:
    return {"field": {"api_name": field}, "comparator": comparator, "value": value}


async def create(sim: Sim, query: dict[str, Any], **extra: Any) -> str:
    r = await sim.post_json(READ, {"query": query, **extra})
    assert r.status_code == 201, r.text
    job_id: str = r.json()["data"][0]["details"]["id"]
    return job_id


async def test_states_move_with_the_clock(sim: Sim) -> None:
    """ADDED, QUEUED, IN PROGRESS, COMPLETED (seed 004), then the result block."""
    job = await create(sim, {"module": {"api_name": "Leads"}})
    states = []
    for step in (0, 1, 1, 0.001, 1):
        await sim.advance(step)
        states.append((await sim.get(f"{READ}/{job}")).json()["data"][0]["state"])
    assert states == ["ADDED", "QUEUED", "IN PROGRESS", "IN PROGRESS", "COMPLETED"]
    result = (await sim.get(f"{READ}/{job}")).json()["data"][0]["result"]
    assert result == {
        "page": 1,
        "per_page": 200000,
        "count": 300,
        "download_url": f"/crm/bulk/v8/read/{job}/result",
        "more_records": False,
    }


async def test_download_csv_rows_match_the_criteria(sim: Sim) -> None:
    """The zip holds {job}.csv: Id first, then the fields in order, one row per match."""
    job = await create(
        sim,
        {
            "module": {"api_name": "Leads"},
            "criteria": JUNK,
            "fields": ["Last_Name", "Lead_Status", "Owner", "Owner.last_name"],
        },
    )
    error(await sim.get(f"{READ}/{job}/result"), "RESOURCE_NOT_FOUND", 404)
    await sim.advance(10)
    r = await sim.get(f"{READ}/{job}/result")
    assert r.headers["content-type"] == "application/zip"
    files = unzip(r.content)
    rows = list(csv.reader(io.StringIO(files[f"{job}.csv"])))
    assert rows[0] == ["Id", "Last_Name", "Lead_Status", "Owner", "Owner.last_name"]
    assert [row[0] for row in rows[1:]] == [f"554023001{n:09d}" for n in range(10, 301, 10)]
    assert {row[2] for row in rows[1:]} == {"Junk Lead"}
    assert rows[1][3:] == ["554023000000235011", "Boyle"]


async def test_cvid_export_and_groups(sim: Sim) -> None:
    """A cvid export ANDs criteria onto the view; `or` groups and text comparators work."""
    crit = {
        "group_operator": "or",
        "group": [leaf("Industry", "equal", "Retail"), leaf("Industry", "in", ["Government"])],
    }
    job = await create(
        sim,
        {
            "module": {"api_name": "Accounts"},
            "cvid": 554023000000091515,
            "criteria": crit,
            "fields": ["Industry"],
        },
    )
    await sim.advance(10)
    status = (await sim.get(f"{READ}/{job}")).json()["data"][0]
    assert status["query"]["cvid"] == "554023000000091515"
    rows = list(
        csv.reader(
            io.StringIO(unzip((await sim.get(f"{READ}/{job}/result")).content)[f"{job}.csv"])
        )
    )
    assert {r[1] for r in rows[1:]} == {"Retail", "Government"}
    assert status["result"]["count"] == len(rows) - 1


async def test_streamed_in_chunks() -> None:
    """A big export leaves the app in several chunks: rows are zipped while streaming."""
    async with open_sim(build_demo_org(records=20_000)) as sim:
        job = await create(sim, {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]})
        await sim.advance(10)
        scope = {
            "type": "http",
            "method": "GET",
            "path": f"{READ}/{job}/result",
            "root_path": "",
            "raw_path": f"{READ}/{job}/result".encode(),
            "query_string": b"",
            "headers": [(b"authorization", sim.auth["Authorization"].encode())],
            "scheme": "http",
            "server": ("sim.test", 80),
            "client": ("127.0.0.1", 1),
            "http_version": "1.1",
        }
        sent: list[dict[str, Any]] = []

        requests = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if requests:
                return requests.pop()
            await anyio.Event().wait()  # the client never disconnects
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await sim.app(scope, receive, send)
        chunks = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
        assert len(chunks) > 2
        assert max(map(len, chunks)) < sum(map(len, chunks)) / 2
        text = unzip(b"".join(chunks))[f"{job}.csv"]
        assert text.count("\n") == 20_001


async def test_pages_and_page_token() -> None:
    """More than 200,000 rows: more_records, next_page_token, then page 2 by token or page."""
    async with open_sim(build_demo_org(records=200_001)) as sim:
        job = await create(sim, {"module": {"api_name": "Deals"}, "fields": ["Deal_Name"]})
        await sim.advance(60)
        result = (await sim.get(f"{READ}/{job}")).json()["data"][0]["result"]
        assert (result["count"], result["more_records"]) == (200_000, True)
        second = await create(sim, {"page_token": result["next_page_token"]})
        by_page = await create(sim, {"module": {"api_name": "Deals"}, "page": 2})
        await sim.advance(60)
        for job_id in (second, by_page):
            res = (await sim.get(f"{READ}/{job_id}")).json()["data"][0]["result"]
            assert (res["page"], res["count"], res["more_records"]) == (2, 1, False)
            assert "next_page_token" not in res


async def test_download_rate_limit_on_the_clock(sim: Sim) -> None:
    """The 11th download in a minute is TOO_MANY_REQUESTS 429; a minute later it works."""
    job = await create(sim, {"module": {"api_name": "Vendors"}})
    await sim.advance(10)
    for _ in range(10):
        assert (await sim.get(f"{READ}/{job}/result")).status_code == 200
    error(await sim.get(f"{READ}/{job}/result"), "TOO_MANY_REQUESTS", 429)
    await sim.advance(60)
    assert (await sim.get(f"{READ}/{job}/result")).status_code == 200


async def test_media_type_required(sim: Sim) -> None:
    """Without Content-Type: application/json the create is 415 MEDIA_TYPE_NOT_SUPPORTED."""
    r = await sim.post(READ, {"query": {"module": {"api_name": "Leads"}}})
    error(r, "MEDIA_TYPE_NOT_SUPPORTED", 415)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"criteria": leaf("Nope", "equal", "x")}, "FIELD_IN_CRITERIA_NOT_AVAILABLE"),
        ({"criteria": leaf("Last_Name", "like", "x")}, "INVALID_CRITERIA"),
        (
            {"criteria": leaf("Last_Name", "greater_than", "x")},
            "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED",
        ),
        (
            {"criteria": leaf("Last_Name", "in", "x")},
            "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
        ),
        (
            {"criteria": leaf("Created_Time", "between", ["2025-01-01T00:00:00+00:00"])},
            "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE",
        ),
        ({"criteria": {"group_operator": "xor", "group": [JUNK]}}, "GROUP_OPERATOR_NOT_SUPPORTED"),
        ({"criteria": {"group_operator": "and", "group": [JUNK] * 26}}, "CRITERIA_LIMIT_EXCEEDED"),
        (
            {"criteria": leaf("Last_Name", "in", [str(i) for i in range(201)])},
            "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
        ),
        ({"criteria": {**JUNK, "group": [JUNK], "group_operator": "and"}}, "AMBIGUOUS_CRITERIA"),
        ({"fields": ["Nope"]}, "FIELD_NOT_AVAILABLE"),
        ({"cvid": "554023000000091515"}, "INVALID_DATA"),
        ({"page": 501}, "PAGE_RANGE_EXCEEDED"),
    ],
)
async def test_create_errors(sim: Sim, query: dict[str, Any], code: str) -> None:
    """Each documented create error (API_NOTES §3.1) for its cause, HTTP 400."""
    r = await sim.post_json(READ, {"query": {"module": {"api_name": "Leads"}, **query}})
    error(r, code, 400)


async def test_limits_at_the_edge_are_fine(sim: Sim) -> None:
    """25 conditions and 200 values are allowed."""
    group = [leaf("Last_Name", "in", [str(i) for i in range(200)])] * 25
    await create(
        sim,
        {"module": {"api_name": "Leads"}, "criteria": {"group_operator": "and", "group": group}},
    )


async def test_module_query_and_callback_errors(sim: Sim) -> None:
    """No query, unknown module, bad callback method: their documented codes."""
    error(await sim.post_json(READ, {}), "MANDATORY_NOT_FOUND", 400)
    error(
        await sim.post_json(READ, {"query": {"module": {"api_name": "Nope"}}}),
        "INVALID_MODULE",
        400,
    )
    body = {
        "query": {"module": {"api_name": "Leads"}},
        "callback": {"url": "http://x.test/cb", "method": "get"},
    }
    error(await sim.post_json(READ, body), "INVALID_CALLBACK_METHOD", 400)
    error(await sim.post_json(READ, {"query": {"page_token": "nope"}}), "INVALID_DATA", 400)


async def test_unknown_job_is_resource_not_found(sim: Sim) -> None:
    """Status and download of an unknown job: RESOURCE_NOT_FOUND 404 (seed 004)."""
    error(await sim.get(f"{READ}/554023000000999999"), "RESOURCE_NOT_FOUND", 404)
    error(await sim.get(f"{READ}/554023000000999999/result"), "RESOURCE_NOT_FOUND", 404)


async def test_scopes_for_bulk_read(sim: Sim) -> None:
    """bulk.read alone is not enough: the module READ scope is needed too (§3.1)."""
    h = await sim.token_for(sim.org.admin.id, ["ZohoCRM.bulk.read"])
    r = await sim.post(
        READ,
        {"query": {"module": {"api_name": "Leads"}}},
        {**h, "Content-Type": "application/json"},
    )
    error(r, "OAUTH_SCOPE_MISMATCH", 401)
    h = await sim.token_for(sim.org.admin.id, ["ZohoCRM.bulk.read", "ZohoCRM.modules.leads.READ"])
    r = await sim.post(
        READ,
        {"query": {"module": {"api_name": "Leads"}}},
        {**h, "Content-Type": "application/json"},
    )
    assert r.status_code == 201


async def test_failure_state(sim: Sim) -> None:
    """A forced failure ends in FAILURE with result.error_message (API_NOTES §3.2)."""
    await sim.client.post("/__sim__/fail", json={"job_kind": "bulk_read"})
    job = await create(sim, {"module": {"api_name": "Leads"}})
    await sim.advance(10)
    data = (await sim.get(f"{READ}/{job}")).json()["data"][0]
    assert data["state"] == "FAILURE"
    assert data["result"]["error_message"]["status"] == "error"
    error(await sim.get(f"{READ}/{job}/result"), "RESOURCE_NOT_FOUND", 404)


async def test_ics_for_meetings_only(sim: Sim) -> None:
    """file_type ics exports Meetings as a calendar; other modules are refused."""
    job = await create(sim, {"module": {"api_name": "Meetings"}}, file_type="ics")
    await sim.advance(10)
    files = unzip((await sim.get(f"{READ}/{job}/result")).content)
    assert files[f"{job}.ics"].count("BEGIN:VEVENT") == 300
    r = await sim.post_json(READ, {"query": {"module": {"api_name": "Leads"}}, "file_type": "ics"})
    error(r, "MODULE_NOT_SUPPORTED", 400)
