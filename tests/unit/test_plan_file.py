"""Saved plans: round trip, schema check on load, and stale detection for apply --plan."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from runner.errors import StalePlanError
from runner.manifest.model import BulkWriteJob, Manifest, MassDeleteJob, MassUpdateJob
from runner.manifest.problems import Problem
from runner.plan.build import build_plan
from runner.plan.file import check_fresh, ensure_fresh, load_plan, save_plan
from runner.plan.model import OrgFacts, Plan
from runner.refs import sha256_file


def _manifest(tmp_path: Path, text: str = "version: 1\n") -> Manifest:
    path = tmp_path / "jobs.yaml"
    path.write_text(text, encoding="utf-8")
    csv_file = tmp_path / "leads.csv"
    if not csv_file.exists():
        csv_file.write_text("Last_Name\nBoyle\n", encoding="utf-8")
    jobs = (
        MassUpdateJob(name="u", module="Deals", ids=("1", "2"), values={"Type": "New Business"}),
        MassDeleteJob(name="d", module="Leads", cvid="554023000000091999", needs=("u",)),
        BulkWriteJob(name="w", module="Leads", operation="insert", file=csv_file),
    )
    return Manifest(path=path, sha256=sha256_file(path), version=1, jobs=jobs)


def _plan(manifest: Manifest, facts: OrgFacts | None = None) -> Plan:
    warning = Problem("jobs.yaml", 3, 1, "jobs[0]", "w", "r", "f", severity="warning")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    return build_plan([manifest], warnings=[warning], facts=facts, now=now)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved plan loads back equal, with each manifest's and data file's sha256."""
    manifest = _manifest(tmp_path)
    facts = OrgFacts("554023000000046001", cvid_counts={("Leads", "554023000000091999"): 30})
    plan = _plan(manifest, facts)
    save_plan(plan, tmp_path / "plan.json")
    loaded = load_plan(tmp_path / "plan.json")
    assert loaded == plan
    data = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert data["manifests"] == [{"path": str(manifest.path), "sha256": manifest.sha256}]
    assert data["inputs"][0]["sha256"] == sha256_file(tmp_path / "leads.csv")


def test_fresh_plan_has_nothing_moved(tmp_path: Path) -> None:
    """Nothing changed: check_fresh returns no findings and ensure_fresh passes."""
    manifest = _manifest(tmp_path)
    plan = _plan(manifest)
    assert check_fresh(plan, [manifest]) == []
    ensure_fresh(plan, [manifest])


def test_changed_manifest_and_data_file_are_stale(tmp_path: Path) -> None:
    """An edited manifest and an edited CSV are both named as moved."""
    plan = _plan(_manifest(tmp_path))
    (tmp_path / "leads.csv").write_text("Last_Name\nOther\n", encoding="utf-8")
    edited = _manifest(tmp_path, "version: 1\n# edited\n")
    moved = check_fresh(plan, [edited])
    assert moved == [
        f"{tmp_path / 'jobs.yaml'}: changed since the plan (sha256 differs)",
        f"{tmp_path / 'leads.csv'}: changed since the plan (sha256 differs)",
    ]
    with pytest.raises(StalePlanError, match=r"the saved plan is stale: .*jobs\.yaml: changed"):
        ensure_fresh(plan, [edited])


def test_missing_files_are_stale(tmp_path: Path) -> None:
    """A manifest that is gone and a data file that is gone are reported as missing."""
    manifest = _manifest(tmp_path)
    plan = _plan(manifest)
    manifest.path.unlink()
    (tmp_path / "leads.csv").unlink()
    assert check_fresh(plan, []) == [
        f"{manifest.path}: missing",
        f"{tmp_path / 'leads.csv'}: missing",
    ]


