"""Run a GitHub Actions workflow file's jobs here, the way a runner would, for e2e tests.

The YAML is read at test time: every `run:` step is the workflow's own script, run with
`bash --noprofile --norc -eo pipefail` (GitHub's `shell: bash`) in a checkout folder,
with GitHub's variables (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, ...)
pointing at files of this run. `if:`, `env:`, `with:` and job outputs go through
gha_expr. The few actions the examples use are stood in for (`uses:` below); any other
action or key fails the test, so the workflows cannot grow past what is checked.

The other side is fake_gh.FakeGitHub: pull requests, comments, runs and their artifacts
in one JSON file that the fake `gh` (first on PATH) reads and writes.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import yaml

from tests.e2e.fake_gh import FakeGitHub
from tests.e2e.gha_expr import as_text, condition, interpolate

ROOT = Path(__file__).resolve().parents[2]
STEP_KEYS = {"name", "id", "if", "env", "run", "uses", "with"}
JOB_KEYS = {"runs-on", "needs", "if", "permissions", "outputs", "env", "steps", "timeout-minutes"}


@dataclass
class JobResult:
    result: str = "skipped"  # success, failure or skipped
    outputs: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: str = ""
    log: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # ::error:: lines


@dataclass
class RunResult:
    run_id: int
    conclusion: str
    jobs: dict[str, JobResult]
    artifacts: dict[str, Path]
    checks: list[Path]


@dataclass
class Event:
    """What triggered the run: name, payload and the commit checked out."""

    name: str
    payload: dict[str, Any]
    sha: str
    ref: str
    base_ref: str = ""
    head_sha: str = ""  # the run's head_sha: the PR head for pull_request, else `sha`
    inputs: dict[str, str] = field(default_factory=dict)


def run_workflow(
    path: Path,
    *,
    github: FakeGitHub,
    event: Event,
    workspace: Path,
    secrets: Mapping[str, str],
    variables: Mapping[str, str],
) -> RunResult:
    """Run every job of the workflow in order; record the run for the fake `gh`."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = workflow[True]  # PyYAML reads the key `on` as True
    assert event.name in triggers, f"{path.name} does not run on {event.name}"
    assert workflow.get("defaults", {}).get("run", {}).get("shell") == "bash"
    state = github.load()
    state["next_id"] += 1
    run_id = state["next_id"]
    head_branch = event.ref.removeprefix("refs/heads/") if event.name == "push" else "pr"
    record = {
        "databaseId": run_id,
        "workflowName": workflow["name"],
        "headSha": event.head_sha or event.sha,
        "headBranch": head_branch,
        "event": event.name,
        "status": "in_progress",
        "conclusion": "",
        "jobs": [],
        "artifacts": {},
    }
    state["runs"].append(record)
    github.save(state)
    base = github.root / f"run-{run_id}"
    base.mkdir()
    event_file = base / "event.json"
    event_file.write_text(json.dumps(event.payload), encoding="utf-8")
    github_ctx = {
        "repository": state["repo"],
        "sha": event.sha,
        "ref": event.ref,
        "run_id": run_id,
        "server_url": "https://github.com",
        "event_name": event.name,
        "event": event.payload,
        "token": "fake-token",
        "workflow": workflow["name"],
        "base_ref": event.base_ref,
    }
    jq_dir = os.path.dirname(shutil.which("jq") or "/usr/bin/jq")
    runner_env = {
        "PATH": f"{github.bin}:{jq_dir}:/usr/bin:/bin",
        "HOME": str(base),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "PYTHONPATH": str(ROOT),
        "FAKE_GH_STATE": str(github.state_file),
        "GITHUB_REPOSITORY": state["repo"],
        "GITHUB_SHA": event.sha,
        "GITHUB_REF": event.ref,
        "GITHUB_BASE_REF": event.base_ref,
        "GITHUB_EVENT_NAME": event.name,
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_WORKFLOW": workflow["name"],
        "GITHUB_SERVER_URL": "https://github.com",
    }
    jobs: dict[str, JobResult] = {}
    checks: list[Path] = []
    for job_id, job in workflow["jobs"].items():
        assert set(job) <= JOB_KEYS, f"{job_id}: unsupported keys {set(job) - JOB_KEYS}"
        needs = [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])
        contexts: dict[str, Any] = {
            "github": github_ctx,
            "secrets": dict(secrets),
            "vars": dict(variables),
            "inputs": dict(event.inputs),
            "env": {},
            "needs": {n: {"outputs": jobs[n].outputs, "result": jobs[n].result} for n in needs},
        }
        needs_ok = all(jobs[n].result == "success" for n in needs)
        if not condition(job.get("if"), contexts, _status(failed=not needs_ok)):
            jobs[job_id] = JobResult("skipped")
            continue
        temp = base / job_id / "temp"
        temp.mkdir(parents=True)
        env = _env(workflow.get("env", {}), contexts)
        env.update(_env(job.get("env", {}), {**contexts, "env": env}))
        result = _run_job(
            job,
            contexts,
            env,
            {**runner_env, "RUNNER_TEMP": str(temp)},
            workspace,
            record,
            base / job_id,
            checks,
        )
        jobs[job_id] = result
    conclusion = "failure" if any(j.result == "failure" for j in jobs.values()) else "success"
    state = github.load()
    for run in state["runs"]:
        if run["databaseId"] == run_id:
            run.update(status="completed", conclusion=conclusion, artifacts=record["artifacts"])
            run["jobs"] = [{"name": n, "conclusion": j.result} for n, j in jobs.items()]
    github.save(state)
    artifacts = {name: Path(p) for name, p in record["artifacts"].items()}
    return RunResult(run_id, conclusion, jobs, artifacts, checks)


