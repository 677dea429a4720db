"""Bulk read and bulk write: requests equal the wire vectors; statuses, downloads, zips."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from runner.zoho import bulk_read, bulk_write
from runner.zoho.client import ZohoClient
from tests.unit import zoho_fixtures as zf
from tests.unit.zoho_fixtures import Handler, Recorder, reply, vector


def client(handler: Handler) -> ZohoClient:
    """A client whose upload host is https://up.test."""
    return zf.client(handler, upload="https://up.test")


def a_zip(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buf.getvalue()


@pytest.mark.anyio
async def test_create_bulk_read_is_wire_06() -> None:
    """Manifest criteria become the wire form; the whole body equals wire 06; 201 parses."""
    vec = vector("06_bulk_read_create.json")
    rec = Recorder(reply(vec))
    criteria = {
        "group_operator": "and",
        "group": [
            {"field": "Lead_Source", "comparator": "equal", "value": "Advertisement"},
            {"field": "Last_Name", "comparator": "starts_with", "value": "S"},
        ],
    }
    async with client(rec) as zc:
        job = await bulk_read.create_bulk_read(
            zc,
            "Contacts",
            fields=["Last_Name", "First_Name", "Email", "Lead_Source", "Created_Time"],
            criteria=criteria,
            page=1,
            callback_url="http://127.0.0.1:33489/callback",
        )
    assert job == "554023000000506054"
    (req,) = rec.requests
    assert (req.method, req.url.path) == ("POST", "/crm/bulk/v8/read")
    assert req.headers["Content-Type"] == "application/json"  # API_NOTES §3.1: 415 otherwise
    assert json.loads(req.content) == vec["body"]["json"]


@pytest.mark.anyio
async def test_next_page_sends_only_the_token() -> None:
    """A continuation is `{"query": {"page_token": …}}` alone (API_NOTES §3.1)."""
    rec = Recorder(reply(vector("06_bulk_read_create.json")))
    async with client(rec) as zc:
        await bulk_read.create_bulk_read(zc, "Leads", page_token="a4d1")
    assert json.loads(rec.requests[0].content) == {"query": {"page_token": "a4d1"}}


def test_nested_criteria_and_cvid_convert() -> None:
    """Groups nest; a field already in wire form is kept as is."""
    manifest = {
        "group_operator": "or",
        "group": [
            {"field": "A", "comparator": "in", "value": ["1", "2"]},
            {
                "group_operator": "and",
                "group": [{"field": {"api_name": "B"}, "comparator": "equal", "value": True}],
            },
        ],
    }
    assert bulk_read.criteria_to_wire(manifest) == {
        "group_operator": "or",
        "group": [
            {"field": {"api_name": "A"}, "comparator": "in", "value": ["1", "2"]},
            {
                "group_operator": "and",
                "group": [{"field": {"api_name": "B"}, "comparator": "equal", "value": True}],
            },
        ],
    }


@pytest.mark.anyio
async def test_bulk_read_status_completed_is_wire_07() -> None:
    """A COMPLETED job gives page, count, more_records and the download path."""
    vec = vector("07_bulk_read_status.json")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        status = await bulk_read.bulk_read_status(zc, "554023000000506054")
    assert rec.requests[0].url.path == vec["path"]
    assert status == bulk_read.BulkReadStatus(
        id="554023000000506054",
        state="COMPLETED",
        page=1,
        count=2,
        more_records=False,
        download_url="/crm/bulk/v8/read/554023000000506054/result",
    )
    assert status.completed
    assert status.finished


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("IN PROGRESS", "IN PROGRESS"),
        ("INPROGRESS", "IN PROGRESS"),
        ("QUEUED", "QUEUED"),
        ("added", "ADDED"),
    ],
)
@pytest.mark.anyio
async def test_bulk_read_states_accept_both_spellings(raw: str, state: str) -> None:
    """Seed 004 spells IN PROGRESS with a space, bulk write without: both read the same."""
    body = {"data": [{"id": "4150868000004717004", "operation": "read", "state": raw}]}
    async with client(Recorder(httpx.Response(200, json=body))) as zc:
        status = await bulk_read.bulk_read_status(zc, "4150868000004717004")
    assert status.state == state
    assert not status.finished


