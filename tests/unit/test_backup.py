"""Backups before destructive jobs (issue 12), run in-process against the simulator: what
each kind saves, that it comes before the job's first POST, and that a crash or a resume
neither loses it nor takes it twice."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.execute.drivers import backup as backup_module
from runner.execute.drivers import mass, mass_view
from runner.execute.executor import Execution, drive
from runner.execute.journal import RequestSummary
from runner.execute.poll import Backoff
from runner.execute.progress import NullProgress
from runner.execute.unfinished import Mine, settle_unfinished
from runner.manifest.model import AnyJob, MassDeleteJob, MassUpdateJob
from runner.report.build import job_dict
from runner.results import JobResult, RunTarget
from tests.unit.exec_fixtures import Harness, harness
from tests.unit.test_drivers_mass import PLAIN_DEALS, deal, lead, sim_jobs

pytestmark = pytest.mark.anyio

ORG = "554023000000046001"
ACCOUNTS_VIEW = "554023000000091515"  # Industry is not Education
JUNK_VIEW = "554023000000091999"  # every 10th Lead


class Crash(BaseException):
    """A process killed mid-run: nothing of the runner catches it."""


class CrashOn(httpx.AsyncBaseTransport):
    """Crashes the process on the `nth` request that `match` picks (before it is sent)."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, match: Callable[[httpx.Request], bool], nth: int = 1
    ) -> None:
        self.inner, self.match, self.left = inner, match, nth

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.left and self.match(request):
            self.left -= 1
            if not self.left:
                raise Crash(str(request.url))
        return await self.inner.handle_async_request(request)


def execution(h: Harness, run_id: str, *, start: bool = True) -> Execution:
    if start:
        h.journal.start_run(run_id, target=RunTarget("zoho", "http://sim.local", ORG))
    else:
        h.journal.reopen_run(run_id)
    return Execution(
        run_id=run_id, client=h.client, journal=h.journal, clock=h.clock,
        progress=NullProgress(), work_dir=h.work_dir / run_id, org_id=ORG, zgid=h.zgid,
        deadline=h.clock.now() + 3600, backups=h.backups(run_id),
        poll_backoff=lambda: Backoff(jitter="equal", rng=random.Random(1)),
    )  # fmt: skip


async def one(h: Harness, run_id: str, job: AnyJob, *, start: bool = True) -> JobResult:
    return (await execution(h, run_id, start=start).run([job]))[0]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


async def calls(h: Harness) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app), base_url="http://sim.local"
    ) as raw:
        return list((await raw.get("/__sim__/calls")).json())


async def fail_next(h: Harness, kind: str) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app), base_url="http://sim.local"
    ) as raw:
        (await raw.post("/__sim__/fail", json={"job_kind": kind})).raise_for_status()


def is_backup_call(call: dict[str, Any]) -> bool:
    """A read the backup makes: records by id, the fields, or a bulk read."""
    return "ids=" in call["query"] or "/settings/fields" in call["path"] or "/bulk/" in call["path"]


# --- what each kind saves ------------------------------------------------------------------
async def test_update_by_ids_saves_the_fields_it_sets_as_they_were(tmp_path: Path) -> None:
    """Every id's Stage and Lead_Source as the org held them before, read by id; the report
    names the file, its rows and the columns a revert writes back."""
    ids = [*PLAIN_DEALS, "554023004999999999"]  # the last one does not exist
    job = MassUpdateJob(name="won", module="Deals", ids=tuple(ids),
                        values={"Stage": "Closed Won", "Lead_Source": "Cold Call"})  # fmt: skip
    async with harness(tmp_path) as h:
        before = {t["id"]: t["record"] for t in await h.ground_truth("Deals", PLAIN_DEALS)}
        result = await one(h, "r1", job)
        saved = rows(h.backups("r1") / "won.csv")
    assert result.status == "PARTIAL"  # the id that does not exist fails, and is not saved
    assert [r["Id"] for r in saved] == PLAIN_DEALS
    for row in saved:
        assert row["Stage"] == before[row["Id"]]["Stage"]
        assert row["Lead_Source"] == (before[row["Id"]]["Lead_Source"] or "")
    entry = job_dict(result)["backup"]
    assert entry == {
        "path": "backups/won.csv", "rows": 9, "source": "records", "id_column": "Id",
        "columns": [{"name": "Stage", "data_type": "picklist"},
                    {"name": "Lead_Source", "data_type": "picklist"}],
        "skipped": None, "withheld": 0,
    }  # fmt: skip


