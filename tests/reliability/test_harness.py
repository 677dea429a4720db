"""The soak harness's own logic, without sockets: scenarios are pure functions of their
seed, the short version covers what it promises, and the checks call what they see by
its name (a doubled job, a wrong count) and accept an honest report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.manifest.validate import load_manifests
from tests.reliability.checks import check_ids_job, check_zoho_job
from tests.reliability.harness import Command
from tests.reliability.scenario import IDS_COUNT, SHORT_NEEDS, make_scenario, short_seeds
from tests.reliability.summary import soak_seeds

pytestmark = pytest.mark.reliability


def test_a_scenario_is_a_function_of_its_seed() -> None:
    """The same seed gives the same scenario; another seed gives another."""
    assert make_scenario(7) == make_scenario(7)
    assert make_scenario(7) != make_scenario(8)


@pytest.mark.parametrize("seed", range(6))
def test_every_manifest_is_valid_and_one_zoho_job_per_view_job(seed: int, tmp_path: Path) -> None:
    """1,200 distinct ids within the org; view jobs on distinct (kind, module); it validates."""
    s = make_scenario(seed)
    assert len(set(s.ids)) == IDS_COUNT
    assert all(int(i[-9:]) <= s.records and i.startswith("554023003") for i in s.ids)
    assert len({(v.kind, v.module) for v in s.views}) == len(s.views) >= 3
    checked = load_manifests([s.write(tmp_path)])
    assert [j.name for j in checked.manifests[0].jobs] == [j["name"] for j in s.manifest()["jobs"]]


def test_short_version_covers_each_need_once() -> None:
    """The short seeds are stable and each meets its need (kill mid-run and each path)."""
    picked = short_seeds(1)
    assert picked == short_seeds(1)
    assert len({seed for seed, _ in picked}) == len(SHORT_NEEDS)
    for (seed, why), (need_why, need) in zip(picked, SHORT_NEEDS, strict=True):
        assert why == need_why
        assert need(make_scenario(seed))
    assert {make_scenario(seed).recovery for seed, _ in picked} == {"resume", "apply", "both"}


def test_soak_seeds_from_the_environment() -> None:
    """ZCRM_SOAK_CYCLES N runs N seeds from ZCRM_SOAK_SEED; without it, the short seeds."""
    assert soak_seeds({"ZCRM_SOAK_SEED": "40", "ZCRM_SOAK_CYCLES": "3"}) == [40, 41, 42]
    assert soak_seeds({"ZCRM_SOAK_SEED": "89", "ZCRM_SOAK_CYCLES": "1"}) == [89]
    assert soak_seeds({}) == [seed for seed, _ in short_seeds(1)]


def test_command_reads_run_id_and_resume_hint() -> None:
    """A run id comes from the run line or report path; a hint from `zcrm-runner resume`."""
    apply = Command(
        ["apply"], 0, 1.0, stderr="run 2026-ab on org 1 (x)\nreport: reports/2026-ab/report.md\n"
    )
    refused = Command(
        ["apply"],
        1,
        1.0,
        stderr="zcrm-runner: run R1 is unfinished; finish it with: zcrm-runner resume R1 --yes\n",
    )
    assert (apply.run_id, apply.resume_hint, apply.done) == ("2026-ab", None, True)
    assert (refused.run_id, refused.resume_hint, refused.done) == (None, "R1", False)


def _zoho(job_id: str, total: int = 10, ok: int = 9) -> dict[str, Any]:
    counts = {"total": total, "processed": total, "succeeded": ok, "failed": total - ok}
    return {
        "id": job_id,
        "kind": "mass_update",
        "module": "Deals",
        "state": "COMPLETED",
        "created_at": "t",
        "counts": counts,
    }


def _said(ids: list[str], status: str = "PARTIAL", **counts: int) -> dict[str, Any]:
    return {"status": status, "zoho_job_ids": ids, "counts": counts, "errors": []}


def test_view_job_checks() -> None:
    """Two Zoho jobs: doubled; none and silent: missing; counts differ: wrong count; a
    report saying OUTCOME_UNKNOWN is a note, not a failure."""
    one, two = _zoho("J1"), _zoho("J2")
    good = _said(["J1"], total=10, succeeded=9, failed=1)
    assert check_zoho_job("d", "mass_update", "Deals", good, [one]) == []
    assert [f.category for f in check_zoho_job("d", "mass_update", "Deals", good, [one, two])] == [
        "doubled job"
    ]
    silent = _said([], "COMPLETED", total=0, succeeded=0, failed=0)
    assert [f.category for f in check_zoho_job("d", "mass_update", "Deals", silent, [])] == [
        "missing job"
    ]
    said_so = {**_said([], "FAILED"), "errors": [{"code": "INVALID_TOKEN"}]}
    assert check_zoho_job("d", "mass_update", "Deals", said_so, []) == []
    unknown = {**_said([], "FAILED"), "errors": [{"code": "OUTCOME_UNKNOWN"}]}
    told = check_zoho_job("d", "mass_update", "Deals", unknown, [one])
    assert [f.category for f in told] == ["reported unknown"]
    off = _said(["J1"], total=10, succeeded=10, failed=0)
    assert [f.category for f in check_zoho_job("d", "mass_update", "Deals", off, [one])] == [
        "wrong count"
    ]


def test_ids_job_checks() -> None:
    """A plain record without the value is a lost update; counts must equal the org's."""
    s = make_scenario(3)
    truth = [{"id": i, "state": None, "record": {"Mailing_City": s.ids_value}} for i in s.ids]
    truth[0] = {**truth[0], "state": "locked", "record": {"Mailing_City": "old"}}
    total = len(s.ids)
    right = _said([], total=total, succeeded=total - 1, failed=1, not_processed=0)
    assert check_ids_job(s, right, truth) == []
    truth[1] = {**truth[1], "record": {"Mailing_City": "old"}}
    found = check_ids_job(s, right, truth)
    assert [f.category for f in found] == ["lost update", "wrong count"]


def test_view_job_settled_from_evidence_checks() -> None:
    """A job settled from the view's records names no Zoho job (its id was in the lost
    answer): counted, it must match the org's job; 'counts unknown' is a note when its
    total is the view's, a wrong count otherwise."""
    one = _zoho("J1")
    counted = _said([], total=10, succeeded=9, failed=1, sampled=10, changed=9)
    assert check_zoho_job("d", "mass_update", "Deals", counted, [one]) == []
    miscounted = _said([], total=10, succeeded=10, failed=0, sampled=10, changed=10)
    assert [f.category for f in check_zoho_job("d", "mass_update", "Deals", miscounted, [one])] == [
        "wrong count"
    ]
    unknown = _said([], "COMPLETED", view_count=12, sampled=5, changed=5)
    told = check_zoho_job("d", "mass_update", "Deals", unknown, [one])
    assert [f.category for f in told] == ["reported unknown"]
    off = _said([], "COMPLETED", total=12, sampled=5, changed=5)
    assert [f.category for f in check_zoho_job("d", "mass_update", "Deals", off, [one])] == [
        "wrong count"
    ]
