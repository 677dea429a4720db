"""The planner: batches, cvid jobs and polls, ordering, destructive marker, scopes, credits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.errors import ManifestError
from runner.manifest.model import (
    AnyJob,
    BulkReadJob,
    BulkWriteJob,
    Location,
    Manifest,
    MassDeleteJob,
    MassUpdateJob,
    Territory,
)
from runner.manifest.validate import load_manifests
from runner.plan.build import build_plan
from runner.plan.model import OrgFacts, Plan


def _ids(n: int) -> tuple[str, ...]:
    return tuple(f"554023004{i:09d}" for i in range(1, n + 1))


def _plan(*jobs: AnyJob, facts: OrgFacts | None = None) -> Plan:
    manifest = Manifest(path=Path("jobs.yaml"), sha256="0" * 64, version=1, jobs=jobs)
    return build_plan([manifest], facts=facts)


def _update(name: str = "deals", **kw: Any) -> MassUpdateJob:
    """A mass update without its backup (its steps: tests/unit/test_plan_backup.py)."""
    kw.setdefault("values", {"Lead_Source": "Advertisement"})
    kw.setdefault("backup", False)
    return MassUpdateJob(name=name, module=kw.pop("module", "Deals"), **kw)


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(1, [1]), (500, [500]), (501, [500, 1]), (50_000, [500] * 100)],
)
def test_ids_are_sent_500_per_post(count: int, sizes: list[int]) -> None:
    """1, 500, 501 and 50,000 ids make 1, 1, 2 and 100 POSTs of the right sizes, no polls."""
    job = _plan(_update(ids=_ids(count))).jobs[0]
    assert [s.batch_size for s in job.steps] == sizes
    assert [s.batch for s in job.steps] == list(range(1, len(sizes) + 1))
    assert {(s.method, s.path, s.polls) for s in job.steps} == {
        ("POST", "/crm/v8/Deals/actions/mass_update", False)
    }
    assert (job.calls, job.polls, job.record_count, job.selector) == (len(sizes), 0, count, "ids")


def test_ids_file_is_counted_and_batched_like_inline_ids(tmp_path: Path) -> None:
    """A validated manifest's ids_file (CSV with an id column) arrives as the job's ids and
    is batched like inline ids."""
    (tmp_path / "ids.csv").write_text(
        "id,name\n" + "".join(f"{i},x\n" for i in _ids(700)), encoding="utf-8"
    )
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "version: 1\njobs:\n  - name: del\n    kind: mass_delete\n    module: Deals\n"
        "    ids_file: ids.csv\n    backup: false\n",
        encoding="utf-8",
    )
    plan = build_plan(load_manifests([path]).manifests)
    assert [s.batch_size for s in plan.jobs[0].steps] == [500, 200]


def test_cvid_job_schedules_then_polls() -> None:
    """A cvid mass update is one POST that schedules a job, then a poll by job_id."""
    job = _plan(
        _update(
            module="Accounts",
            cvid="554023000000091515",
            territory=Territory("554023000000430409", include_child=True),
        )
    ).jobs[0]
    post, poll = job.steps
    assert (post.method, post.path, post.polls) == (
        "POST",
        "/crm/v8/Accounts/actions/mass_update",
        False,
    )
    assert "cvid: 554023000000091515" in post.body_summary
    assert "territory: 554023000000430409 (+ child territories)" in post.body_summary
    assert (poll.method, poll.path, poll.polls) == (
        "GET",
        "/crm/v8/Accounts/actions/mass_update?job_id={job_id}",
        True,
    )
    assert (job.selector, job.record_count, job.cvid) == ("cvid", None, "554023000000091515")
    assert any("unknown offline" in n for n in job.notes)


def test_cvid_count_comes_from_online_facts() -> None:
    """With facts, a cvid job shows the view's count and warns above 1,000 records."""
    facts = OrgFacts("554023000000046001", cvid_counts={("Leads", "9"): 4_000})
    plan = _plan(MassDeleteJob(name="junk", module="Leads", backup=False, cvid="9"), facts=facts)
    job = plan.jobs[0]
    assert (plan.target, job.record_count, job.steps[0].batch_size) == (
        "554023000000046001",
        4_000,
        4_000,
    )
    assert any("runs no workflows" in w for w in job.warnings)


