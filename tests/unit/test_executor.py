"""The job DAG: needs order, skips after a failure, apply-once and --replace, resume."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from runner.execute.executor import Execution, redacted
from runner.execute.poll import Backoff
from runner.execute.progress import NullProgress
from runner.manifest.model import AnyJob, MassDeleteJob, MassUpdateJob
from runner.results import JobError, JobResult, RecordOutcome, RunTarget
from runner.zoho.errors import ZohoError
from tests.unit.exec_fixtures import Harness, harness

pytestmark = pytest.mark.anyio

ORG = "554023000000046001"


def execution(h: Harness, run_id: str, **kw: object) -> Execution:
    h.journal.start_run(run_id, target=RunTarget("zoho", "http://sim.local", ORG))
    return Execution(
        run_id=run_id, client=h.client, journal=h.journal, clock=h.clock,
        progress=NullProgress(), work_dir=h.work_dir, org_id=ORG, zgid=h.zgid,
        deadline=h.clock.now() + 3600,
        poll_backoff=lambda: Backoff(jitter="equal", rng=random.Random(1)), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def execution_again(h: Harness, run_id: str) -> Execution:
    """A second Execution over a run that exists already (a resume)."""
    return Execution(
        run_id=run_id, client=h.client, journal=h.journal, clock=h.clock,
        progress=NullProgress(), work_dir=h.work_dir, org_id=ORG, zgid=h.zgid,
        deadline=h.clock.now() + 3600,
    )  # fmt: skip


def update(name: str, n: int, *, needs: tuple[str, ...] = (), field: str = "City") -> AnyJob:
    return MassUpdateJob(name=name, module="Leads", ids=(f"554023001{n:09d}",),
                         values={field: "Oslo"}, needs=needs)  # fmt: skip


async def test_needs_run_in_order_and_a_failure_skips_dependents(tmp_path: Path) -> None:
    """A job whose need FAILED is SKIPPED with the reason; independent jobs still run."""
    jobs = [
        update("bad", 1, field="Email"),  # Email cannot be mass updated: FAILED
        update("after-bad", 2, needs=("bad",)),
        update("free", 3),
    ]
    async with harness(tmp_path) as h:
        results = await execution(h, "r1").run(jobs)
        h.journal.reopen_run("r1")
        resumed = await execution_again(h, "r1").run(jobs)
    status = {r.name: r.status for r in results}
    assert status == {"bad": "FAILED", "after-bad": "SKIPPED", "free": "COMPLETED"}
    assert results[1].skipped_reason == "needs: bad is FAILED"
    # A resume keeps the ended jobs, the request-level error of the failed one included.
    assert [r.status for r in resumed] == ["FAILED", "SKIPPED", "COMPLETED"]
    assert resumed[0].errors[0].code == "INVALID_DATA"
    assert resumed[0].errors == results[0].errors  # whole: details ({"api_name": "Email"}) too


async def test_applied_job_is_unchanged_unless_replaced(tmp_path: Path) -> None:
    """The same content on the same org runs once; --replace runs it again."""
    jobs = [update("city", 4)]
    async with harness(tmp_path) as h:
        first = await execution(h, "r1").run(jobs)
        second = await execution(h, "r2").run(jobs)
        third = await execution(h, "r3", replace=frozenset({"city"})).run(jobs)
        posts = len(h.journal.intents("r3", "city"))
    assert [first[0].status, second[0].status, third[0].status] == [
        "COMPLETED", "UNCHANGED", "COMPLETED"
    ]  # fmt: skip
    assert "applied in run r1 (COMPLETED" in (second[0].skipped_reason or "")
    assert posts == 1


async def test_resume_keeps_finished_jobs_and_finishes_the_rest(tmp_path: Path) -> None:
    """A second pass over the same run id keeps ended jobs and polls the running one."""
    quick = MassUpdateJob(name="quick", module="Deals", ids=("554023004000000005",),
                          values={"Stage": "Closed Won"})  # fmt: skip
    jobs: list[AnyJob] = [
        quick,
        MassDeleteJob(name="slow", module="Leads", cvid="554023000000092002"),
    ]
    async with harness(tmp_path) as h:
        first = execution(h, "r1")
        first.deadline = h.clock.now() + 0.5
        before = await first.run(jobs)
        h.journal.reopen_run("r1")
        after = await execution_again(h, "r1").run(jobs)
        intents = h.journal.intents("r1")
    assert [r.status for r in before] == ["COMPLETED", "RUNNING"]
    assert after[0].status == "COMPLETED"
    assert after[1].status == "PARTIAL"  # locked / unapproved Leads fail per record
    assert after[1].zoho_job_ids == before[1].zoho_job_ids
    assert sorted(i.step_key for i in intents if i.request.method == "POST") == [
        "batch:1", "schedule"
    ]  # fmt: skip


async def test_job_error_from_zoho_error_keeps_code_and_details() -> None:
    """A Zoho refusal becomes one job error: its code and details, its message in context."""
    exc = ZohoError("INVALID_DATA", "invalid data", details={"api_name": "Email"})
    plain = JobError.from_error(exc)
    assert plain == JobError("INVALID_DATA", "invalid data", {"api_name": "Email"})
    worded = JobError.from_error(exc, "part 2", advice="fix the mapping")
    assert worded.message == "part 2: invalid data; fix the mapping"


class Notes(NullProgress):
    """Keeps the notes a run prints."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, name: str, text: str) -> None:
        self.notes.append(f"[{name}] {text}")


