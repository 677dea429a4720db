"""Mass update / mass delete drivers against the in-process simulator (ids and cvid)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.execute.drivers.mass import MassDeleteDriver, MassUpdateDriver
from runner.execute.executor import drive
from runner.execute.journal import RequestSummary
from runner.manifest.model import MassDeleteJob, MassUpdateJob, Territory
from runner.zoho import mass_update
from tests.unit.exec_fixtures import RUN_ID, harness

pytestmark = pytest.mark.anyio


def deal(n: int) -> str:
    return f"554023004{n:09d}"


def lead(n: int) -> str:
    return f"554023001{n:09d}"


PLAIN_DEALS = [deal(n) for n in (1, 2, 3, 4, 5, 6, 8, 9, 10)]


async def sim_jobs(h: object) -> list[dict[str, object]]:
    app = h.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.local"
    ) as raw:
        return list((await raw.get("/__sim__/jobs")).json())


async def test_update_by_ids_sets_every_record(tmp_path: Path) -> None:
    """Nine plain Deals by ids: COMPLETED, one call, and the org holds the new values."""
    job = MassUpdateJob(name="d", module="Deals", ids=tuple(PLAIN_DEALS),
                        values={"Stage": "Closed Won", "Lead_Source": "Advertisement"})  # fmt: skip
    async with harness(tmp_path) as h:
        result = await MassUpdateDriver().run(h.context(job))
        truth = await h.ground_truth("Deals", PLAIN_DEALS)
    assert result.status == "COMPLETED"
    assert result.counts == {"total": 9, "succeeded": 9, "failed": 0, "not_processed": 0}
    assert [r["record"]["Stage"] for r in truth] == ["Closed Won"] * 9
    assert [o.record_id for o in result.outcomes] == PLAIN_DEALS


async def test_update_by_ids_reports_locked_and_blueprint_records(tmp_path: Path) -> None:
    """A locked (n=7) and a blueprint (n=17) Deal fail per record; the job is PARTIAL."""
    ids = [deal(1), deal(7), deal(17), deal(2)]
    job = MassUpdateJob(name="d", module="Deals", ids=tuple(ids), values={"Stage": "Closed Won"})
    async with harness(tmp_path) as h:
        result = await MassUpdateDriver().run(h.context(job))
    assert result.status == "PARTIAL"
    codes = {o.record_id: o.code for o in result.outcomes}
    assert codes == {deal(1): "SUCCESS", deal(7): "RECORD_LOCKED",
                     deal(17): "RECORD_IN_BLUEPRINT", deal(2): "SUCCESS"}  # fmt: skip
    assert result.counts["failed"] == 2


async def test_ids_are_sent_500_per_call(tmp_path: Path) -> None:
    """1,200 ids go out as three journaled batches of 500, 500 and 200."""
    ids = tuple(lead(n) for n in range(1, 1201))
    job = MassUpdateJob(name="l", module="Leads", ids=ids, values={"City": "Chennai"})
    async with harness(tmp_path, records=1300) as h:
        result = await MassUpdateDriver().run(h.context(job))
        intents = h.journal.intents(RUN_ID, "l")
    assert [(i.step_key, i.request.ids_count, i.state) for i in intents] == [
        ("batch:1", 500, "ACKED"), ("batch:2", 500, "ACKED"), ("batch:3", 200, "ACKED")
    ]  # fmt: skip
    assert result.counts["total"] == 1200
    assert result.counts["succeeded"] + result.counts["failed"] == 1200


async def test_request_level_refusal_fails_the_job(tmp_path: Path) -> None:
    """Email cannot be mass updated (seed 002): the job FAILS with the request-level code."""
    job = MassUpdateJob(name="l", module="Leads", ids=(lead(1), lead(2)),
                        values={"Email": "x@example.com"})  # fmt: skip
    async with harness(tmp_path) as h:
        result = await MassUpdateDriver().run(h.context(job))
    assert result.status == "FAILED"
    assert result.errors[0].code == "INVALID_DATA"
    assert result.counts["not_processed"] == 2


async def test_delete_by_ids_deletes(tmp_path: Path) -> None:
    """Mass delete by ids removes the records at once."""
    ids = [lead(1), lead(2), lead(3)]
    job = MassDeleteJob(name="x", module="Leads", ids=tuple(ids))
    async with harness(tmp_path) as h:
        result = await MassDeleteDriver().run(h.context(job))
        truth = await h.ground_truth("Leads", ids)
    assert result.status == "COMPLETED"
    assert [r["deleted"] for r in truth] == [True, True, True]


async def test_lost_batch_is_verified_not_resent(tmp_path: Path) -> None:
    """A batch whose answer was lost before a crash is read back; applied ids are not resent."""
    ids = (deal(1), deal(2))
    job = MassUpdateJob(name="d", module="Deals", ids=ids, values={"Stage": "Closed Lost"})
    async with harness(tmp_path) as h:
        ctx = h.context(job)
        # The crashed attempt: intent written, POST reached Zoho, answer never recorded.
        h.journal.record_intent(RUN_ID, "d", "batch:1", RequestSummary.of("POST", "/x"))
        await mass_update.mass_update_ids(h.client, "Deals", [deal(1)], {"Stage": "Closed Lost"})
        result = await MassUpdateDriver().run(ctx)
        states = [
            (i.step_key, i.state, i.request.ids_count)
            for i in h.journal.intents(RUN_ID, "d")
            if i.request.method == "POST"
        ]
        truth = await h.ground_truth("Deals", list(ids))
    assert states == [("batch:1", "UNKNOWN", None), ("batch:1.1", "ACKED", 1)]
    assert result.status == "COMPLETED"
    assert result.outcomes[0].message == "verified after a lost answer"
    assert [r["record"]["Stage"] for r in truth] == ["Closed Lost", "Closed Lost"]


async def test_update_by_cvid_polls_to_completion(tmp_path: Path) -> None:
    """A cvid job is scheduled once and polled to COMPLETED; counts match the org."""
    job = MassUpdateJob(name="a", module="Accounts", cvid="554023000000091515",
                        territory=Territory("554023000000430409", True),
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        result = await drive(h.context(job))  # the executor counts the polls
        jobs = await sim_jobs(h)
    assert result.status in ("COMPLETED", "PARTIAL")
    assert len(jobs) == 1
    assert result.zoho_job_ids == (jobs[0]["id"],)
    assert result.polls >= 2
    total = result.counts["total"]
    assert total > 0
    assert result.counts["succeeded"] + result.counts["failed"] == total


async def test_deadline_leaves_job_running_and_resume_finishes_it(tmp_path: Path) -> None:
    """A deadline mid-poll returns RUNNING; a second attempt polls the same Zoho job."""
    job = MassDeleteJob(name="j", module="Leads", cvid="554023000000092002")
    async with harness(tmp_path) as h:
        first = await MassDeleteDriver().run(h.context(job, deadline=0.5))
        second = await MassDeleteDriver().run(h.context(job))
        jobs = await sim_jobs(h)
    assert first.status == "RUNNING"
    assert second.status in ("COMPLETED", "PARTIAL")
    assert len(jobs) == 1
    assert first.zoho_job_ids == second.zoho_job_ids


async def test_lost_schedule_is_reported_not_resent(tmp_path: Path) -> None:
    """A schedule intent with no answer and no sample of the view taken before it (an older
    journal) fails the job with OUTCOME_UNKNOWN and sends nothing."""
    job = MassUpdateJob(name="a", module="Accounts", cvid="554023000000091515",
                        values={"Industry": "Education"})  # fmt: skip
    async with harness(tmp_path) as h:
        ctx = h.context(job)
        h.journal.record_intent(RUN_ID, "a", "schedule", RequestSummary.of("POST", "/x"))
        result = await MassUpdateDriver().run(ctx)
        jobs = await sim_jobs(h)
    assert result.status == "FAILED"
    assert result.errors[0].code == "OUTCOME_UNKNOWN"
    assert jobs == []


async def test_already_scheduled_waits_instead_of_a_second_job(tmp_path: Path) -> None:
    """ALREADY_SCHEDULED (seed 002, HTTP 202) makes the driver wait, then schedule once."""
    job = MassUpdateJob(name="a", module="Accounts", cvid="554023000000091515",
                        values={"Industry": "Government"})  # fmt: skip
    async with harness(tmp_path) as h:
        await mass_update.schedule_mass_update(
            h.client, "Accounts", "554023000000091515", {"Industry": "Retail"}
        )
        result = await MassUpdateDriver().run(h.context(job))
        intents = [
            (i.step_key, i.state)
            for i in h.journal.intents(RUN_ID, "a")
            if i.request.method == "POST"
        ]
        jobs = await sim_jobs(h)
    assert intents[0] == ("schedule", "REFUSED")
    assert intents[-1][1] == "ACKED"
    assert len(jobs) == 2
    assert result.status in ("COMPLETED", "PARTIAL")


async def test_empty_view_completes_with_nothing_to_do(tmp_path: Path) -> None:
    """NO_RECORDS_FOUND for an empty view is a finished job with 0 records, not a failure."""
    job = MassUpdateJob(name="c", module="Contacts", cvid="554023000000092003",
                        values={"Lead_Source": "Advertisement"})  # fmt: skip
    async with harness(tmp_path) as h:
        result = await MassUpdateDriver().run(h.context(job))
    assert result.status == "COMPLETED"
    assert result.counts["total"] == 0


async def test_view_over_50000_is_refused_before_scheduling(tmp_path: Path) -> None:
    """A view of 60,000 records is refused with LIMIT_EXCEEDED and no job is created."""
    job = MassDeleteJob(name="big", module="Deals", cvid="554023000000092001")
    async with harness(tmp_path, records=60_000) as h:
        result = await MassDeleteDriver().run(h.context(job))
        jobs = await sim_jobs(h)
    assert result.status == "FAILED"
    assert result.errors[0].code == "LIMIT_EXCEEDED"
    assert "60,000" in result.errors[0].message
    assert jobs == []


class LoseAnswer(httpx.AsyncBaseTransport):
    """Lets the first POST to `path_end` reach the simulator, then loses its answer."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, path_end: str, *, deliver: bool, times: int = 1
    ) -> None:
        self.inner, self.path_end, self.deliver, self.armed = inner, path_end, deliver, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.armed and request.method == "POST" and request.url.path.endswith(self.path_end):
            self.armed -= 1
            if self.deliver:
                response = await self.inner.handle_async_request(request)
                await response.aread()
            raise httpx.ReadError("connection reset by peer", request=request)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("delivered", [True, False])
