"""The backup a destructive job takes, as the plan shows it: its reads first, their
credits in the job's total, and where the file goes (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

from runner.manifest.model import Manifest, MassDeleteJob, MassUpdateJob
from runner.plan.build import build_plan
from runner.plan.model import JobPlan, OrgFacts
from runner.plan.render_markdown import LIMIT_BYTES, render_markdown

ACCOUNTS_VIEW = "554023000000091515"


def _ids(n: int) -> tuple[str, ...]:
    return tuple(f"554023004{i:09d}" for i in range(1, n + 1))


def _job(job: MassUpdateJob | MassDeleteJob, facts: OrgFacts | None = None) -> JobPlan:
    manifest = Manifest(path=Path("jobs.yaml"), sha256="0" * 64, version=1, jobs=(job,))
    return build_plan([manifest], facts=facts).jobs[0]


def test_an_update_by_ids_reads_its_fields_by_id_first() -> None:
    """The fields' metadata, then 100 ids a GET, then the batches; numbered in order, each
    GET a credit in the job's total, the file and the opt-out in a note."""
    plan = _job(MassUpdateJob(name="won", module="Deals", ids=_ids(501), values={"Stage": "x"}))
    shape = [(s.method, s.path, s.batch, s.batch_size) for s in plan.steps]
    assert shape == [
        ("GET", "/crm/v8/settings/fields?module=Deals", None, None),
        *[("GET", "/crm/v8/Deals", n, 100) for n in range(1, 6)],
        ("GET", "/crm/v8/Deals", 6, 1),
        ("POST", "/crm/v8/Deals/actions/mass_update", 1, 500),
        ("POST", "/crm/v8/Deals/actions/mass_update", 2, 1),
    ]
    assert [s.seq for s in plan.steps] == list(range(1, 10))
    assert plan.credits == 7 + 2
    assert plan.scopes == (
        "ZohoCRM.mass_update.deals.UPDATE",
        "ZohoCRM.settings.fields.READ",
        "ZohoCRM.modules.deals.READ",
    )
    assert (
        "backup first: Stage of every id into reports/<run_id>/backups/won.csv (7 credits; "
        "`backup: false` on the job skips it)"
    ) in plan.notes


def test_a_view_is_exported_first_with_the_bulk_read_credits() -> None:
    """A job by view exports the view (50 credits a page) before it schedules; online,
    the page's size is the view's count."""
    job = MassUpdateJob(name="edu", module="Accounts", cvid=ACCOUNTS_VIEW,
                        values={"Industry": "Education"})  # fmt: skip
    facts = OrgFacts("1", cvid_counts={("Accounts", ACCOUNTS_VIEW): 240})
    plan = _job(job, facts)
    purposes = [s.purpose for s in plan.steps]
    assert purposes[:4] == [
        "backup: read the module's fields (which are writable, their types)",
        "backup: export, page 1",
        "backup: poll the export until COMPLETED",
        "backup: download the zipped CSV",
    ]
    assert purposes[4] == "schedule a mass update job"
    assert plan.steps[1].batch_size == 240
    assert plan.credits == 1 + 50 + 1 + 1
    assert any("a bulk read of the view (Industry)" in n for n in plan.notes)
    assert {"ZohoCRM.bulk.read", "ZohoCRM.modules.accounts.READ"} <= set(plan.scopes)


def test_a_delete_by_ids_exports_the_module_kept_to_its_ids() -> None:
    """Whole records need an export: of the module, since an export cannot name ids."""
    plan = _job(MassDeleteJob(name="d", module="Leads", ids=_ids(3)))
    assert plan.steps[1].body_summary == "query: module: Leads, fields: all"
    note = next(n for n in plan.notes if n.startswith("backup first"))
    assert "the module, kept to the job's ids (every field)" in note
    assert "1+ pages" in note
    assert plan.credits_estimated


def test_backup_false_plans_no_read_and_says_what_that_costs() -> None:
    """Without a backup the job sends only its own calls, and the plan says revert cannot
    undo it."""
    plan = _job(MassDeleteJob(name="d", module="Leads", cvid="9", backup=False))
    assert [s.purpose for s in plan.steps] == [
        "schedule a mass delete job",
        "poll until COMPLETED or FAILED",
    ]
    assert "no backup (backup: false): `zcrm-runner revert` cannot undo it" in plan.notes


def test_markdown_of_50000_ids_with_their_backup_fits_and_shows_the_job() -> None:
    """500 backup reads and 100 batches: the job's details are cut, not dropped."""
    job = MassUpdateJob(name="big", module="Deals", ids=_ids(50_000), values={"Type": "x"})
    manifest = Manifest(path=Path("big.yaml"), sha256="b" * 64, version=1, jobs=(job,))
    text = render_markdown(build_plan([manifest]))
    assert len(text.encode()) <= LIMIT_BYTES
    assert "<details>" in text
    assert re.search(r"\| … \d\d more steps \|", text)  # 600 rows cut to what fits, said so
    assert "more jobs left out" not in text
