"""Bulk write driver against the in-process simulator: operations, per-row join, parts, resume."""

from __future__ import annotations

import csv
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.execute.drivers import bulk_parts
from runner.execute.drivers.bulk_parts import build_parts
from runner.execute.drivers.bulk_write import BulkWriteDriver
from runner.execute.journal import RequestSummary
from runner.manifest.model import BulkWriteJob, FieldMapping
from runner.plan import csvparts
from runner.zoho import endpoints
from runner.zoho.bulk_write import ResultRow, outcome
from tests.unit.exec_fixtures import RUN_ID, Harness, harness

pytestmark = pytest.mark.anyio

MAPPINGS = (
    FieldMapping("Last_Name", column="last_name"),
    FieldMapping("Email", column="email"),
    FieldMapping("City", column="city"),
)


def lead(n: int) -> str:
    return f"554023001{n:09d}"


def write_csv(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "manifest" / "data" / "leads.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["last_name", "email", "city"], *rows])
    return path


def write_job(path: Path, operation: str = "insert", **changes: Any) -> BulkWriteJob:
    fields: dict[str, Any] = {
        "name": "import-leads",
        "module": "Leads",
        "operation": operation,
        "file": path,
        "field_mappings": MAPPINGS,
        "find_by": None if operation == "insert" else "Email",
    }
    fields.update(changes)
    return BulkWriteJob(**fields)


def new_rows(count: int, start: int = 1) -> list[list[str]]:
    return [[f"New{i}", f"new{i}@example.org", "Pune"] for i in range(start, start + count)]


def read_csv(path: str) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


async def sim_get(h: Harness, path: str) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app), base_url="http://sim.local"
    ) as raw:
        return (await raw.get(path)).json()


async def emails(h: Harness, *numbers: int) -> list[str]:
    truth = await h.ground_truth("Leads", [lead(n) for n in numbers])
    return [str(t["record"]["Email"]) for t in truth]


async def test_insert_joins_outcomes_to_rows_in_order(tmp_path: Path) -> None:
    """Two new Leads added, a row without Last_Name and a duplicate Email skipped, in order."""
    async with harness(tmp_path, records=50) as h:
        (taken,) = await emails(h, 3)
        rows = [*new_rows(1), ["", "nameless@example.org", "Pune"], ["Dup", taken, "Pune"],
                *new_rows(1, start=2)]  # fmt: skip
        job = write_job(write_csv(tmp_path, rows))
        result = await BulkWriteDriver().run(h.context(job))
        added = [o.record_id for o in result.outcomes if o.status == "success"]
        truth = await h.ground_truth("Leads", added)
    assert result.status == "PARTIAL", result.errors
    assert [(o.status, o.code) for o in result.outcomes] == [
        ("success", "ADDED"), ("error", "MANDATORY_NOT_FOUND"),
        ("error", "DUPLICATE_DATA"), ("success", "ADDED"),
    ]  # fmt: skip
    assert [o.details["row"] for o in result.outcomes] == [1, 2, 3, 4]
    assert result.outcomes[1].message == "MANDATORY_NOT_FOUND-last_name"
    assert result.counts == {"total": 4, "succeeded": 2, "failed": 2, "added": 2,
                             "updated": 0, "not_processed": 0}  # fmt: skip
    assert [(t["record"]["Last_Name"], t["record"]["Email"]) for t in truth] == [
        ("New1", "new1@example.org"), ("New2", "new2@example.org")
    ]  # fmt: skip
    (ref,) = result.files
    assert ref.kind == "bulk_write_result"
    assert ref.rows == 4
    out = read_csv(ref.path)
    assert out[0] == ["last_name", "email", "city", "STATUS", "RECORD_ID", "ERRORS"]
    assert [r[:3] for r in out[1:]] == rows
    assert [r[3:5] for r in out[1:]] == [["ADDED", added[0]], ["SKIPPED", ""],
                                         ["SKIPPED", ""], ["ADDED", added[1]]]  # fmt: skip
    assert len(result.zoho_job_ids) == 1


async def test_update_by_email_changes_the_records_and_skips_unknown_ones(tmp_path: Path) -> None:
    """Update found by Email: two Leads get a new City; an unknown Email is RESOURCE_NOT_FOUND."""
    async with harness(tmp_path, records=50) as h:
        one, two = await emails(h, 1, 2)
        rows = [["A", one, "Kochi"], ["B", "nobody@example.org", "Kochi"], ["C", two, "Kochi"]]
        job = write_job(write_csv(tmp_path, rows), "update")
        result = await BulkWriteDriver().run(h.context(job))
        truth = await h.ground_truth("Leads", [lead(1), lead(2)])
    assert result.status == "PARTIAL"
    assert [(o.record_id, o.code) for o in result.outcomes] == [
        (lead(1), "UPDATED"), ("", "RESOURCE_NOT_FOUND"), (lead(2), "UPDATED")
    ]  # fmt: skip
    assert [t["record"]["City"] for t in truth] == ["Kochi", "Kochi"]
    assert [t["record"]["Last_Name"] for t in truth] == ["A", "C"]
    assert result.counts["updated"] == 2
    assert result.counts["failed"] == 1


