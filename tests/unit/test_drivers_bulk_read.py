"""Bulk read driver against the in-process simulator: pages, join, resume, lost creates, 429."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.execute.drivers.bulk_csv import join_csv
from runner.execute.drivers.bulk_read import BulkReadDriver, keep_replaced
from runner.execute.executor import drive
from runner.execute.journal import RequestSummary
from runner.manifest.model import BulkReadJob
from runner.simulator.models import bulk_read as sim_bulk_read
from runner.zoho import endpoints
from runner.zoho.errors import ZohoError
from tests.unit.exec_fixtures import RUN_ID, Harness, harness

pytestmark = pytest.mark.anyio

JUNK = {"field": "Lead_Status", "comparator": "equal", "value": "Junk Lead"}


def lead(n: int) -> str:
    return f"554023001{n:09d}"


def read_job(tmp_path: Path, **changes: Any) -> BulkReadJob:
    fields: dict[str, Any] = {
        "name": "export-leads",
        "module": "Leads",
        "fields": ("Last_Name", "Email", "Lead_Status"),
        "criteria": JUNK,
        "output": tmp_path / "manifest" / "exports" / "leads.csv",
    }
    fields.update(changes)
    return BulkReadJob(**fields)


def read_output(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


async def sim_get(h: Harness, path: str) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app), base_url="http://sim.local"
    ) as raw:
        return (await raw.get(path)).json()


async def test_export_with_criteria_matches_ground_truth(tmp_path: Path) -> None:
    """Junk Leads are every 10th Lead: the output holds exactly those, with their values."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        result = await drive(h.context(job))  # the executor counts the polls
        wanted = [lead(n) for n in range(10, 101, 10)]
        truth = await h.ground_truth("Leads", wanted)
    assert result.status == "COMPLETED", result.errors
    rows = read_output(job.output)
    assert rows[0] == ["Id", "Last_Name", "Email", "Lead_Status"]
    assert [r[0] for r in rows[1:]] == wanted
    expected = [[t["id"], t["record"]["Last_Name"], t["record"]["Email"] or "", "Junk Lead"]
                for t in truth]  # fmt: skip
    assert rows[1:] == expected
    assert result.counts == {"total": 10, "succeeded": 10, "failed": 0}
    assert len(result.zoho_job_ids) == 1
    assert [(f.kind, f.path, f.rows) for f in result.files] == [
        ("bulk_read_output", str(job.output), 10)
    ]
    assert result.polls >= 2  # ADDED, QUEUED, ... then COMPLETED
    assert not list(job.output.parent.glob(".*.tmp"))  # the temp file was renamed


async def test_pages_continue_with_the_token_and_join_under_one_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 40 rows a page, 95 Leads take three jobs; the output has one header, 95 rows."""
    monkeypatch.setattr(sim_bulk_read, "PER_PAGE", 40)
    job = read_job(tmp_path, criteria=None, fields=("Last_Name",))
    async with harness(tmp_path, records=95) as h:
        result = await BulkReadDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
        intents = h.journal.intents(RUN_ID, job.name)
    assert result.status == "COMPLETED", result.errors
    rows = read_output(job.output)
    assert rows[0] == ["Id", "Last_Name"]
    assert [r[0] for r in rows[1:]] == [lead(n) for n in range(1, 96)]
    assert len(result.zoho_job_ids) == 3 == len({j["id"] for j in jobs})
    assert result.counts["total"] == 95
    keys = [i.step_key for i in intents]
    assert keys == ["page:1", "download:1", "page:2", "download:2", "page:3", "download:3"]
    assert sorted(p.name for p in (h.work_dir / RUN_ID / job.name).glob("page-*.zip")) == [
        "page-1.zip", "page-2.zip", "page-3.zip"
    ]  # fmt: skip


async def test_resume_polls_the_created_job_instead_of_creating_another(tmp_path: Path) -> None:
    """A deadline mid-poll leaves the job RUNNING; the resumed run finishes it, one Zoho job."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        first = await BulkReadDriver().run(h.context(job, deadline=0.5))
        assert first.status == "RUNNING"
        assert not job.output.exists()
        second = await BulkReadDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
    assert second.status == "COMPLETED", second.errors
    assert len(jobs) == 1
    assert second.zoho_job_ids == first.zoho_job_ids == (jobs[0]["id"],)
    assert len(read_output(job.output)) == 11