def test_other_org_or_other_counts_are_stale(tmp_path: Path) -> None:
    """Online: another target org, or a view whose count changed, makes the plan stale."""
    manifest = _manifest(tmp_path)
    key = ("Leads", "554023000000091999")
    plan = _plan(manifest, OrgFacts("1", cvid_counts={key: 30}))
    assert check_fresh(plan, [manifest], facts=OrgFacts("1", cvid_counts={key: 30})) == []
    assert check_fresh(plan, [manifest], facts=OrgFacts("2", cvid_counts={key: 31})) == [
        "target: plan made for 1, now 2",
        "d: custom view 554023000000091999 held 30 records at plan time, now 31",
    ]


def test_load_refuses_other_versions_and_broken_files(tmp_path: Path) -> None:
    """A plan of another format version, an invalid plan or non-JSON is refused clearly."""
    path = tmp_path / "plan.json"
    save_plan(_plan(_manifest(tmp_path)), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format_version": 9}), encoding="utf-8")
    with pytest.raises(StalePlanError, match="format_version 9, this runner reads 1"):
        load_plan(path)
    data["jobs"][0]["steps"][0]["method"] = "DELETE"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StalePlanError, match="not a valid plan at jobs/0/steps/0/method"):
        load_plan(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(StalePlanError, match=r"not a saved plan \(not JSON"):
        load_plan(path)
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(StalePlanError, match=r"not a saved plan \(not UTF-8 text\)"):
        load_plan(path)
    with pytest.raises(StalePlanError, match="is a folder, not a saved plan; make one with"):
        load_plan(tmp_path)
    with pytest.raises(StalePlanError, match="no such file; make one with"):
        load_plan(tmp_path / "missing.json")


def test_data_files_are_pinned_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the working directory a data file is saved by its relative path."""
    monkeypatch.chdir(tmp_path)
    plan = _plan(_manifest(tmp_path))
    assert [ref.path for ref in plan.inputs] == ["leads.csv"]
    assert check_fresh(plan, [_manifest(tmp_path)]) == []


def test_a_plan_names_the_runner_version_that_made_it(tmp_path: Path) -> None:
    """The saved JSON carries runner.__version__, and it loads back into the Plan."""
    from runner import __version__

    path = tmp_path / "plan.json"
    save_plan(_plan(_manifest(tmp_path)), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["runner_version"] == __version__
    assert list(data)[:3] == ["format_version", "runner_version", "created_at"]
    assert load_plan(path).runner_version == __version__


def test_plan_identity_is_its_content_not_its_bytes(tmp_path: Path) -> None:
    """A re-indented copy has the same identity; the same manifests planned at another
    time make another plan."""
    from runner.plan.codec import plan_identity

    manifest = _manifest(tmp_path)
    plan = _plan(manifest)
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    assert plan_identity(load_plan(path)) == plan_identity(load_plan(copy)) == plan_identity(plan)
    later = replace(plan, created_at="2026-01-02T03:04:06+00:00")
    assert plan_identity(later) != plan_identity(plan)
    assert len(plan_identity(plan)) == 64


@pytest.mark.parametrize(
    ("age", "limit", "refused"),
    [(3599, 3600, False), (3600, 3600, True), (0, 0, True), (-299, 60, False), (-301, 60, True)],
)
def test_ensure_recent_refuses_from_the_limit_on(
    tmp_path: Path, age: int, limit: float, refused: bool
) -> None:
    """A plan is refused once its age reaches the limit, and when it comes from the future
    by more than five minutes of clock skew."""
    from datetime import timedelta

    from runner.plan.file import ensure_recent

    plan = _plan(_manifest(tmp_path))
    now = datetime.fromisoformat(plan.created_at) + timedelta(seconds=age)
    if refused:
        with pytest.raises(StalePlanError):
            ensure_recent(plan, tmp_path / "p.json", max_age=limit, now=now)
    else:
        ensure_recent(plan, tmp_path / "p.json", max_age=limit, now=now)


def test_human_duration_shows_the_two_largest_units() -> None:
    """Ages read as --deadline is written: 1d2h, 3h5m, 42s, 0s."""
    from runner.plan.file import human_duration

    assert [human_duration(s) for s in (93_600 + 59, 11_100, 42, 0, 86_400, 60)] == [
        "1d2h", "3h5m", "42s", "0s", "1d", "1m",
    ]  # fmt: skip