def _status(*, failed: bool) -> dict[str, Callable[[], bool]]:
    """The status functions where an earlier step (or a needed job) did or did not fail;
    nothing is ever cancelled here."""
    return {
        "success": lambda: not failed,
        "failure": lambda: failed,
        "always": lambda: True,
        "cancelled": lambda: False,
    }


def _env(raw: Mapping[str, Any], contexts: Mapping[str, Any]) -> dict[str, str]:
    return {k: interpolate(as_text(v), contexts) for k, v in raw.items()}


def _run_job(
    job: dict[str, Any],
    contexts: dict[str, Any],
    env: dict[str, str],
    runner_env: dict[str, str],
    workspace: Path,
    record: dict[str, Any],
    folder: Path,
    checks: list[Path],
) -> JobResult:
    result = JobResult("success")
    contexts = {**contexts, "steps": result.steps, "runner": {"temp": runner_env["RUNNER_TEMP"]}}
    failed = False
    for n, step in enumerate(job["steps"]):
        assert set(step) <= STEP_KEYS, f"step {n}: unsupported keys {set(step) - STEP_KEYS}"
        step_id = step.get("id", f"__{n}")
        step_env = {**env, **_env(step.get("env", {}), {**contexts, "env": env})}
        here = {**contexts, "env": step_env}
        if not condition(step.get("if"), here, _status(failed=failed)):
            result.steps[step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
            continue
        if "uses" in step:
            with_ = _env(step.get("with", {}), here)
            ok = _action(step["uses"], with_, record, folder / f"step-{n}", checks)
            outputs: dict[str, str] = {}
        else:
            ok, outputs = _shell(
                step["run"], {**runner_env, **step_env}, workspace, folder / f"step-{n}", result
            )
        outcome = "success" if ok else "failure"
        result.steps[step_id] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}
        failed = failed or not ok
    result.result = "failure" if failed else "success"
    outputs_ctx = {**contexts, "env": env}
    result.outputs = {k: interpolate(v, outputs_ctx) for k, v in job.get("outputs", {}).items()}
    return result


def _shell(
    script: str, env: dict[str, str], workspace: Path, folder: Path, job: JobResult
) -> tuple[bool, dict[str, str]]:
    folder.mkdir(parents=True)
    files = {name: folder / name for name in ("output", "summary", "env")}
    for path in files.values():
        path.touch()
    (folder / "script.sh").write_text(script, encoding="utf-8")
    env = {
        **env,
        "GITHUB_OUTPUT": str(files["output"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_ENV": str(files["env"]),
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(folder / "script.sh")],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    text = done.stdout + done.stderr
    job.log.append(text)
    job.errors += [line for line in text.splitlines() if line.startswith("::error")]
    job.summary += files["summary"].read_text(encoding="utf-8")
    assert not files["env"].read_text(), "GITHUB_ENV is not stood in for"
    outputs = {}
    for line in files["output"].read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        assert sep, f"GITHUB_OUTPUT line not key=value: {line!r}"
        outputs[key] = value
    return done.returncode == 0, outputs


def _action(
    uses: str, with_: dict[str, str], record: dict[str, Any], folder: Path, checks: list[Path]
) -> bool:
    """The actions the examples use, stood in for; checkout: the test made the workspace."""
    name = uses.split("@")[0]
    if name == "actions/checkout":
        assert set(with_) <= {"persist-credentials"}
        return True
    if name == "actions/setup-python":
        assert set(with_) == {"python-version"}
        return True
    if name == "actions/upload-artifact":
        allowed = {"name", "path", "if-no-files-found", "retention-days", "overwrite"}
        assert set(with_) <= allowed, set(with_) - allowed
        source = Path(with_["path"])
        if not source.exists():
            return with_.get("if-no-files-found", "warn") != "error"
        store = folder / "artifact"
        if source.is_dir():
            shutil.copytree(source, store)
        else:
            store.mkdir(parents=True)
            shutil.copy(source, store / source.name)
        assert with_["name"] not in record["artifacts"] or with_.get("overwrite") == "true"
        record["artifacts"][with_["name"]] = str(store)
        return True
    if name == "mikepenz/action-junit-report":
        found = [Path(p) for p in glob.glob(with_["report_paths"])]
        for path in found:
            ElementTree.parse(path)  # a JUnit file that does not parse fails the test
        checks.extend(found)
        return bool(found) or with_.get("require_tests") == "false"
    raise AssertionError(f"no stand-in for the action {uses}")