async def test_lost_schedule_answer_never_makes_two_jobs(tmp_path: Path, delivered: bool) -> None:
    """A schedule answer lost in this run is settled from the view's sample: sent again when
    nothing changed (Zoho's ALREADY_SCHEDULED guards a queued job), APPLIED once the sampled
    records change, so exactly one Zoho job exists either way."""
    job = MassUpdateJob(name="a", module="Accounts", cvid="554023000000091515",
                        values={"Industry": "Education"})  # fmt: skip
    wrap = lambda inner: LoseAnswer(inner, "/actions/mass_update", deliver=delivered)  # noqa: E731
    async with harness(tmp_path, wrap=wrap) as h:
        result = await MassUpdateDriver().run(h.context(job))
        states = [
            (i.step_key, i.state)
            for i in h.journal.intents(RUN_ID, "a")
            if i.request.method == "POST"
        ]
        jobs = await sim_jobs(h)
    assert len(jobs) == 1
    assert result.status in ("COMPLETED", "PARTIAL")
    if delivered:  # Zoho refuses the resend while the lost job runs; the view shows it ran
        assert states[0] == ("schedule", "UNKNOWN")
        assert {state for _, state in states[1:]} == {"REFUSED"}
        assert "APPLIED" in (result.skipped_reason or "")
    else:
        assert states == [("schedule", "UNKNOWN"), ("schedule.1", "ACKED")]


