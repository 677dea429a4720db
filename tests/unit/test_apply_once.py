"""Apply-once after things went wrong (issue 8): each test is one reported path to a doubled
Zoho job or a wrong count, run in-process against the simulator on a manual clock, with the
journal in SQLite and again in PostgreSQL (the ledger is the journal's)."""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.errors import UnfinishedRunError
from runner.execute.context import JobContext, JournalMismatch
from runner.execute.drivers import evidence
from runner.execute.drivers.bulk_write import BulkWriteDriver
from runner.execute.drivers.evidence import take_baseline
from runner.execute.drivers.mass import MassDeleteDriver, MassUpdateDriver
from runner.execute.drivers.outsiders import outsiders
from runner.execute.executor import Execution
from runner.execute.journal import RequestSummary
from runner.execute.poll import Backoff
from runner.execute.progress import NullProgress
from runner.execute.unfinished import Mine, resume_command, settle_unfinished
from runner.manifest.model import BulkWriteJob, FieldMapping, MassDeleteJob, MassUpdateJob
from runner.report.write import summary_lines
from runner.results import RunResult, RunTarget, exit_code_for
from runner.zoho import mass_delete, mass_update
from tests.postgres import fresh_schema
from tests.unit import exec_fixtures
from tests.unit.exec_fixtures import RUN_ID, Harness, harness
from tests.unit.test_drivers_mass import LoseAnswer, lead
from tests.unit.test_drivers_mass import sim_jobs as all_sim_jobs

pytestmark = pytest.mark.anyio

ORG = "554023000000046001"
ACCOUNTS_VIEW = "554023000000091515"
JUNK_VIEW = "554023000000091999"
# DEMO_ORG record states: n % 50 == 7 locked, 17 blueprint, 27 stop processing, 37 unapproved.
LOCKED_LEADS = [lead(7), lead(57)]