@pytest.mark.anyio
async def test_failed_bulk_read_carries_its_error() -> None:
    """FAILURE with result.error_message (API_NOTES §3.2) is finished, failed, explained."""
    body = {
        "data": [
            {
                "id": "1",
                "state": "FAILURE",
                "result": {
                    "error_message": {
                        "status": "error",
                        "code": "INTERNAL_SERVER_ERROR",
                        "message": "Internal server error occurred.",
                        "details": {},
                    }
                },
            }
        ]
    }
    async with client(Recorder(httpx.Response(200, json=body))) as zc:
        status = await bulk_read.bulk_read_status(zc, "1")
    assert status.failed
    assert status.finished
    assert status.error == bulk_read.BulkReadFailure(
        "INTERNAL_SERVER_ERROR", "Internal server error occurred."
    )


@pytest.mark.anyio
async def test_more_records_gives_next_page_token() -> None:
    """A page with more_records carries the token for the next job."""
    body = {
        "data": [
            {
                "id": "1",
                "state": "COMPLETED",
                "result": {
                    "page": 1,
                    "count": 200000,
                    "more_records": True,
                    "next_page_token": "tok2",
                },
            }
        ]
    }
    async with client(Recorder(httpx.Response(200, json=body))) as zc:
        status = await bulk_read.bulk_read_status(zc, "1")
    assert (status.count, status.more_records, status.next_page_token) == (200000, True, "tok2")


@pytest.mark.anyio
async def test_download_bulk_read_is_wire_08_and_csv_streams(tmp_path: Path) -> None:
    """The result path is built as the SDK does; the zip lands on disk; rows read back."""
    vec = vector("08_bulk_read_download.json")
    payload = a_zip("554023000000506054.csv", "Id,Last_Name\n554023000000101001,Smith\n")
    rec = Recorder(
        httpx.Response(200, content=payload, headers={"Content-Type": "application/zip"})
    )
    async with client(rec) as zc:
        out = await bulk_read.download_bulk_read(zc, "554023000000506054", tmp_path / "p1.zip")
    assert (rec.requests[0].method, rec.requests[0].url.path) == ("GET", vec["path"])
    assert out.read_bytes() == payload
    assert list(bulk_read.iter_csv_rows(out)) == [
        ["Id", "Last_Name"],
        ["554023000000101001", "Smith"],
    ]
    csv_path = bulk_read.extract_member(out, tmp_path / "x" / "p1.csv")
    assert csv_path.read_text() == "Id,Last_Name\n554023000000101001,Smith\n"


@pytest.mark.anyio
async def test_upload_is_wire_09(tmp_path: Path) -> None:
    """Upload host, path, feature and X-CRM-ORG headers, one multipart part named `file`."""
    vec = vector("09_bulk_write_upload.json")
    payload = a_zip("Leads.csv", "Last_Name,Company,Email\nPeer,Acme,peer1@example.com\n")
    zip_path = tmp_path / "Leads.zip"
    zip_path.write_bytes(payload)
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        file_id = await bulk_write.upload_file(zc, zip_path, "673573045")
    assert file_id == "554023000000506055"
    (req,) = rec.requests
    assert (req.method, req.url.host, req.url.path) == ("POST", "up.test", vec["path"])
    assert req.headers["feature"] == "bulk-write"
    assert req.headers["X-CRM-ORG"] == "673573045"
    assert req.headers["Authorization"] == "Zoho-oauthtoken tok"
    assert req.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'Content-Disposition: form-data; name="file"; filename="Leads.zip"' in req.content
    assert payload in req.content
    assert req.content.count(b"Content-Disposition") == 1