async def test_upsert_adds_and_updates_and_completes(tmp_path: Path) -> None:
    """Upsert: an existing Email is updated, a new one added; no row failed, so COMPLETED."""
    async with harness(tmp_path, records=50) as h:
        (one,) = await emails(h, 4)
        job = write_job(write_csv(tmp_path, [["Old", one, "Goa"], *new_rows(1)]), "upsert")
        result = await BulkWriteDriver().run(h.context(job))
        new_id = result.outcomes[1].record_id
        truth = await h.ground_truth("Leads", [lead(4), new_id])
    assert result.status == "COMPLETED", result.errors
    assert [o.code for o in result.outcomes] == ["UPDATED", "ADDED"]
    assert result.counts["added"] == 1
    assert result.counts["updated"] == 1
    assert [t["record"]["City"] for t in truth] == ["Goa", "Pune"]


async def test_every_row_failing_fails_the_job(tmp_path: Path) -> None:
    """An update where no Email matches: every row skipped, so the job is FAILED (records)."""
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, [["X", "none@example.org", "Goa"]]), "update")
        result = await BulkWriteDriver().run(h.context(job))
    assert result.status == "FAILED"
    assert result.errors == ()
    assert result.counts["failed"] == 1


async def test_more_rows_than_a_part_holds_make_two_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 3 rows a part, 5 rows go out as two uploads and two jobs; outcomes stay in order."""
    monkeypatch.setattr(bulk_parts, "PART_ROWS", 3)
    rows = new_rows(5)
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, rows))
        result = await BulkWriteDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
        truth = await h.ground_truth("Leads", [o.record_id for o in result.outcomes])
    assert result.status == "COMPLETED", result.errors
    assert len(result.zoho_job_ids) == 2 == len(jobs)
    assert [o.details["row"] for o in result.outcomes] == [1, 2, 3, 4, 5]
    assert [t["record"]["Last_Name"] for t in truth] == [r[0] for r in rows]
    assert [r[0] for r in read_csv(result.files[0].path)[1:]] == [r[0] for r in rows]


async def test_resume_replays_acked_parts_and_creates_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deadline mid-poll, then resume, then a third run: two uploads and two jobs in total."""
    monkeypatch.setattr(bulk_parts, "PART_ROWS", 3)
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(5)))
        first = await BulkWriteDriver().run(h.context(job, deadline=0.5))
        second = await BulkWriteDriver().run(h.context(job))
        calls = await sim_get(h, "/__sim__/calls")
        third = await BulkWriteDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
        calls_after = await sim_get(h, "/__sim__/calls")
    assert first.status == "RUNNING"
    assert first.counts["not_processed"] == 5
    assert second.status == third.status == "COMPLETED"
    assert len(jobs) == 2
    uploads = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/upload")]
    assert len(uploads) == 2
    assert len(calls_after) == len(calls)  # the third run came entirely from the journal
    assert third.outcomes == second.outcomes
    assert third.zoho_job_ids == second.zoho_job_ids


async def test_a_lost_create_is_reported_and_other_parts_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Part 1's create sent before a crash is not resent; part 2 still runs; the job FAILS."""
    monkeypatch.setattr(bulk_parts, "PART_ROWS", 3)
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(5)))
        ctx = h.context(job)
        summary = RequestSummary.of("POST", endpoints.bulk_write())
        h.journal.record_intent(RUN_ID, job.name, "create:1", summary)
        result = await BulkWriteDriver().run(ctx)
        jobs = await sim_get(h, "/__sim__/jobs")
    assert result.status == "FAILED"
    assert [e.code for e in result.errors] == ["OUTCOME_UNKNOWN"]
    assert result.errors[0].message.startswith("part 1: ")
    assert len(jobs) == 1
    assert result.zoho_job_ids == (jobs[0]["id"],)
    assert [o.details["row"] for o in result.outcomes] == [4, 5]
    assert result.counts["not_processed"] == 3