def test_a_territory_says_the_count_is_the_whole_views() -> None:
    """The count endpoint takes no territory: the plan says the count is the view's."""
    facts = OrgFacts("1", cvid_counts={("Accounts", "5"): 240})
    job = _update("acc", module="Accounts", cvid="5", territory=Territory("9"))
    notes = _plan(job, facts=facts).jobs[0].notes
    assert "240 is the whole view's count; the territory narrows it" in notes


def test_cvid_over_50000_is_refused_when_the_count_is_known() -> None:
    """A view over 50,000 records is refused with a located problem (seed 002)."""
    facts = OrgFacts("1", cvid_counts={("Deals", "7"): 50_001})
    job = _update(cvid="7", index=3, location=Location("jobs.yaml", 12, 5))
    with pytest.raises(ManifestError) as exc:
        _plan(job, facts=facts)
    assert str(exc.value.problems[0]) == (
        "jobs.yaml:12:5: jobs[3].cvid: the custom view holds 50,001 records, more than "
        "50,000 (cvid-max-50000); narrow the view's criteria or split it into several views"
    )


def test_needs_order_is_topological_and_stable() -> None:
    """Jobs run after what they need; otherwise in the order they were written."""
    jobs = (
        MassDeleteJob(name="a", module="Leads", backup=False, cvid="1", needs=("c",)),
        _update("b", ids=_ids(1)),
        BulkReadJob(name="c", module="Leads", output=Path("out.csv")),
        _update("d", ids=_ids(1), needs=("a", "b")),
        _update("e", ids=_ids(1)),
    )
    plan = _plan(*jobs)
    assert [(j.name, j.order) for j in plan.jobs] == [
        ("b", 1),
        ("c", 2),
        ("a", 3),
        ("d", 4),
        ("e", 5),
    ]


def test_needs_cycle_is_a_guarded_bug() -> None:
    """A cycle the validator missed stops the planner instead of looping."""
    jobs = (_update("a", ids=_ids(1), needs=("b",)), _update("b", ids=_ids(1), needs=("a",)))
    with pytest.raises(ValueError, match="cycle among: a, b"):
        _plan(*jobs)


def test_mass_delete_is_marked_destructive_with_recycle_bin_note() -> None:
    """mass_delete carries the destructive marker and the 60-day Recycle Bin note."""
    delete_job = MassDeleteJob(name="d", module="Leads", backup=False, ids=_ids(3))
    plan = _plan(delete_job, _update(ids=_ids(3)))
    delete, update = plan.jobs
    assert (delete.destructive, update.destructive) == (True, False)
    assert any("Recycle Bin" in n and "60 days" in n for n in delete.notes)
    assert delete.steps[0].path == "/crm/v8/Leads/actions/mass_delete"


def test_scopes_and_credits_per_kind(tmp_path: Path) -> None:
    """Each kind lists its scopes (module part as the seeds spell it) and its credits."""
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text("Last_Name,Email\nA,a@x.test\n", encoding="utf-8")
    plan = _plan(
        _update("mu", module="Price_Books", ids=_ids(501)),
        MassDeleteJob(name="md", module="Sales_Orders", backup=False, cvid="5"),
        BulkReadJob(name="br", module="Leads", output=Path("o.csv")),
        BulkWriteJob(
            name="bw",
            module="Shipments",
            custom_module=True,
            operation="upsert",
            file=csv_file,
            find_by="Email",
        ),
    )
    mu, md, br, bw = plan.jobs
    assert mu.scopes == ("ZohoCRM.mass_update.pricebooks.UPDATE",)
    assert md.scopes == (
        "ZohoCRM.mass_delete.salesorders.DELETE",
        "ZohoCRM.mass_delete.salesorders.READ",
    )
    assert br.scopes == ("ZohoCRM.bulk.read", "ZohoCRM.modules.leads.READ")
    assert bw.scopes == ("ZohoCRM.bulk.CREATE", "ZohoFiles.files.ALL", "ZohoCRM.org.READ")
    assert bw.probable_scopes == ("ZohoCRM.modules.custom.CREATE", "ZohoCRM.modules.custom.UPDATE")
    assert [(j.credits, j.credits_estimated) for j in plan.jobs] == [
        (2, True),
        (1, True),
        (51, True),
        (503, False),
    ]
    assert plan.credits == 2 + 1 + 51 + 503
    assert len(plan.scopes) == 8
    assert plan.scopes == tuple(sorted(plan.scopes))
    assert "ZohoCRM.modules.custom.CREATE" in plan.probable_scopes