async def test_a_failed_job_notes_its_error_with_zoho_details(tmp_path: Path) -> None:
    """A job Zoho refused prints its code, message and details as it ends."""
    async with harness(tmp_path) as h:
        run = execution(h, "r1")
        run.progress = notes = Notes()
        (result,) = await run.run([update("bad", 1, field="Email")])
    assert result.status == "FAILED"
    assert notes.notes == [f"[bad] {result.errors[0].text}"]
    assert "(api_name: Email" in notes.notes[0]


async def test_errors_and_failed_records_are_scrubbed_like_the_journal(tmp_path: Path) -> None:
    """What the console and reports get went through the journal's scrub: a registered
    value and a token-shaped string an answer echoed are redacted; successes are kept, and
    a result with nothing to hide is returned as it is."""
    secret, token = "Aerospace-canary-42", "1000." + "a" * 32 + "." + "b" * 32
    ok = RecordOutcome("1", "success", "SUCCESS", f"set to {secret}")
    bad = RecordOutcome("2", "error", "INVALID_DATA", f"no {secret}", {"value": secret})
    result = JobResult(
        name="x", kind="mass_update", module="Leads", status="PARTIAL", outcomes=(ok, bad),
        errors=(JobError("INVALID_DATA", f"saw {token}", {"access_token": "x", "v": secret}),),
    )  # fmt: skip
    async with harness(tmp_path) as h:
        h.journal.add_secret(secret)
        clean = redacted(result, h.journal.redact)
        innocent = replace(result, outcomes=(ok._replace(message="set"), bad._replace(
            message="no", details={"api_name": "Email"})), errors=())  # fmt: skip
        assert redacted(innocent, h.journal.redact) is innocent  # nothing to hide: as it was
    assert clean.outcomes[0] is ok  # a success is not rewritten (50,000 of them, often)
    assert clean.outcomes[1] == bad._replace(
        message="no [redacted]", details={"value": "[redacted]"}
    )
    assert clean.errors == (
        JobError(
            "INVALID_DATA", "saw [redacted]", {"access_token": "[redacted]", "v": "[redacted]"}
        ),
    )


async def test_a_view_job_result_names_its_view_after_a_resume_too(tmp_path: Path) -> None:
    """A job by cvid says so in its result (reports explain its unnamed failures), and so
    does the same job read back from the journal; a job by ids has no cvid."""
    jobs: list[AnyJob] = [
        update("by-ids", 5),
        MassDeleteJob(name="by-view", module="Leads", cvid="554023000000092002"),
    ]
    async with harness(tmp_path) as h:
        first = await execution(h, "r1").run(jobs)
        h.journal.reopen_run("r1")
        again = await execution_again(h, "r1").run(jobs)
    for results in (first, again):
        assert [r.cvid for r in results] == [None, "554023000000092002"]
    assert first[1].status == "PARTIAL"  # locked / unapproved Leads fail, unnamed
    assert first[1].failures_unnamed
    assert not first[0].failures_unnamed
