"""The CI examples agree with each other and with the runner: marker, names, versions;
the GitLab file's shell is checked (shellcheck when installed, else `bash -n`), as
actionlint checks the GitHub ones in .ci/run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.plan.render_markdown import MARKER_PREFIX

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github"
GITLAB = ROOT / "examples" / "ci" / "gitlab" / "zcrm.gitlab-ci.yml"


def _load(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_every_example_finds_its_comment_by_the_runners_marker() -> None:
    """The marker the shell looks for is the one `plan --comment-marker` writes."""
    wanted = f'marker="{MARKER_PREFIX}$ZCRM_TARGET -->"'
    for path in (GITHUB / "zcrm-plan.yml", GITLAB):
        assert wanted in path.read_text(encoding="utf-8"), path.name


def test_the_workflows_name_each_other_and_pin_one_runner() -> None:
    """Each workflow names the other by its `name:`, and all three files install the same
    zcrm-runner for the same target (a plan is applied by the version that made it)."""
    plan, apply = _load(GITHUB / "zcrm-plan.yml"), _load(GITHUB / "zcrm-apply.yml")
    assert plan["env"]["ZCRM_APPLY_WORKFLOW"] == apply["name"]
    assert apply["env"]["ZCRM_PLAN_WORKFLOW"] == plan["name"]
    gitlab = _load(GITLAB)["variables"]
    for key in ("ZCRM_RUNNER", "ZCRM_TARGET"):
        assert plan["env"][key] == apply["env"][key] == gitlab[key], key
    assert apply["env"]["ZCRM_MAX_PLAN_AGE"] == gitlab["ZCRM_MAX_PLAN_AGE"]


def test_the_apply_downloads_what_the_plan_uploads() -> None:
    """Artifact names: the plan's `zcrm-plan-TARGET`, the journal's `zcrm-journal-TARGET`."""
    plan_text = (GITHUB / "zcrm-plan.yml").read_text(encoding="utf-8")
    apply_text = (GITHUB / "zcrm-apply.yml").read_text(encoding="utf-8")
    assert "name: zcrm-plan-${{ env.ZCRM_TARGET }}" in plan_text
    assert '--name "zcrm-plan-$ZCRM_TARGET"' in apply_text
    assert "name: zcrm-journal-${{ env.ZCRM_TARGET }}" in apply_text
    for text in (plan_text, apply_text):
        assert '--name "zcrm-journal-$ZCRM_TARGET"' in text


def _gitlab_scripts() -> list[tuple[str, str]]:
    """Each job's shell as GitLab runs it: before_script (from extends), script, after_script."""
    jobs = _load(GITLAB)
    out = []
    for name, job in jobs.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        base = jobs.get(job.get("extends", ""), {})
        before = job.get("before_script", base.get("before_script", []))
        out.append((name, "\n".join([*before, *job["script"]])))
        if "after_script" in job:
            out.append((f"{name}.after_script", "\n".join(job["after_script"])))
    return out


@pytest.mark.parametrize(("job", "script"), _gitlab_scripts(), ids=lambda v: v[:40])
def test_gitlab_scripts_pass_shellcheck(job: str, script: str, tmp_path: Path) -> None:
    """GitLab runs these lines with bash; shellcheck (or at least bash -n) accepts them."""
    path = tmp_path / f"{job}.sh"
    path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script + "\n", encoding="utf-8")
    checker = shutil.which("shellcheck")
    command = [checker, "-s", "bash", str(path)] if checker else ["bash", "-n", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