@pytest.mark.anyio
async def test_create_bulk_write_is_wire_10() -> None:
    """Indexes and default values map as in wire 10; the top-level 201 answer parses."""
    vec = vector("10_bulk_write_create.json")
    rec = Recorder(reply(vec))
    mappings = [
        bulk_write.ColumnMapping("Last_Name", index=0),
        bulk_write.ColumnMapping("Company", index=1),
        bulk_write.ColumnMapping("Email", index=2),
        bulk_write.ColumnMapping("Lead_Source", default_value="Advertisement"),
    ]
    async with client(rec) as zc:
        job = await bulk_write.create_bulk_write(
            zc,
            "insert",
            "Leads",
            "554023000000506055",
            field_mappings=mappings,
            ignore_empty=True,
            character_encoding="UTF-8",
            callback_url="http://127.0.0.1:33489/callback",
        )
    assert job == "554023000000506056"
    (req,) = rec.requests
    assert (req.method, req.url.path) == ("POST", vec["path"])
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.content) == vec["body"]["json"]


@pytest.mark.anyio
async def test_upsert_carries_find_by() -> None:
    """update/upsert put find_by on the resource (API_NOTES §4.3)."""
    rec = Recorder(reply(vector("10_bulk_write_create.json")))
    async with client(rec) as zc:
        await bulk_write.create_bulk_write(zc, "upsert", "Leads", "9", find_by="Email")
    body = json.loads(rec.requests[0].content)
    assert body["operation"] == "upsert"
    assert body["resource"][0]["find_by"] == "Email"
    assert "field_mappings" not in body["resource"][0]


@pytest.mark.anyio
async def test_bulk_write_status_is_wire_11() -> None:
    """The top-level job object gives status, per-file counts and the result URL."""
    vec = vector("11_bulk_write_status.json")
    rec = Recorder(reply(vec))
    async with client(rec) as zc:
        status = await bulk_write.bulk_write_status(zc, "554023000000506056")
    assert rec.requests[0].url.path == vec["path"]
    assert status.completed
    assert status.resources == (
        bulk_write.WriteResource("Leads", "COMPLETED", "Leads.csv", added=2, total=2),
    )
    assert status.download_url == vec["response"]["body"]["result"]["download_url"]


@pytest.mark.anyio
async def test_bulk_write_inprogress_spelling_from_seed_003() -> None:
    """Seed 003's INPROGRESS reads as IN PROGRESS, with its counts so far."""
    body = {
        "status": "INPROGRESS",
        "resource": [
            {
                "status": "INPROGRESS",
                "module": {"api_name": "Deals"},
                "file": {
                    "status": "INPROGRESS",
                    "name": "Deals.csv",
                    "added_count": 0,
                    "skipped_count": 100,
                    "updated_count": 0,
                    "total_count": 100,
                },
            }
        ],
        "id": "111111000000541958",
        "operation": "insert",
    }
    async with client(Recorder(httpx.Response(200, json=body))) as zc:
        status = await bulk_write.bulk_write_status(zc, "111111000000541958")
    assert status.status == "IN PROGRESS"
    assert not status.finished
    assert status.resources[0].skipped == 100


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (  # API_NOTES §4.5: SDK8's sample host (wire 12 has the simulator's loopback one)
            "https://download-accl.zoho.com/v2/crm/673573045/bulk-write/554023000000506056/554023000000506056.zip",
            "https://download-accl.zoho.com/v2/crm/673573045/bulk-write/554023000000506056/554023000000506056.zip",
        ),
        (
            "/v3/crm/org6196138/bulk-write/111111000000541958/111111000000541958.zip",
            "https://api.test/v3/crm/org6196138/bulk-write/111111000000541958/111111000000541958.zip",
        ),
    ],
    ids=["absolute-sdk8-sample", "relative-seed-003"],
)
@pytest.mark.anyio
async def test_bulk_write_result_download(tmp_path: Path, url: str, expected: str) -> None:
    """An absolute URL is used as given, a relative one joins the api domain; token attached."""
    payload = a_zip("Leads-bulkwrite.csv", "Last_Name,STATUS,RECORD_ID,ERRORS\n")
    rec = Recorder(httpx.Response(200, content=payload))
    async with client(rec) as zc:
        out = await bulk_write.download_bulk_write_result(zc, url, tmp_path / "result.zip")
    assert str(rec.requests[0].url) == expected
    assert rec.requests[0].headers["Authorization"] == "Zoho-oauthtoken tok"
    assert out.read_bytes() == payload