async def test_resume_skips_pages_already_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run over a finished export sends nothing: every page comes from the journal."""
    monkeypatch.setattr(sim_bulk_read, "PER_PAGE", 60)
    job = read_job(tmp_path, criteria=None, fields=("Last_Name",))
    async with harness(tmp_path, records=100) as h:
        first = await BulkReadDriver().run(h.context(job))
        calls_before = len(await sim_get(h, "/__sim__/calls"))
        job.output.unlink()
        second = await BulkReadDriver().run(h.context(job))
        calls_after = len(await sim_get(h, "/__sim__/calls"))
    assert first.status == second.status == "COMPLETED"
    assert calls_after == calls_before  # nothing sent to Zoho (/__sim__/ reads are not logged)
    assert second.zoho_job_ids == first.zoho_job_ids
    assert len(read_output(job.output)) == 101


async def test_a_lost_create_is_asked_again_since_a_read_changes_nothing(
    tmp_path: Path,
) -> None:
    """A create sent before a crash (no answer journaled) is created again: a second export
    job costs credits, never data. The journal keeps both attempts."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        ctx = h.context(job)
        h.journal.record_intent(
            RUN_ID, job.name, "page:1", RequestSummary.of("POST", endpoints.bulk_read())
        )
        result = await BulkReadDriver().run(ctx)
        jobs = await sim_get(h, "/__sim__/jobs")
        states = [(i.step_key, i.state) for i in h.journal.intents(RUN_ID, job.name)]
    assert result.status == "COMPLETED"
    assert len(jobs) == 1
    assert states[:2] == [("page:1", "UNKNOWN"), ("page:1.1", "ACKED")]


async def test_job_failure_fails_with_zoho_message(tmp_path: Path) -> None:
    """A job Zoho ends in FAILURE makes the driver FAILED with the job's error message."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        h.app.state.org.fail_next.add("bulk_read")
        result = await BulkReadDriver().run(h.context(job))
    assert result.status == "FAILED"
    assert [e.code for e in result.errors] == ["INTERNAL_SERVER_ERROR"]
    assert result.errors[0].message.endswith("FAILURE: Internal server error occurred.")
    assert not job.output.exists()


async def test_download_429_waits_for_the_next_minute(tmp_path: Path) -> None:
    """Ten downloads already this minute: the driver waits the minute out, then downloads."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        ctx = h.context(job)
        start = h.clock.now()
        h.app.state.org.downloads.extend([start] * 10)
        result = await BulkReadDriver().run(ctx)
        calls = await sim_get(h, "/__sim__/calls")
    assert result.status == "COMPLETED", result.errors
    refused = [c for c in calls if c["path"].endswith("/result") and c["status"] == 429]
    assert refused
    assert h.clock.now() - start >= 60
    assert len(read_output(job.output)) == 11


async def test_download_429_past_the_deadline_leaves_the_job_running(tmp_path: Path) -> None:
    """When the download minute would outlast the deadline, the job is RUNNING, not FAILED."""
    job = read_job(tmp_path)
    async with harness(tmp_path, records=100) as h:
        ctx = h.context(job, deadline=40)
        h.app.state.org.downloads.extend([h.clock.now() + 3] * 10)
        result = await BulkReadDriver().run(ctx)
        resumed = await BulkReadDriver().run(h.context(job))
        jobs = await sim_get(h, "/__sim__/jobs")
    assert result.status == "RUNNING"
    assert resumed.status == "COMPLETED"
    assert len(jobs) == 1


async def test_ics_pages_are_joined_as_they_are(tmp_path: Path) -> None:
    """An ICS export of Meetings lands in `output` as the calendar Zoho produced."""
    job = read_job(tmp_path, module="Meetings", fields=(), criteria=None, file_type="ics",
                   output=tmp_path / "manifest" / "meetings.ics")  # fmt: skip
    async with harness(tmp_path, records=30) as h:
        result = await BulkReadDriver().run(h.context(job))
    assert result.status == "COMPLETED", result.errors
    text = job.output.read_bytes().decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 30 == result.counts["total"]


