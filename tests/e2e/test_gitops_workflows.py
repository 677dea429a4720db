"""The example GitHub workflows (examples/ci/github/), their own shell steps run against
`sim serve` on 127.0.0.1, with a fake `gh` that keeps comments, runs and artifacts.

Pull request: each push edits the one plan comment (found by its marker), never adds
one; the plan is an artifact whose sha256 the comment carries. Merge: the reviewed plan is
applied once (report, summary, JUnit, journal artifact); a second run is refused because
the journal, restored from the first run's artifact, says the plan was applied.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from runner.plan.codec import plan_identity
from runner.plan.file import load_plan
from runner.simulator.seed import (
    SIM_CLIENT_ID,
    SIM_CLIENT_SECRET,
    SIM_READONLY_REFRESH_TOKEN,
    SIM_REFRESH_TOKEN,
)
from tests.e2e.conftest import ROOT, SimProcess, sim_serve_process
from tests.e2e.fake_gh import FakeGitHub
from tests.e2e.gha import Event, RunResult, run_workflow

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("jq") is None, reason="the fake gh hands --jq to jq"),
]

WORKFLOWS = ROOT / "examples" / "ci" / "github"
PLAN = WORKFLOWS / "zcrm-plan.yml"
APPLY = WORKFLOWS / "zcrm-apply.yml"
REPO = "acme/crm-config"
MARKER = "<!-- zcrm-runner plan: production -->"


@pytest.fixture(scope="module")
def sim() -> object:
    """One simulator for the module: each test plans against it, the merge test writes."""
    with sim_serve_process("--speed", "50") as process:
        yield process


def _github(tmp_path: Path) -> FakeGitHub:
    return FakeGitHub(tmp_path / "github", REPO, ["zcrm plan", "zcrm apply"])


def _checkout(tmp_path: Path, name: str, source: Path | None = None) -> Path:
    """A fresh checkout: jobs.example.yaml as jobs.yaml with its data files, or a copy."""
    folder = tmp_path / name
    if source is not None:
        shutil.copytree(source, folder)
        return folder
    folder.mkdir()
    shutil.copy(ROOT / "jobs.example.yaml", folder / "jobs.yaml")
    shutil.copytree(ROOT / "examples", folder / "examples", ignore=shutil.ignore_patterns("ci"))
    return folder


def _settings(sim: SimProcess) -> tuple[dict[str, str], dict[str, str]]:
    """Repository secrets and variables, as docs/GITOPS.md says to set them."""
    secrets = {
        "ZOHO_CLIENT_ID": SIM_CLIENT_ID,
        "ZOHO_CLIENT_SECRET": SIM_CLIENT_SECRET,
        "ZOHO_PLAN_REFRESH_TOKEN": SIM_READONLY_REFRESH_TOKEN,
        "ZOHO_REFRESH_TOKEN": SIM_REFRESH_TOKEN,
    }
    return secrets, {"ZOHO_API_DOMAIN": sim.base_url}


def _pull_request(github: FakeGitHub, workspace: Path, sim: SimProcess, head: str) -> RunResult:
    secrets, variables = _settings(sim)
    payload = {"pull_request": {"number": 7, "head": {"sha": head}, "base": {"ref": "main"}}}
    event = Event(
        "pull_request",
        payload,
        sha=f"merge-{head}",
        ref="refs/pull/7/merge",
        base_ref="main",
        head_sha=head,
    )
    return run_workflow(
        PLAN, github=github, event=event, workspace=workspace, secrets=secrets, variables=variables
    )


def _push(github: FakeGitHub, workspace: Path, sim: SimProcess, sha: str) -> RunResult:
    secrets, variables = _settings(sim)
    event = Event("push", {"after": sha}, sha=sha, ref="refs/heads/main")
    return run_workflow(
        APPLY, github=github, event=event, workspace=workspace, secrets=secrets, variables=variables
    )


def _hash(body: str) -> str:
    found = re.search(r"<!-- zcrm-runner plan sha256: ([0-9a-f]{64}) -->", body)
    assert found, body[:300]
    return found.group(1)


def _comment_calls(github: FakeGitHub) -> list[str]:
    """The method of every call that wrote a comment: POST or PATCH."""
    return [
        call[call.index("--method") + 1]
        for call in github.calls()
        if call[0] == "api" and "--method" in call
    ]


def test_pushes_edit_one_comment_and_the_merge_applies_the_plan_once(
    tmp_path: Path, sim: SimProcess
) -> None:
    """Three pushes (good, broken, good) leave one comment, edited each time; the merge
    applies the last reviewed plan (exit 0), and a second merge run is refused."""
    github = _github(tmp_path)
    pr = _checkout(tmp_path, "pr")
    github.open_pull(7, "a1", ["jobs.yaml"])
    first = _pull_request(github, pr, sim, "a1")
    assert first.conclusion == "success", first.jobs["plan"].log
    (comment,) = github.comments(7)
    assert comment["body"].startswith(MARKER + "\n<!-- zcrm-runner plan sha256: ")
    assert "### zcrm-runner plan for `production`" in comment["body"]
    assert "| 1 | `deals-close-won` | mass_update | Deals | ids | 12 |" in comment["body"]
    assert "target: org 554023000000046001" in comment["body"]
    summary = first.jobs["plan"].summary
    assert _hash(summary) == _hash(comment["body"])
    saved = load_plan(first.artifacts["zcrm-plan-production"] / "plan.json")
    assert plan_identity(saved) == _hash(comment["body"])

    jobs = pr / "jobs.yaml"
    good = jobs.read_text()
    jobs.write_text(good.replace("module: Deals", "module: Documents", 1))
    github.push_to_pull(7, "b2")
    broken = _pull_request(github, pr, sim, "b2")
    assert broken.conclusion == "failure"
    assert broken.jobs["plan"].steps["plan"]["outcome"] == "skipped"
    (comment,) = github.comments(7)
    assert comment["body"].startswith(MARKER + "\n")
    assert "**No plan** for b2: validation or planning failed" in comment["body"]
    assert "zcrm-plan-production" not in broken.artifacts

    jobs.write_text(good.replace("won_stage: Closed Won", "won_stage: Closed Lost"))
    github.push_to_pull(7, "c3")
    third = _pull_request(github, pr, sim, "c3")
    assert third.conclusion == "success", third.jobs["plan"].log
    (last,) = github.comments(7)
    assert last["id"] == comment["id"]
    assert 'Stage="Closed Lost"' in last["body"]
    assert _hash(last["body"]) != _hash(first.jobs["plan"].summary)
    assert _comment_calls(github) == ["POST", "PATCH", "PATCH"]

    github.merge(7, "m4")
    main = _checkout(tmp_path, "main-1", source=pr)
    applied = _push(github, main, sim, "m4")
    job = applied.jobs["apply"]
    assert applied.conclusion == "success", job.log
    assert job.steps["apply"]["outputs"]["exit_code"] == "0"
    assert f"plan sha256 {_hash(last['body'])}" in "".join(job.log)
    report = json.loads(
        next(applied.artifacts["zcrm-report-production"].glob("*/report.json")).read_text()
    )
    assert report["run"]["exit_code"] == 0
    assert {j["status"] for j in report["jobs"]} == {"COMPLETED"}
    assert job.summary.startswith(f"# zcrm-runner run `{report['run']['run_id']}`")
    assert [p.name for p in applied.checks] == ["junit.xml"]
    assert (applied.artifacts["zcrm-journal-production"] / "state.db").is_file()

    again = _push(github, _checkout(tmp_path, "main-2", source=pr), sim, "m4")
    job = again.jobs["apply"]
    assert again.conclusion == "failure"
    assert job.steps["apply"]["outputs"]["exit_code"] == "1"
    (error,) = job.errors
    assert error.startswith("::error title=zcrm-runner exited 1::zcrm-runner: ")
    assert f"this plan was already applied by run {report['run']['run_id']}" in error
    assert "**zcrm-runner exited 1**" in job.summary
    pip = github.pip_log.read_text().splitlines()
    assert set(pip) == {"-m pip install --quiet zcrm-runner==0.1.0"}


def test_a_plan_whose_data_file_moved_is_refused_at_merge(tmp_path: Path, sim: SimProcess) -> None:
    """main changed a data file after the review: apply refuses, naming the file, and the
    job fails with that one line."""
    github = _github(tmp_path)
    pr = _checkout(tmp_path, "pr")
    github.open_pull(7, "a1", ["examples/deal_ids.csv"])
    assert _pull_request(github, pr, sim, "a1").conclusion == "success"
    github.merge(7, "m2")
    main = _checkout(tmp_path, "main", source=pr)
    ids = main / "examples" / "deal_ids.csv"
    ids.write_text("\n".join(ids.read_text().splitlines()[:-1]) + "\n")
    job = _push(github, main, sim, "m2").jobs["apply"]
    assert job.result == "failure"
    (error,) = job.errors
    assert error == (
        "::error title=zcrm-runner exited 1::zcrm-runner: the saved plan is stale: "
        "examples/deal_ids.csv: changed since the plan (sha256 differs)"
    )


def test_a_pull_request_without_manifests_is_neither_planned_nor_applied(
    tmp_path: Path, sim: SimProcess
) -> None:
    """No changed file matches ZCRM_PATHS: the plan job is skipped (a passed check), no
    comment is made, and the merge applies nothing; a push from no pull request neither."""
    github = _github(tmp_path)
    workspace = _checkout(tmp_path, "pr")
    github.open_pull(7, "a1", ["README.md"])
    run = _pull_request(github, workspace, sim, "a1")
    assert (run.conclusion, run.jobs["plan"].result) == ("success", "skipped")
    assert github.comments(7) == []
    github.merge(7, "m2")
    merged = _push(github, workspace, sim, "m2")
    assert merged.conclusion == "success"
    assert merged.jobs["apply"].steps["apply"]["outcome"] == "skipped"
    assert "changed no manifests (plan job: skipped)" in "".join(merged.jobs["apply"].log)
    direct = _push(github, workspace, sim, "d3")
    assert direct.conclusion == "success"
    assert "d3 came from no merged pull request" in "".join(direct.jobs["apply"].log)


def test_a_plan_too_long_for_a_comment_is_cut_and_whole_in_the_summary(
    tmp_path: Path, sim: SimProcess
) -> None:
    """8 jobs × 100 batches (and 500 backup reads each): the comment stays under 60,000
    bytes with a note linking the run; the step summary holds every batch; both carry the
    artifact's sha256."""
    github = _github(tmp_path)
    pr = tmp_path / "pr"
    (pr / "data").mkdir(parents=True)
    ids = [f"554023004{n:09d}" for n in range(1, 50_001)]
    (pr / "data" / "ids.csv").write_text("id\n" + "\n".join(ids) + "\n")
    jobs = "".join(
        f"  - name: deals-{n:02d}\n    kind: mass_update\n    module: Deals\n"
        f"    ids_file: data/ids.csv\n    values: {{Stage: Closed Won}}\n"
        for n in range(8)
    )
    (pr / "jobs.yaml").write_text(f"version: 1\njobs:\n{jobs}")
    github.open_pull(7, "a1", ["jobs.yaml", "data/ids.csv"])
    run = _pull_request(github, pr, sim, "a1")
    assert run.conclusion == "success", run.jobs["plan"].log
    (comment,) = github.comments(7)
    body = comment["body"]
    assert len(body.encode()) <= 60_000
    assert "| 8 | `deals-07` | mass_update | Deals | ids | 50,000 | 601 |" in body
    assert re.search(r"\| … [\d,]+ more (batches|steps) \|", body)
    assert (
        "> This plan was cut to fit 60,000 bytes: every job is counted above, and the whole "
        "plan is in the step summary and the plan artifact of "
        f"[this run](https://github.com/{REPO}/actions/runs/{run.run_id})." in body
    )
    summary = run.jobs["plan"].summary
    assert summary.count("| POST | /crm/v8/Deals/actions/mass_update |") == 800
    assert "[!NOTE]" not in summary
    saved = load_plan(run.artifacts["zcrm-plan-production"] / "plan.json")
    assert _hash(body) == _hash(summary) == plan_identity(saved)