async def test_a_lost_upsert_create_is_asked_again(tmp_path: Path) -> None:
    """An upsert sets the same values however often it runs: a lost create is sent again."""
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(2)), operation="upsert")
        ctx = h.context(job)
        summary = RequestSummary.of("POST", endpoints.bulk_write())
        h.journal.record_intent(RUN_ID, job.name, "create:1", summary)
        result = await BulkWriteDriver().run(ctx)
        jobs = await sim_get(h, "/__sim__/jobs")
        states = [(i.step_key, i.state) for i in h.journal.intents(RUN_ID, job.name)]
    assert result.status == "COMPLETED"
    assert len(jobs) == 1
    assert ("create:1", "UNKNOWN") in states
    assert ("create:1.1", "ACKED") in states


async def test_a_refused_create_stops_the_job(tmp_path: Path) -> None:
    """Insert without the mandatory Last_Name mapped: Zoho refuses the job, nothing imported."""
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(2)), field_mappings=MAPPINGS[1:])
        result = await BulkWriteDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
    assert result.status == "FAILED"
    assert [e.code for e in result.errors] == ["MANDATORY_FIELDS_NOT_MAPPED"]
    assert jobs == []


async def test_a_missing_column_fails_before_any_call(tmp_path: Path) -> None:
    """A mapping naming a column the header lacks fails cleanly, naming it; nothing is sent."""
    mappings = (*MAPPINGS, FieldMapping("Phone", column="phone"))
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(1)), field_mappings=mappings)
        result = await BulkWriteDriver().run(h.context(job))
        calls = await sim_get(h, "/__sim__/calls")
    assert result.status == "FAILED"
    assert [e.code for e in result.errors] == ["COLUMN_NOT_FOUND"]
    assert "'phone'" in result.errors[0].message
    assert calls == []


def test_parts_are_deterministic_zips(tmp_path: Path) -> None:
    """Building the parts twice gives byte-identical zips holding header + rows."""
    job = write_job(write_csv(tmp_path, new_rows(3)))
    _, total, (part,) = build_parts(job, tmp_path / "a")
    _, _, (again,) = build_parts(job, tmp_path / "b")
    assert total == 3
    assert part.zip_path.read_bytes() == again.zip_path.read_bytes()
    with zipfile.ZipFile(part.zip_path) as archive:
        (info,) = archive.infolist()
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        text = archive.read(info).decode()
    assert text.splitlines()[0] == "last_name,email,city"
    assert len(text.splitlines()) == 4


def test_outcome_reads_status_case_insensitively_and_the_first_error_code() -> None:
    """ "added" is a success; several codes give the first as the code, all as the message."""
    ok = outcome(ResultRow("added", "1", ""), 1)
    errors = "MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email"
    bad = outcome(ResultRow("Skipped", "", errors), 2)
    assert (ok.status, ok.code, ok.record_id) == ("success", "ADDED", "1")
    assert (bad.status, bad.code, bad.message) == ("error", "MANDATORY_NOT_FOUND", errors)
    assert outcome(None, 3).code == "UNPROCESSED"


def test_a_zip_over_the_size_limit_is_split_until_every_part_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real zip over the limit is halved until each fits, even when the plan's estimate
    (switched off here) thought one part was enough; rows stay in order."""
    monkeypatch.setattr(bulk_parts, "MAX_ZIP_BYTES", 400)
    monkeypatch.setattr(csvparts, "_zip_size", lambda *args: 0)
    noise = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(12)]
    rows = [[f"Name{i}", f"x{i}@example.org", noise[i]] for i in range(12)]
    job = write_job(write_csv(tmp_path, rows))
    _, total, parts = build_parts(job, tmp_path / "w")
    assert total == 12
    assert len(parts) > 1
    assert all(p.zip_path.stat().st_size <= 400 for p in parts)
    assert [(p.index, p.first) for p in parts] == [
        (i, sum(q.rows for q in parts[: i - 1])) for i in range(1, len(parts) + 1)
    ]
    assert sum(p.rows for p in parts) == 12


async def test_a_lost_upload_is_simply_uploaded_again(tmp_path: Path) -> None:
    """An upload whose answer was lost created nothing, so it goes again under a new step."""
    async with harness(tmp_path, records=20) as h:
        job = write_job(write_csv(tmp_path, new_rows(2)))
        ctx = h.context(job)
        summary = RequestSummary.of("POST", endpoints.upload())
        h.journal.record_intent(RUN_ID, job.name, "upload:1", summary)
        result = await BulkWriteDriver().run(ctx)
        intents = h.journal.intents(RUN_ID, job.name)
    assert result.status == "COMPLETED", result.errors
    assert [(i.step_key, i.state) for i in intents] == [
        ("upload:1", "UNKNOWN"), ("watermark:1", "ACKED"), ("upload:1.1", "ACKED"),
        ("create:1", "ACKED"), ("result:1", "ACKED"),
    ]  # fmt: skip