async def test_answers_lost_in_a_row_are_asked_again(tmp_path: Path) -> None:
    """Three lost answers (none reached Zoho, the view unchanged) are sent again until one
    is accepted."""
    job = MassDeleteJob(name="j", module="Leads", cvid="554023000000091999")
    wrap = lambda inner: LoseAnswer(inner, "/actions/mass_delete", deliver=False, times=3)  # noqa: E731
    async with harness(tmp_path, wrap=wrap) as h:
        result = await MassDeleteDriver().run(h.context(job))
        states = [
            (i.step_key, i.state)
            for i in h.journal.intents(RUN_ID, "j")
            if i.request.method == "POST"
        ]
        jobs = await sim_jobs(h)
    assert states == [
        ("schedule", "UNKNOWN"), ("schedule.1", "UNKNOWN"),
        ("schedule.2", "UNKNOWN"), ("schedule.3", "ACKED"),
    ]  # fmt: skip
    assert len(jobs) == 1
    assert result.status == "COMPLETED"


async def test_batch_answers_lost_in_a_row_are_verified_each_time(tmp_path: Path) -> None:
    """Three lost batch answers: each is read back, then only unreached ids are sent again."""
    ids = (deal(1), deal(2), deal(3))
    job = MassUpdateJob(name="d", module="Deals", ids=ids, values={"Stage": "Closed Lost"})
    wrap = lambda inner: LoseAnswer(inner, "/actions/mass_update", deliver=False, times=3)  # noqa: E731
    async with harness(tmp_path, wrap=wrap) as h:
        result = await MassUpdateDriver().run(h.context(job))
        states = [
            (i.step_key, i.state)
            for i in h.journal.intents(RUN_ID, "d")
            if i.request.method == "POST"
        ]
        truth = await h.ground_truth("Deals", list(ids))
    assert states == [
        ("batch:1", "UNKNOWN"), ("batch:1.1", "UNKNOWN"),
        ("batch:1.2", "UNKNOWN"), ("batch:1.3", "ACKED"),
    ]  # fmt: skip
    assert result.status == "COMPLETED"
    assert [t["record"]["Stage"] for t in truth] == ["Closed Lost"] * 3


async def test_the_first_posts_go_before_the_second_wave_is_journaled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrency 2, six batches: the first POST is sent with at most the first wave's two
    intents journaled and unanswered; the next wave prepares behind it, so up to four are
    (two sent, two ready), never all six up front."""
    seen: list[int] = []
    box: list[Any] = []
    real = MassUpdateDriver.send_ids

    async def send_ids(self: MassUpdateDriver, ctx: Any, ids: Any) -> Any:
        intents = box[0].journal.intents(RUN_ID)
        seen.append(sum(i.state == "PENDING" for i in intents))  # this POST's included
        return await real(self, ctx, ids)

    monkeypatch.setattr(MassUpdateDriver, "send_ids", send_ids)
    ids = tuple(deal(n) for n in range(1, 3001))
    job = MassUpdateJob(name="d", module="Deals", ids=ids, values={"Stage": "Closed Won"})
    async with harness(tmp_path, records=3000, concurrency=2) as h:
        box.append(h)
        result = await MassUpdateDriver().run(replace(h.context(job), concurrency=2))
    assert result.counts["total"] == 3000
    assert len(seen) == 6
    assert seen[0] <= 2
    assert max(seen) <= 4
    assert max(seen) > 2  # the second wave did join: batches ready behind those sent