def test_bulk_read_pages_follow_the_known_count() -> None:
    """450,000 matching records make 3 export jobs of 200,000, 200,000 and 50,000."""
    facts = OrgFacts("1", bulk_read_counts={"export": 450_000})
    job = _plan(BulkReadJob(name="export", module="Leads", output=Path("o.csv")), facts=facts)
    steps = job.jobs[0].steps
    creates = [s for s in steps if s.method == "POST"]
    assert [(s.path, s.batch, s.batch_size) for s in creates] == [
        ("/crm/bulk/v8/read", 1, 200_000),
        ("/crm/bulk/v8/read", 2, 200_000),
        ("/crm/bulk/v8/read", 3, 50_000),
    ]
    assert [s.path for s in steps[:3]] == [
        "/crm/bulk/v8/read",
        "/crm/bulk/v8/read/{job_id}",
        "/crm/bulk/v8/read/{job_id}/result",
    ]
    assert "page_token" in creates[1].body_summary
    assert (job.jobs[0].credits, job.jobs[0].polls) == (3 * 51, 3)


def test_offline_bulk_read_says_one_or_more_pages() -> None:
    """Without facts a bulk read plans one page and says more may follow."""
    job = _plan(BulkReadJob(name="x", module="Leads", output=Path("o.csv"))).jobs[0]
    assert job.record_count is None
    assert job.batches == 1
    assert job.notes[0].startswith("1+ pages")


def test_bulk_write_steps_per_part(tmp_path: Path) -> None:
    """Bulk write reads the zgid once, then upload, create, poll, download per part."""
    csv_file = tmp_path / "big.csv"
    csv_file.write_text("Last_Name\n" + "x\n" * 60_000, encoding="utf-8")
    job = _plan(BulkWriteJob(name="w", module="Leads", operation="insert", file=csv_file)).jobs[0]
    assert job.steps[0].path == "/crm/v8/org"
    parts = [(s.batch, s.batch_size) for s in job.steps if s.host == "upload"]
    assert parts == [(1, 25_000), (2, 25_000), (3, 10_000)]
    assert [s.path for s in job.steps[1:5]] == [
        "/crm/v8/upload",
        "/crm/bulk/v8/write",
        "/crm/bulk/v8/write/{job_id}",
        "{download_url}",
    ]
    assert (job.record_count, job.credits, job.polls) == (60_000, 1 + 3 * 502, 3)
    assert any("split into 3 Zoho jobs" in w for w in job.warnings)


def test_a_counted_view_settles_the_automation_warning(tmp_path: Path) -> None:
    """validate warns that automation depends on a view's count; once the org counted the
    view, that warning goes: 300 records warn nowhere, 4,000 only in the planner's words."""
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "version: 1\njobs:\n"
        "  - {name: small, kind: mass_update, module: Accounts, cvid: '11',"
        " values: {Industry: Education}}\n"
        "  - {name: large, kind: mass_update, module: Accounts, cvid: '12',"
        " values: {Industry: Education}}\n"
        "  - {name: unknown, kind: mass_update, module: Accounts, cvid: '13',"
        " values: {Industry: Education}}\n",
        encoding="utf-8",
    )
    checked = load_manifests([path])
    assert [w.rule for w in checked.warnings] == ["cvid-skips-automation"] * 3
    counts = {("Accounts", "11"): 300, ("Accounts", "12"): 4_000}
    plan = build_plan(
        checked.manifests, warnings=checked.warnings, facts=OrgFacts("1", cvid_counts=counts)
    )
    assert [w.path for w in plan.warnings] == ["jobs[2].cvid"]  # the view not counted
    assert [len(j.warnings) for j in plan.jobs] == [0, 1, 0]
    assert plan.jobs[1].warnings[0].startswith("4,000 records: a cvid job over 1,000 records")
    offline = build_plan(checked.manifests, warnings=checked.warnings)
    assert len(offline.warnings) == 3
    assert "depends on the view's count" in offline.warnings[0].message


def test_ids_jobs_carry_every_id() -> None:
    """A mass job by ids carries all its ids, in order, for the JSON plan; others none."""
    plan = _plan(_update(ids=_ids(1_201)), _update("view", cvid="7"))
    assert plan.jobs[0].ids == _ids(1_201)
    assert plan.jobs[1].ids == ()