async def test_update_by_view_exports_the_view_and_keeps_its_job_id_apart(tmp_path: Path) -> None:
    """A bulk read of the view with the field it sets; the report's Zoho job ids are the
    mass job's only (the export changes nothing, so the ledger must not see it)."""
    job = MassUpdateJob(name="edu", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        result = await one(h, "r1", job)
        jobs = await sim_jobs(h)
        saved = rows(h.backups("r1") / "edu.csv")
    (export,) = [j for j in jobs if j["kind"] == "bulk_read"]
    (update,) = [j for j in jobs if j["kind"] == "mass_update"]
    assert result.zoho_job_ids == (update["id"],)
    assert export["id"] not in result.zoho_job_ids
    assert len(saved) == update["counts"]["total"]  # type: ignore[index]
    assert all(r["Industry"] != "Education" for r in saved)
    assert not (h.work_dir / "r1" / "edu" / "backup").exists()  # the pages, once saved
    assert result.backup is not None
    assert result.backup.source == "bulk_read"


async def test_delete_by_view_saves_every_deleted_record_whole(tmp_path: Path) -> None:
    """Every record the delete removed is in the backup, with its fields (all of them)."""
    job = MassDeleteJob(name="junk", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        result = await one(h, "r1", job)
        saved = rows(h.backups("r1") / "junk.csv")
        truth = await h.ground_truth("Leads", [r["Id"] for r in saved])
    deleted = {t["id"] for t in truth if t["deleted"]}
    assert result.status in ("COMPLETED", "PARTIAL")
    assert len(deleted) == result.counts["succeeded"] > 0
    assert deleted <= {r["Id"] for r in saved}
    assert {"Last_Name", "Email", "Lead_Status", "Created_Time"} <= set(saved[0])
    assert result.backup is not None
    columns = {c.name for c in result.backup.columns}
    assert "Last_Name" in columns
    assert "Created_Time" not in columns  # read only: a revert cannot write it back


async def test_delete_by_ids_keeps_the_module_export_to_its_ids(tmp_path: Path) -> None:
    """A delete by ids exports the module and keeps only its ids (those that exist)."""
    ids = (lead(1), lead(2), lead(3), "554023001999999999")
    job = MassDeleteJob(name="three", module="Leads", ids=ids)
    async with harness(tmp_path) as h:
        result = await one(h, "r1", job)
        saved = rows(h.backups("r1") / "three.csv")
    assert result.status == "PARTIAL"  # the id that does not exist fails
    assert sorted(r["Id"] for r in saved) == [lead(1), lead(2), lead(3)]


async def test_backup_false_takes_none_and_says_so(tmp_path: Path) -> None:
    """`backup: false`: no read, no file, and the report says why there is none."""
    job = MassUpdateJob(name="won", module="Deals", ids=(deal(1),),
                        values={"Stage": "Closed Won"}, backup=False)  # fmt: skip
    async with harness(tmp_path) as h:
        result = await one(h, "r1", job)
        made = await calls(h)
    assert not (h.backups("r1") / "won.csv").exists()
    assert not any(is_backup_call(c) for c in made)
    assert job_dict(result)["backup"]["skipped"] == "backup: false in the manifest"


async def test_a_record_holding_a_value_from_the_environment_is_withheld(tmp_path: Path) -> None:
    """A value built from a ZCRM_VAR_* variable reaches no file (issue 9): a record that
    holds one is left out of the backup, counted, and the rest are saved."""
    job = MassUpdateJob(name="won", module="Deals", ids=tuple(PLAIN_DEALS),
                        values={"Stage": "Closed Won"})  # fmt: skip
    async with harness(tmp_path) as h:
        stages = {t["id"]: t["record"]["Stage"] for t in await h.ground_truth("Deals", PLAIN_DEALS)}
        secret = stages[PLAIN_DEALS[0]]
        result = await drive(replace(h.context(job, backup=True), secrets=(secret,)))
        text = (h.backups() / "won.csv").read_text(encoding="utf-8")
    holding = sum(1 for stage in stages.values() if secret in stage)
    assert secret not in text
    assert result.backup is not None
    assert (result.backup.withheld, result.backup.rows) == (holding, len(PLAIN_DEALS) - holding)


# --- strictly before the first POST, journaled once -----------------------------------------
@pytest.mark.parametrize("cvid", [None, ACCOUNTS_VIEW])
async def test_the_backup_comes_before_the_first_post(tmp_path: Path, cvid: str | None) -> None:
    """Every read of the backup is made before the job's first mass POST."""
    job = MassUpdateJob(name="j", module="Accounts", values={"Industry": "Education"},
                        cvid=cvid, ids=None if cvid else ("554023002000000001",))  # fmt: skip
    async with harness(tmp_path) as h:
        await one(h, "r1", job)
        made = await calls(h)
    first_post = next(i for i, c in enumerate(made) if c["path"].endswith("/mass_update"))
    backup_calls = [i for i, c in enumerate(made) if is_backup_call(c)]
    assert backup_calls
    assert max(backup_calls) < first_post


@pytest.mark.parametrize("cvid", [None, JUNK_VIEW])
async def test_a_crash_between_backup_and_post_neither_loses_nor_redoes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cvid: str | None
) -> None:
    """Killed right after the backup was journaled: the resume sends the job once and reads
    nothing again; the file is the one taken before the crash."""
    job = MassDeleteJob(name="j", module="Leads", cvid=cvid,
                        ids=None if cvid else (lead(1), lead(2)))  # fmt: skip

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise Crash("killed after the backup")

    target = (mass_view, "_schedule") if cvid else (mass, "run_batches")
    async with harness(tmp_path) as h:
        monkeypatch.setattr(*target, crash)
        with pytest.raises(Crash):
            await one(h, "r1", job)
        monkeypatch.undo()
        path = h.backups("r1") / "j.csv"
        taken = path.read_bytes()
        reads_before = sum(1 for c in await calls(h) if is_backup_call(c))
        result = await one(h, "r1", job, start=False)
        made = await calls(h)
        exports = [j for j in await sim_jobs(h) if j["kind"] == "bulk_read"]
    assert result.status in ("COMPLETED", "PARTIAL")
    assert sum(1 for c in made if is_backup_call(c)) == reads_before  # nothing read again
    assert path.read_bytes() == taken
    assert len(exports) == 1
    assert result.backup is not None
    assert result.backup.rows == len(taken.splitlines()) - 1


async def test_a_crash_mid_backup_redoes_only_the_backup(tmp_path: Path) -> None:
    """Killed at the second read by id: no backup was journaled and no POST sent; the resume
    reads them all again, then sends the job once."""
    ids = tuple(lead(n) for n in range(1, 251))  # three reads of 100 ids
    job = MassUpdateJob(name="j", module="Leads", ids=ids, values={"City": "Lyon"})

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return CrashOn(inner, lambda r: "ids" in r.url.params, nth=2)

    async with harness(tmp_path, wrap=wrap) as h:
        with pytest.raises(Crash):
            await one(h, "r1", job)
        posted = [c for c in await calls(h) if c["method"] == "POST"]
        result = await one(h, "r1", job, start=False)
        saved = rows(h.backups("r1") / "j.csv")
        posts = [i for i in h.journal.intents("r1", "j") if i.request.method == "POST"]
    assert posted == []
    assert len(saved) == 250
    assert {r["City"] for r in saved} != {"Lyon"}
    assert [i.state for i in posts] == ["ACKED"]  # one batch, sent once
    assert result.status in ("COMPLETED", "PARTIAL")


def _crash_on_download(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """The process dies as the view's export is downloaded."""
    return CrashOn(inner, lambda r: r.url.path.endswith("/result"))


async def test_a_crash_mid_export_polls_the_same_export_on_resume(tmp_path: Path) -> None:
    """Killed while downloading the view's export: the resume downloads that same export (no
    second bulk read job) and then schedules the delete once."""

    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path, wrap=_crash_on_download) as h:
        with pytest.raises(Crash):
            await one(h, "r1", job)
        result = await one(h, "r1", job, start=False)
        jobs = await sim_jobs(h)
    assert sorted(j["kind"] for j in jobs) == ["bulk_read", "mass_delete"]
    assert result.status in ("COMPLETED", "PARTIAL")
    assert result.backup is not None
    assert result.backup.rows == 30  # DEMO_ORG.md: every 10th of 300 Leads


# --- when it cannot be taken ----------------------------------------------------------------
async def test_a_failed_export_stops_the_job_before_anything_is_sent(tmp_path: Path) -> None:
    """The view's export fails on Zoho's side: the job FAILS, says why and how to go on,
    and no mass delete was scheduled."""
    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        await fail_next(h, "bulk_read")
        result = await one(h, "r1", job)
        jobs = await sim_jobs(h)
    assert result.status == "FAILED"
    assert result.errors[0].message.startswith("backup: ")
    assert "nothing was sent" in result.errors[0].message
    assert "backup: false" in result.errors[0].message
    assert [j["kind"] for j in jobs] == ["bulk_read"]
    assert result.zoho_job_ids == ()


async def test_the_export_past_the_deadline_leaves_the_job_running(tmp_path: Path) -> None:
    """The deadline comes while the export runs: the job stays RUNNING with nothing sent,
    and the resume finishes the same export, then the job."""
    job = MassUpdateJob(name="j", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True, deadline=0.5)
        waiting = await mass.MassUpdateDriver().run(ctx)
        h.clock.advance(60)
        done = await mass.MassUpdateDriver().run(h.context(job, backup=True))
        jobs = await sim_jobs(h)
    assert waiting.status == "RUNNING"
    assert not waiting.errors
    assert "backup" in (waiting.skipped_reason or "")
    assert sorted(j["kind"] for j in jobs) == ["bulk_read", "mass_update"]
    assert done.status in ("COMPLETED", "PARTIAL")


async def test_a_job_that_posted_before_takes_no_backup(tmp_path: Path) -> None:
    """A run begun before backups existed already sent a batch: no backup is taken after
    it (it would hold the new values), and the report says so."""
    job = MassUpdateJob(name="j", module="Deals", ids=(deal(1),), values={"Stage": "Closed Won"})
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        h.journal.record_intent(ctx.run_id, "j", "batch:1.9", RequestSummary.of("POST", "/x"))
        await mass.MassUpdateDriver().run(ctx)
        found = backup_module.recorded(h.journal, ctx.run_id, job, None)
    assert found is not None
    assert found.path is None
    assert "before its backup" in (found.skipped or "")


async def test_a_run_killed_during_its_backup_is_closed_by_the_next_apply(
    tmp_path: Path,
) -> None:
    """Killed while its backup's export ran (a journaled bulk read, no request of the job):
    nothing of it changed the org, so the next apply closes it instead of refusing."""

    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path, wrap=_crash_on_download) as h:
        with pytest.raises(Crash):
            await one(h, "r1", job)
        h.journal.finish_run("r1", status="INTERRUPTED", exit_code=130)
        keys = [i.step_key for i in h.journal.intents("r1")]
        out = io.StringIO()
        mine = Mine(manifest_paths=set(), names={"j"}, fingerprints=set())
        settle_unfinished(h.journal, ORG, mine, abandon=None, out=out)
        status = h.journal.get_run("r1").status  # type: ignore[union-attr]
    assert keys == ["backup:page:1"]
    assert out.getvalue() == "run r1 ended before sending anything; closed\n"
    assert status == "ABANDONED"