def _page_zip(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{path.stem}.csv", buf.getvalue())
    return path


def test_join_reorders_later_pages_to_the_first_header(tmp_path: Path) -> None:
    """Without `fields` Zoho may order columns per page: rows follow the first page's header."""
    one = _page_zip(tmp_path / "p1.zip", [["Id", "A", "B"], ["1", "a1", "b1"]])
    two = _page_zip(tmp_path / "p2.zip", [["B", "Id", "A"], ["b2", "2", "a2"], []])
    out = tmp_path / "deep" / "out.csv"
    assert join_csv([one, two], out) == 2
    assert read_output(out) == [["Id", "A", "B"], ["1", "a1", "b1"], ["2", "a2", "b2"]]


def test_join_refuses_a_page_with_unknown_columns(tmp_path: Path) -> None:
    """A later page with a column the first lacks fails the join and leaves no output."""
    one = _page_zip(tmp_path / "p1.zip", [["Id", "A"], ["1", "a1"]])
    two = _page_zip(tmp_path / "p2.zip", [["Id", "A", "C"], ["2", "a2", "c2"]])
    out = tmp_path / "out.csv"
    with pytest.raises(ZohoError, match="columns the first page lacks: C"):
        join_csv([one, two], out)
    assert list(tmp_path.glob("*out.csv*")) == []


async def test_many_pages_keep_to_ten_downloads_a_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirteen pages: the driver waits for download slots, so Zoho never answers 429."""
    monkeypatch.setattr(sim_bulk_read, "PER_PAGE", 8)
    job = read_job(tmp_path, criteria=None, fields=("Last_Name",))
    async with harness(tmp_path, records=100) as h:
        start = h.clock.now()
        result = await BulkReadDriver().run(h.context(job))
        calls = await sim_get(h, "/__sim__/calls")
    assert result.status == "COMPLETED", result.errors
    downloads = [c for c in calls if c["path"].endswith("/result")]
    assert len(downloads) == 13
    assert {c["status"] for c in downloads} == {200}
    assert max(c["at"] for c in downloads) - start >= 60
    assert len(read_output(job.output)) == 101


def _with_output(tmp_path: Path, text: str) -> tuple[BulkReadJob, bytes]:
    """The export job, its output already there with `text` (an earlier run's export)."""
    job = read_job(tmp_path)
    job.output.parent.mkdir(parents=True)
    job.output.write_text(text, encoding="utf-8")
    return job, job.output.read_bytes()


async def test_an_export_it_replaces_is_kept_in_the_runs_backups(tmp_path: Path) -> None:
    """A re-run export replaces its output, but the file that was there is kept first, in
    the run's backups (hard-linked), and named in the result; a later join (a resume)
    keeps that first copy as it is."""
    job, before = _with_output(tmp_path, "Id,Last_Name\n554023001000000001,Deleted since\n")
    async with harness(tmp_path, records=100) as h:
        ctx = h.context(job, backup=True)
        result = await drive(ctx)
    assert result.status == "COMPLETED", result.errors
    assert ctx.backup_dir is not None
    kept = ctx.backup_dir / "export-leads.replaced.csv"
    assert kept.read_bytes() == before
    assert job.output.read_bytes() != before
    assert ("replaced_output", str(kept)) in [(f.kind, f.path) for f in result.files]
    job.output.write_text("Id\n", encoding="utf-8")  # what a resume's second join replaces
    assert keep_replaced(job.output, ctx.backup_dir, job.name) == kept
    assert kept.read_bytes() == before


async def test_an_export_that_cannot_keep_what_it_replaces_replaces_nothing(
    tmp_path: Path,
) -> None:
    """The backups folder cannot be written: the job fails and the old file stays."""
    job, before = _with_output(tmp_path, "Id\n554023001000000001\n")
    async with harness(tmp_path, records=100) as h:
        ctx = h.context(job, backup=True)
        assert ctx.backup_dir is not None
        ctx.backup_dir.parent.mkdir(parents=True, exist_ok=True)
        ctx.backup_dir.write_text("a file where the folder should be")
        result = await drive(ctx)
    assert result.status == "FAILED"
    (error,) = result.errors
    assert error.code == "OUTPUT_NOT_WRITTEN"
    assert "which this export replaces" in error.message
    assert job.output.read_bytes() == before


def test_nothing_is_kept_for_a_new_or_empty_output_or_without_backups(tmp_path: Path) -> None:
    """Only a file with something in it is kept, and only where the run keeps backups."""
    output = tmp_path / "out.csv"
    assert keep_replaced(output, tmp_path / "backups", "j") is None
    output.write_text("")
    assert keep_replaced(output, tmp_path / "backups", "j") is None
    output.write_text("Id\n1\n")
    assert keep_replaced(output, None, "j") is None
    assert not (tmp_path / "backups").exists()