@pytest.fixture(
    autouse=True, params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def journal_backend(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Each test twice: SQLite, then PostgreSQL, where `harness(path)` gets a schema of its
    own per state folder (a test's two folders are two journals, as on disk)."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    server = request.getfixturevalue("postgres_server")
    with ExitStack() as schemas:
        urls: dict[Path, str] = {}

        def on_postgres(path: Path, **kw: Any) -> Any:
            if path not in urls:
                urls[path] = schemas.enter_context(fresh_schema(server))
            return exec_fixtures.harness(path, state_url=urls[path], **kw)

        monkeypatch.setattr(sys.modules[__name__], "harness", on_postgres)
        yield "postgres"


def execution(h: Harness, run_id: str, *, start: bool = True, **kw: Any) -> Execution:
    if start:
        h.journal.start_run(run_id, target=RunTarget("zoho", "http://sim.local", ORG))
    return Execution(
        run_id=run_id, client=h.client, journal=h.journal, clock=h.clock,
        progress=NullProgress(), work_dir=h.work_dir, org_id=ORG, zgid=h.zgid,
        deadline=h.clock.now() + 3600,
        poll_backoff=lambda: Backoff(jitter="equal", rng=random.Random(1)),
        backups=h.backups(run_id), **kw,
    )  # fmt: skip


async def sim_jobs(h: Harness) -> list[dict[str, object]]:
    """The simulator's jobs but the bulk reads the mass jobs' backups made (issue 12)."""
    return [j for j in await all_sim_jobs(h) if j["kind"] != "bulk_read"]


def leads_update(ids: list[str], value: str = "Contacted") -> MassUpdateJob:
    return MassUpdateJob(
        name="leads", module="Leads", ids=tuple(ids), values={"Lead_Status": value}
    )


def leads_import(tmp_path: Path, operation: str, *, rows: int) -> BulkWriteJob:
    """A bulk write of `rows` new Leads (Last_Name, Email) from a CSV in `tmp_path`."""
    csv_file = tmp_path / f"{operation}.csv"
    lines = "".join(f"Ito{n},ito{n}@example.com\n" for n in range(rows))
    csv_file.write_text("last,email\n" + lines, encoding="utf-8")
    return BulkWriteJob(
        name="ins", module="Leads", operation=operation, file=csv_file,  # type: ignore[arg-type]
        find_by="Email" if operation != "insert" else None,
        field_mappings=(FieldMapping("Last_Name", "last"), FieldMapping("Email", "email")),
    )  # fmt: skip


class Refuse(httpx.AsyncBaseTransport):
    """While `on`, answers GETs that `match` with Zoho's error envelope (a token that
    expired: 401 INVALID_TOKEN; a passing outage: 500 INTERNAL_ERROR)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        match: Callable[[httpx.Request], bool],
        *,
        status: int = 401,
        code: str = "INVALID_TOKEN",
        on: bool = False,
    ) -> None:
        self.inner, self.match, self.status, self.code, self.on = inner, match, status, code, on

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.on and request.method == "GET" and self.match(request):
            body = {"code": self.code, "details": {}, "message": "refused", "status": "error"}
            return httpx.Response(self.status, json=body)
        return await self.inner.handle_async_request(request)


def polls(request: httpx.Request) -> bool:
    return "job_id" in request.url.params


def account_reads(request: httpx.Request) -> bool:
    return request.url.path.endswith("/Accounts")


def reads_by_id(request: httpx.Request) -> bool:
    return "ids" in request.url.params


# --- 1 and 9: an unfinished run is never silently replaced --------------------------------
async def test_apply_after_a_crash_is_refused_with_the_exact_resume_command(
    tmp_path: Path,
) -> None:
    """A crashed run with a Zoho job in flight blocks the next apply of the same jobs; the
    message names the job id and the resume command with the run's own options."""
    async with harness(tmp_path) as h:
        h.journal.start_run("r1", target=RunTarget("zoho", "http://sim.local", ORG), options={
            "state_dir": "ci/state", "report_dir": "out", "concurrency": 10, "deadline": 7200.0,
        })  # fmt: skip
        h.journal.record_job("r1", "junk", kind="mass_delete", module="Leads", fingerprint="f",
                             status="RUNNING")  # fmt: skip
        intent = h.journal.record_intent("r1", "junk", "schedule", RequestSummary.of("POST", "/x"))
        h.journal.ack_intent(intent, zoho_job_id="554023000000500001")
        mine = Mine(manifest_paths=set(), names={"junk"}, fingerprints=set())
        with pytest.raises(UnfinishedRunError) as caught:
            settle_unfinished(h.journal, ORG, mine, abandon=None, out=io.StringIO())
        out = io.StringIO()
        settle_unfinished(h.journal, ORG, mine, abandon="r1", out=out)
        status = h.journal.get_run("r1").status  # type: ignore[union-attr]
    text = str(caught.value)
    assert "junk: Zoho job 554023000000500001 in flight" in text
    assert (
        "finish it: zcrm-runner resume r1 --state-dir ci/state --report-dir out "
        "--concurrency 10" in text
    )
    assert "add --abandon r1 to this apply" in text
    assert status == "ABANDONED"
    assert "run r1 abandoned" in out.getvalue()


async def test_a_run_that_sent_nothing_is_closed_not_blocking(tmp_path: Path) -> None:
    """An interrupted run with no journaled request cannot have reached Zoho: closed quietly."""
    async with harness(tmp_path) as h:
        h.journal.start_run("r1", target=RunTarget("zoho", "http://sim.local", ORG))
        h.journal.finish_run("r1", status="INTERRUPTED", exit_code=130)
        out = io.StringIO()
        mine = Mine(manifest_paths=set(), names={"junk"}, fingerprints=set())
        h.journal.record_job("r1", "junk", kind="mass_delete", module="Leads", fingerprint="f",
                             status="RUNNING")  # fmt: skip
        settle_unfinished(h.journal, ORG, mine, abandon=None, out=out)
        status = h.journal.get_run("r1").status  # type: ignore[union-attr]
    assert status == "ABANDONED"
    assert "ended before sending anything" in out.getvalue()


def test_resume_command_keeps_every_option_the_run_used() -> None:
    """The printed resume command carries the run's state dir, report dir, concurrency and
    deadline, so running it as printed finds the run."""
    options = {"state_dir": "s t", "report_dir": "reports", "concurrency": 5, "deadline": 60.0}
    assert resume_command("r1", options) == "zcrm-runner resume r1 --state-dir 's t' --deadline 60s"


# --- 2: a PARTIAL job is applied; --retry-failed sends only what failed -------------------
async def test_partial_job_is_unchanged_and_retry_failed_sends_only_the_failures(
    tmp_path: Path,
) -> None:
    """Locked Leads make the job PARTIAL; the next apply sends nothing, --retry-failed sends
    only the two failed ids, and says so in the counts."""
    job = leads_update([lead(n) for n in (1, 2, 3)] + LOCKED_LEADS)
    async with harness(tmp_path) as h:
        first = (await execution(h, "r1").run([job]))[0]
        again = (await execution(h, "r2").run([job]))[0]
        retry = (await execution(h, "r3", retry_failed=frozenset({"leads"})).run([job]))[0]
        posts = [i for i in h.journal.intents("r3", "leads") if i.request.method == "POST"]
        sent = [i.request.ids_count for i in posts]
        backup = h.backups("r3") / "leads.csv"
        backed_up = backup.read_text(encoding="utf-8").splitlines()
        second_again = (await execution(h, "r4").run([job]))[0]
    assert first.status == "PARTIAL"
    assert again.status == "UNCHANGED"
    assert "applied in run r1 (PARTIAL, 3/5 succeeded, 2 failed)" in (again.skipped_reason or "")
    assert "--retry-failed leads resends only what failed" in (again.skipped_reason or "")
    assert sent == [2]
    assert len(backed_up) == 3  # the retry's backup: the two ids it sends again, and a header
    assert retry.counts["retried"] == 2
    assert {o.record_id for o in retry.outcomes} == set(LOCKED_LEADS)
    assert second_again.status == "UNCHANGED"
    assert "run r3" in (second_again.skipped_reason or "")


# --- 3: resume polls every Zoho job id it was ever given ----------------------------------
async def test_resume_polls_the_job_an_earlier_attempt_got(tmp_path: Path) -> None:
    """A first schedule lost, a second answered with job X, then the deadline: the resume
    polls X and creates nothing."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        lost = h.journal.record_intent(RUN_ID, "a", "schedule", RequestSummary.of("POST", "/x"))
        h.journal.mark_unknown(lost, reason="500")
        job_id = await mass_update.schedule_mass_update(
            h.client, "Accounts", ACCOUNTS_VIEW, {"Industry": "Education"}
        )
        got = h.journal.record_intent(RUN_ID, "a", "schedule.1", RequestSummary.of("POST", "/x"))
        h.journal.ack_intent(got, zoho_job_id=job_id)
        result = await MassUpdateDriver().run(ctx)
        jobs = await sim_jobs(h)
    assert len(jobs) == 1
    assert result.zoho_job_ids == (job_id,)
    assert result.status in ("COMPLETED", "PARTIAL")


# --- 4: a refused token pauses the job with its id ----------------------------------------
async def test_expired_token_keeps_the_job_in_flight_and_resume_finishes_it(
    tmp_path: Path,
) -> None:
    """401 INVALID_TOKEN on a poll leaves the job RUNNING with its Zoho job id (exit 1, the
    run resumable); with a good token the resume polls that job, and Zoho has one job."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    faults: list[Refuse] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        faults.append(Refuse(inner, polls, on=True))
        return faults[0]

    async with harness(tmp_path, wrap=wrap) as h:
        paused = (await execution(h, "r1").run([job]))[0]
        run = RunResult("r1", 0.0, 1.0, RunTarget("zoho", "x", ORG), jobs=(paused,))
        faults[0].on = False
        h.journal.reopen_run("r1")
        resumed = (await execution(h, "r1", start=False).run([job]))[0]
        jobs = await sim_jobs(h)
    assert paused.status == "RUNNING"
    assert paused.errors[0].code == "INVALID_TOKEN"
    assert "set a valid token, then resume" in paused.errors[0].message
    assert paused.zoho_job_ids == (jobs[0]["id"],)
    assert exit_code_for(run) == 1
    assert resumed.status in ("COMPLETED", "PARTIAL")
    assert resumed.zoho_job_ids == paused.zoho_job_ids
    assert len(jobs) == 1


async def test_a_refused_token_while_reading_evidence_pauses_not_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost schedule answer, then the token expires before the records are read back: the
    job pauses (RUNNING, exit 1, resumable) instead of ending OUTCOME_UNKNOWN; with a good
    token the resume settles it from the records, and Zoho has one job."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    reads: list[Refuse] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        reads.append(Refuse(inner, account_reads))
        return LoseAnswer(reads[0], "/actions/mass_update", deliver=True)

    async with harness(tmp_path, wrap=wrap) as h:
        original = MassUpdateDriver.schedule

        async def schedule_then_expire(self: MassUpdateDriver, ctx: Any) -> str:
            reads[0].on = True  # the view was sampled; the token dies with the schedule
            return await original(self, ctx)

        monkeypatch.setattr(MassUpdateDriver, "schedule", schedule_then_expire)
        paused = (await execution(h, "r1").run([job]))[0]
        monkeypatch.undo()
        reads[0].on = False
        h.journal.reopen_run("r1")
        settled = (await execution(h, "r1", start=False).run([job]))[0]
        jobs = await sim_jobs(h)
    assert (paused.status, paused.errors[0].code) == ("RUNNING", "INVALID_TOKEN")
    assert settled.status in ("COMPLETED", "PARTIAL")
    assert "APPLIED" in (settled.skipped_reason or "")
    assert len(jobs) == 1


# --- 5: a lost schedule answer is settled from evidence -----------------------------------
@pytest.mark.parametrize("delivered", [True, False])
async def test_lost_schedule_answer_is_settled_from_evidence(
    tmp_path: Path, delivered: bool
) -> None:
    """A lost schedule answer: if Zoho made the job, the sampled view records change and the
    job is APPLIED without a second one; if it did not, it is sent again. One job either way."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/actions/mass_update", deliver=delivered)

    async with harness(tmp_path, wrap=wrap) as h:
        result = await MassUpdateDriver().run(h.context(job, backup=True))
        jobs = await sim_jobs(h)
    assert len(jobs) == 1
    assert result.status in ("COMPLETED", "PARTIAL")
    if delivered:
        assert "APPLIED" in (result.skipped_reason or "")
        assert result.counts["changed"] > 0
        truth: Any = jobs[0]["counts"]
        assert [result.counts[k] for k in ("total", "succeeded", "failed")] == [
            truth["total"], truth["succeeded"], truth["failed"]
        ]  # the sample was the whole view: counted exactly, as Zoho counted  # fmt: skip
    else:
        assert result.zoho_job_ids == (jobs[0]["id"],)


async def test_a_view_larger_than_the_sample_reports_counts_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When only part of the view was sampled, an evidence-settled job says how big the
    view was and that its counts are unknown; it never reports 0/N."""
    monkeypatch.setattr(evidence, "SAMPLE", 50)
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/actions/mass_update", deliver=True)

    async with harness(tmp_path, wrap=wrap) as h:
        result = await MassUpdateDriver().run(h.context(job, backup=True))
        jobs = await sim_jobs(h)
    run = RunResult("r", 0.0, 1.0, RunTarget("zoho", "x", ORG), jobs=(result,))
    assert len(jobs) == 1
    assert result.counts_unknown
    assert "total" not in result.counts  # the job's total is unknown too
    assert result.counts["view_count"] == jobs[0]["counts"]["total"]  # type: ignore[index]
    assert f"{result.counts['view_count']} in view, counts unknown" in summary_lines(run)[1]


async def test_lost_delete_schedule_from_a_crashed_process_is_applied(tmp_path: Path) -> None:
    """A crash left the delete's schedule PENDING after Zoho ran it: resume finds the sampled
    records in the deleted records (API_NOTES §13) and creates no second job."""
    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        # The baseline and the intent as the crashed process journaled them, then its POST.
        await take_baseline(ctx, JUNK_VIEW, [])
        h.journal.record_intent(RUN_ID, "j", "schedule", RequestSummary.of(
            "POST", "/crm/v8/Leads/actions/mass_delete", '{"cvid": "554023000000091999", "ids": []}'
        ))  # fmt: skip
        await mass_delete.schedule_mass_delete(h.client, "Leads", JUNK_VIEW)
        await h.clock.sleep(600)  # the job runs to its end
        result = await MassDeleteDriver().run(ctx)
        jobs = await sim_jobs(h)
    truth: Any = jobs[0]["counts"]
    assert len(jobs) == 1
    assert result.status == "COMPLETED"
    assert "in the deleted records" in (result.skipped_reason or "")
    assert (result.counts["total"], result.counts["succeeded"]) == (
        truth["total"], truth["succeeded"]
    )  # fmt: skip


async def test_unreadable_evidence_leaves_the_job_in_flight_not_unknown(
    tmp_path: Path,
) -> None:
    """Records that cannot be read back just now (5xx, after patient tries) give no
    verdict: the job stays RUNNING for resume, never OUTCOME_UNKNOWN (soak seed 87)."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    outage: list[Refuse] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        outage.append(Refuse(inner, reads_by_id, status=500, code="INTERNAL_ERROR"))
        return LoseAnswer(outage[0], "/actions/mass_update", deliver=True)

    async with harness(tmp_path, wrap=wrap) as h:
        await take_baseline(h.context(job, backup=True), ACCOUNTS_VIEW, ["Industry"])
        outage[0].on = True
        first = await MassUpdateDriver().run(h.context(job, backup=True))
        outage[0].on = False
        await h.clock.sleep(600)  # the lost job runs to its end meanwhile
        second = await MassUpdateDriver().run(h.context(job, backup=True))
        jobs = await sim_jobs(h)
    assert first.status == "RUNNING"
    assert "could not be read yet (INTERNAL_ERROR)" in (first.skipped_reason or "")
    assert "resume to settle it" in (first.skipped_reason or "")
    assert second.status in ("COMPLETED", "PARTIAL")
    assert "APPLIED" in (second.skipped_reason or "")
    assert len(jobs) == 1


async def _junk_delete_whose_schedule_answer_was_lost(h: Harness, job: MassDeleteJob) -> JobContext:
    """The job's baseline taken, its schedule journaled and sent, the answer never
    recorded, and the Zoho job run to its end: a context with a 2 s deadline to resume it."""
    ctx = h.context(job, backup=True, deadline=2.0)
    await take_baseline(ctx, JUNK_VIEW, [])
    h.journal.record_intent(RUN_ID, "j", "schedule", RequestSummary.of(
        "POST", "/crm/v8/Leads/actions/mass_delete", '{"cvid": "554023000000091999", "ids": []}'
    ))  # fmt: skip
    await mass_delete.schedule_mass_delete(h.client, "Leads", JUNK_VIEW)
    await h.clock.sleep(600)
    return ctx


async def test_settling_adds_up_across_resumes_with_a_short_deadline(tmp_path: Path) -> None:
    """With a deadline shorter than the settle wait, the first look is journaled and the
    job left in flight; the resume's look, agreeing, settles it (soak seed 100)."""
    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        ctx = await _junk_delete_whose_schedule_answer_was_lost(h, job)
        first = await MassDeleteDriver().run(ctx)
        await h.clock.sleep(10)
        second = await MassDeleteDriver().run(h.context(job, backup=True, deadline=2.0))
        jobs = await sim_jobs(h)
    assert first.status == "RUNNING"
    assert "may still be working through the view" in (first.skipped_reason or "")
    assert second.status == "COMPLETED"
    assert second.counts["succeeded"] == jobs[0]["counts"]["succeeded"]  # type: ignore[index]
    assert len(jobs) == 1


async def test_settling_adds_up_across_resumes_closer_than_the_settle_wait(
    tmp_path: Path,
) -> None:
    """Resumes 2 s apart, each with a 2 s deadline: every look agrees, and the time they
    agree over adds up from the first of them, so a resume settles the job once that
    reaches the settle wait (5 s). Timing each look from the one just before kept every
    resume at 2 s and the job in flight for good (soak seed 71)."""
    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        ctx = await _junk_delete_whose_schedule_answer_was_lost(h, job)
        results = [await MassDeleteDriver().run(ctx)]
        while results[-1].status == "RUNNING" and len(results) < 6:
            await h.clock.sleep(2)
            results.append(await MassDeleteDriver().run(h.context(job, backup=True, deadline=2.0)))
        jobs = await sim_jobs(h)
    assert [r.status for r in results[:-1]] == ["RUNNING"] * (len(results) - 1)
    assert results[-1].status == "COMPLETED", [r.skipped_reason for r in results]
    assert len(results) <= 4  # looks at 0, 2, 4 s: settled by the one at 6 s at the latest
    assert results[-1].counts["succeeded"] == jobs[0]["counts"]["succeeded"]  # type: ignore[index]
    assert len(jobs) == 1


async def test_a_look_that_cannot_be_read_never_settles_a_count(tmp_path: Path) -> None:
    """While settling, a second look that cannot be read leaves the job in flight; it is
    never taken as agreeing with the first one (soak seed 19: counted too early)."""
    from runner.execute.context import Lost
    from runner.execute.drivers import mass_view

    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)

    class Blind:
        kind = "mass_delete"

        async def judge(self, ctx: Any, base: Any) -> evidence.Evidence:
            return evidence.Evidence("UNSETTLED", "the sampled records could not be read yet")

    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        sent = h.journal.record_intent(RUN_ID, "j", "schedule", RequestSummary.of("POST", "/x"))
        lost = Lost(h.journal.get_intent(sent))  # type: ignore[arg-type]
        first = evidence.Evidence("APPLIED", "5 of 10 gone", 10, 5, True)
        result = await mass_view._applied(Blind(), ctx, lost, first, {})  # type: ignore[arg-type]
    assert result.status == "RUNNING"
    assert "could not be read yet" in (result.skipped_reason or "")


# --- 6: a lost bulk write create is settled from the records ------------------------------
async def test_lost_upsert_create_is_counted_from_the_records(tmp_path: Path) -> None:
    """An upsert whose create answer was lost after Zoho ran it: the rows are found among the
    records changed since, reported ADDED (not resent, not 'updated'), one Zoho job."""
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "last,email\n" + "".join(f"Roe{n},roe{n}@example.com\n" for n in range(6)),
        encoding="utf-8",
    )
    job = BulkWriteJob(
        name="imp", module="Leads", operation="upsert", file=csv_file, find_by="Email",
        field_mappings=(FieldMapping("Last_Name", "last"), FieldMapping("Email", "email")),
    )  # fmt: skip

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/crm/bulk/v8/write", deliver=True)

    async with harness(tmp_path, wrap=wrap) as h:
        result = await BulkWriteDriver().run(h.context(job, backup=True))
        jobs = [j for j in await sim_jobs(h) if j["kind"] == "bulk_write"]
    assert len(jobs) == 1
    assert result.counts["added"] == 6
    assert result.counts["updated"] == 0
    assert (result.counts["sampled"], result.counts["changed"]) == (6, 6)
    assert result.status == "COMPLETED"
    assert "APPLIED (the Zoho job id was in the lost answer)" in (result.skipped_reason or "")


async def test_lost_insert_create_is_counted_not_failed(tmp_path: Path) -> None:
    """A lost insert that Zoho ran is found by its first mapped field among the records
    created since: ADDED, not 'FAILED not_processed', and never inserted twice."""
    job = leads_import(tmp_path, "insert", rows=6)

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/crm/bulk/v8/write", deliver=True)

    async with harness(tmp_path, wrap=wrap) as h:
        result = await BulkWriteDriver().run(h.context(job, backup=True))
        jobs = [j for j in await sim_jobs(h) if j["kind"] == "bulk_write"]
    assert len(jobs) == 1
    assert (result.status, result.counts["added"], result.counts["not_processed"]) == (
        "COMPLETED", 6, 0
    )  # fmt: skip


async def test_lost_insert_with_no_trace_is_unknown_not_resent(tmp_path: Path) -> None:
    """A lost insert that left no record is OUTCOME_UNKNOWN (a queued job could still add
    the rows), never sent a second time."""
    job = leads_import(tmp_path, "insert", rows=1)

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/crm/bulk/v8/write", deliver=False)

    async with harness(tmp_path, wrap=wrap) as h:
        result = await BulkWriteDriver().run(h.context(job, backup=True))
        jobs = [j for j in await sim_jobs(h) if j["kind"] == "bulk_write"]
    assert jobs == []
    assert result.status == "FAILED"
    assert result.errors[0].code == "OUTCOME_UNKNOWN"
    assert "--replace ins" in result.errors[0].message


# --- 7: true counts after a lost ids batch ------------------------------------------------
async def test_counts_after_a_lost_batch_equal_a_clean_run(tmp_path: Path) -> None:
    """A lost ids batch is verified: records the call changed count as done, every other id
    is sent again, so locked records fail as in a clean run, and every id has one outcome."""
    ids = [lead(n) for n in range(1, 101)]
    job = leads_update(ids, value="Qualified")

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return LoseAnswer(inner, "/actions/mass_update", deliver=True)

    async with harness(tmp_path / "clean") as h:
        clean = await MassUpdateDriver().run(h.context(job, backup=True))
    async with harness(tmp_path / "lost", wrap=wrap) as h:
        lost = await MassUpdateDriver().run(h.context(job, backup=True))
        stored = h.journal.job_outcomes(RUN_ID, "leads")
    assert sorted(o.record_id for o in lost.outcomes) == sorted(ids)
    assert lost.counts["failed"] == clean.counts["failed"] > 0
    assert lost.counts["succeeded"] == clean.counts["succeeded"]
    assert sorted(o.record_id for o in stored) == sorted(ids)  # journaled, for a resume


@pytest.mark.parametrize("delivered", [True, False])
async def test_a_lost_batch_whose_records_cannot_be_read_yet_waits_for_resume(
    tmp_path: Path, delivered: bool
) -> None:
    """A lost ids batch whose records cannot be read back just now (5xx after patient
    tries, or no time left before the deadline) gets no verdict: the job stays RUNNING
    (exit 4), not PARTIAL with 100 records OUTCOME_UNKNOWN for good; the resume reads them
    back and sends again only what the lost call did not reach (soak seed 57)."""
    ids = [lead(n) for n in range(1, 101)]
    job = leads_update(ids, value="Qualified")
    outage: list[Refuse] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        outage.append(Refuse(inner, reads_by_id, status=500, code="INTERNAL_ERROR"))
        return LoseAnswer(outage[0], "/actions/mass_update", deliver=delivered)

    async with harness(tmp_path / "clean") as h:
        clean = await MassUpdateDriver().run(h.context(job))
        clean_truth = await h.ground_truth("Leads", ids)
    async with harness(tmp_path / "lost", wrap=wrap) as h:
        outage[0].on = True
        first = await MassUpdateDriver().run(h.context(job))
        outage[0].on = False
        second = await MassUpdateDriver().run(h.context(job))
        posts = [c for c in h.app.state.sim.calls if c["method"] == "POST"]
        truth = await h.ground_truth("Leads", ids)
    run = RunResult("r", 0.0, 1.0, RunTarget("zoho", "x", ORG), jobs=(first,))
    assert first.status == "RUNNING"
    assert exit_code_for(run) == 4
    assert "could not be read yet (INTERNAL_ERROR); resume to settle it" in (
        first.skipped_reason or ""
    )
    assert not [o for o in first.outcomes if o.code == "OUTCOME_UNKNOWN"]
    assert second.counts == clean.counts
    assert sorted(o.record_id for o in second.outcomes) == sorted(ids)
    status = lambda found: {t["id"]: (t["record"] or {}).get("Lead_Status") for t in found}  # noqa: E731
    assert status(truth) == status(clean_truth)  # every record as a clean run left it
    # Zoho saw the lost call only if it was delivered; the ids it reached are not sent again.
    assert len(posts) == (1 + (second.counts["failed"] > 0) if delivered else 1)


# --- the journal proves what it resends ---------------------------------------------------
async def test_resume_refuses_to_send_other_bytes_than_journaled(tmp_path: Path) -> None:
    """A step whose journaled body hash differs from the request about to go out stops the
    job with a clear error, and nothing is sent."""
    job = leads_update([lead(1)])
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        h.journal.record_intent(RUN_ID, "leads", "batch:1", RequestSummary.of("POST", "/x", b"{}"))
        with pytest.raises(JournalMismatch, match="another body"):
            await MassUpdateDriver().run(ctx)
        calls = h.app.state.sim.calls
    assert not [c for c in calls if c["method"] == "POST"]


async def test_a_sampled_record_deleted_meanwhile_makes_the_count_unknown(
    tmp_path: Path,
) -> None:
    """When a record of the whole-view sample was deleted by someone else before the lost
    job was judged, the job is no longer counted exactly (soak seed 244)."""
    job = MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        base = await take_baseline(ctx, ACCOUNTS_VIEW, ["Industry"], count=240)
        first = next(iter(base["records"]))
        await mass_update.schedule_mass_update(
            h.client, "Accounts", ACCOUNTS_VIEW, {"Industry": "Education"}
        )
        await h.clock.sleep(600)
        whole = await MassUpdateDriver().judge(ctx, base)
        await mass_delete.mass_delete_ids(h.client, "Accounts", [first])
        moved = await MassUpdateDriver().judge(ctx, base)
    assert (whole.verdict, whole.complete) == ("APPLIED", True)
    assert (moved.verdict, moved.complete) == ("APPLIED", False)


@pytest.mark.parametrize(
    ("job", "joiner", "value"),
    [
        (MassUpdateJob(name="a", module="Accounts", cvid=ACCOUNTS_VIEW,
                       values={"Industry": "Education"}),
         "554023002000000003", {"Industry": "Retail"}),  # account 3: Education, not in view
        (MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW),
         lead(1), {"Lead_Status": "Junk Lead"}),
    ],
    ids=["update", "delete"],
)  # fmt: skip
async def test_a_record_joining_the_view_meanwhile_makes_the_count_unknown(
    tmp_path: Path, job: Any, joiner: str, value: dict[str, str]
) -> None:
    """A record someone else moved into the view between its sample and the lost schedule
    is in Zoho's count but not in the sample: the job must not claim the sample's count
    as exact (the case after soak seed 244)."""
    driver = MassUpdateDriver() if isinstance(job, MassUpdateJob) else MassDeleteDriver()
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        await take_baseline(ctx, job.cvid, list(getattr(job, "values", {})))
        await h.clock.sleep(2)
        answers = await mass_update.mass_update_ids(h.client, job.module, [joiner], value)
        assert answers[0].status == "success"
        h.journal.record_intent(RUN_ID, job.name, "schedule", RequestSummary.of(
            "POST", driver.path(job.module), json.dumps(driver.body(job, None), sort_keys=True)
        ))  # fmt: skip
        if isinstance(job, MassUpdateJob):
            await mass_update.schedule_mass_update(h.client, job.module, job.cvid, job.values)
        else:
            await mass_delete.schedule_mass_delete(h.client, job.module, job.cvid)
        await h.clock.sleep(600)  # the job runs to its end
        result = await driver.run(ctx)
        jobs = await sim_jobs(h)
    truth: Any = jobs[0]["counts"]
    assert len(jobs) == 1
    assert result.status in ("COMPLETED", "PARTIAL"), result.skipped_reason
    assert result.counts.get("total", truth["total"]) == truth["total"]
    assert result.counts_unknown
    assert "joined" in (result.skipped_reason or "")


async def test_a_baseline_without_a_watermark_never_counts_exactly(tmp_path: Path) -> None:
    """A baseline journaled without a watermark (an older version, or a read that failed)
    cannot rule out records that joined the view: outsiders are unknown, not 0."""
    job = MassDeleteJob(name="j", module="Leads", cvid=JUNK_VIEW)
    async with harness(tmp_path) as h:
        ctx = h.context(job, backup=True)
        base = dict(await take_baseline(ctx, JUNK_VIEW, []))
        assert await outsiders(ctx, base) == 0  # nothing deleted since the mark
        base.pop("watermark")
        assert await outsiders(ctx, base) is None
