"""The pre-commit hook as a user's repository gets it, `.pre-commit-hooks.yaml` as written.

By default, offline: pre-commit itself runs the hook's definition (its `files`, `types_or`
and `pass_filenames`, its entry's arguments) on a temporary git repository, as a `local`
hook of `language: system`, with this checkout's runner. What that leaves out, pip
installing the project into the hook's own virtualenv, is what CI's own `pip install`
does every run.

`ZCRM_TEST_PACKAGE_INDEX=1` adds the whole `pre-commit try-repo`, which pip-installs the
project and its dependencies from the package index (~25 s with pip's cache warm): the
suite otherwise talks only to 127.0.0.1. The hook's repository there is always a fresh
one made from a copy of the files an install reads: CI may check out a tree without
`.git`, and on a working tree with changes try-repo snapshots only tracked files (`git add
-u`), so a new, untracked module would silently be missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

# What `pip install .` reads (pyproject.toml names README.md and the two folders)
INSTALLED = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "runner", "schemas")
INSTALL_TIMEOUT = 900  # seconds; a cold pip cache on a slow index, far above the usual ~25 s

GOOD = """\
version: 1
jobs:
  - name: education-accounts
    kind: mass_update
    module: Accounts
    cvid: "554023000000091515"
    values: {Industry: Education}
"""
BAD = """\
version: 1
jobs:
  - name: accounts
    kind: mass_update
    module: Accounts
    ids: ["554023000000400001"]
    values: {Industry: Education, Phone: "555"}
"""
WORKFLOW = "name: CI\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
PROBLEM_LINE = re.compile(r"^\S+:\d+:\d+: ")


def _git(*args: str, cwd: Path) -> None:
    identity = ["-c", "user.name=zcrm tests", "-c", "user.email=tests@example.invalid"]
    settings = ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    subprocess.run(["git", *identity, *settings, *args], cwd=cwd, env=env, check=True)


def _hook_repo(folder: Path) -> Path:
    """A one-commit git repository of this project's installable files, as they are now."""
    folder.mkdir()
    for name in INSTALLED:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, folder / name, ignore=ignore)
        else:
            shutil.copy2(source, folder / name)
    _git("init", "-q", cwd=folder)
    _git("add", "-A", cwd=folder)
    _git("commit", "-q", "-m", "snapshot for pre-commit try-repo", cwd=folder)
    return folder


def _user_repo(folder: Path) -> Path:
    """A user's repository: a good manifest, a bad one, and a workflow `files` leaves out."""
    for name, text in (
        ("jobs.yaml", GOOD),
        ("zcrm/accounts.yaml", BAD),
        (".github/workflows/ci.yml", WORKFLOW),
    ):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git("init", "-q", cwd=folder)
    _git("add", "-A", cwd=folder)
    return folder


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's home for this session, never the user's ~/.cache/pre-commit (try-repo
    itself builds the hook's environment in a store of its own, removed after the run)."""
    return tmp_path_factory.mktemp("pre-commit-home")


def _env(pre_commit_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


def _local_config(user_repo: Path) -> None:
    """The user's .pre-commit-config.yaml: our hook, as .pre-commit-hooks.yaml defines it,
    run from this checkout (`language: system`) instead of an installed virtualenv."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    command, args = hook["entry"].split(" ", 1)
    assert command == "zcrm-runner"
    local = {**hook, "language": "system", "entry": f"{sys.executable} -m runner {args}"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_the_hook_refuses_the_bad_manifest_with_its_location(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    """pre-commit runs the hook as defined on a user's repository, offline: the bad
    manifest fails with file:line:col, the good one passes, the workflow is not passed."""
    user_repo = _user_repo(tmp_path / "user")
    _local_config(user_repo)
    env = {**_env(pre_commit_home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "zcrm-runner-validate", "--all-files",
         "--color", "never", "--verbose"],
        cwd=user_repo, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    _assert_refused_with_locations(done)
    assert ".github" not in done.stdout + done.stderr  # `files` left the workflow out


@pytest.mark.skipif(
    os.environ.get("ZCRM_TEST_PACKAGE_INDEX") != "1",
    reason="pip-installs from the package index: ZCRM_TEST_PACKAGE_INDEX=1 to run it",
)
def test_try_repo_refuses_the_bad_manifest_with_its_location(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    """One try-repo run: the bad manifest fails with file:line:col, the good one passes."""
    hook_repo = _hook_repo(tmp_path / "hook")
    user_repo = _user_repo(tmp_path / "user")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo),
         "zcrm-runner-validate", "--all-files", "--color", "never"],
        cwd=user_repo, env=_env(pre_commit_home), capture_output=True, text=True,
        timeout=INSTALL_TIMEOUT, check=False,
    )  # fmt: skip
    _assert_refused_with_locations(done)


def _assert_refused_with_locations(done: subprocess.CompletedProcess[str]) -> None:
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert re.search(r"^zcrm-runner validate\.+Failed$", output, re.MULTILINE), output
    problems = {line for line in output.splitlines() if PROBLEM_LINE.match(line)}
    assert problems == {
        "zcrm/accounts.yaml:7:13: jobs[0].values: 2 fields, Accounts allows 1 "
        "(mass-update-one-field); keep 1 field or split the job (only Deals allows 3)",
        # the good manifest was checked: valid, with the warning every cvid update gets
        "jobs.yaml:6:11: warning: jobs[0].cvid: whether workflows, approvals and blueprints "
        "run depends on the view's count: a cvid job over 1,000 records runs none "
        "(cvid-skips-automation); plan --online counts the view; use ids when automation "
        "must run",
    }, output
