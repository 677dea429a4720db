"""`validate` runs on every commit (the pre-commit hook), so its process imports only what
checking a manifest needs: nothing of apply, plan, the reports or the simulator, and
Jinja2 only for a manifest with templates (bench/validate_cli.py times it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

NOT_FOR_VALIDATE = (
    "httpx", "httpcore", "starlette", "uvicorn", "rich", "sqlite3", "runner.simulator",
    "runner.execute", "runner.zoho.client", "runner.plan", "runner.report",
)  # fmt: skip
PLAIN = """\
version: 1
jobs:
  - {name: a, kind: mass_delete, module: Leads, cvid: "554023000000091999"}
"""
PROBE = """\
import json, sys
from runner.cli import main
code = main(["validate", *sys.argv[1:]])
print(json.dumps({"code": code, "modules": sorted(m for m, v in sys.modules.items() if v)}))
"""
# `apply`'s command module, as the CLI imports it: a None entry in sys.modules is an import
# refused (runner/__init__.py refuses httpx's optional command line), not a module.
APPLY_PROBE = """\
import json, sys
import runner.cli, runner.commands.apply
print(json.dumps(sorted(m for m, v in sys.modules.items() if v)))
"""


def _modules(*args: str, cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
        check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["code"] == 0, done.stderr
    return set(report["modules"])


def _probed(probe: str) -> set[str]:
    """The modules a fresh interpreter holds after running `probe` (it prints them)."""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
        check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return set(json.loads(done.stdout))


def _unwanted(modules: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == b or m.startswith(b + ".") for b in banned))


def test_validate_imports_nothing_apply_or_the_simulator_needs() -> None:
    """validate of jobs.example.yaml (templates, ids file, CSV) stays in runner.manifest."""
    modules = _modules("jobs.example.yaml", cwd=ROOT)
    assert "runner.manifest.validate" in modules
    assert _unwanted(modules, NOT_FOR_VALIDATE) == []


def test_validate_without_templates_does_not_import_jinja2(tmp_path: Path) -> None:
    """A manifest with no `{{ }}` is checked without importing Jinja2 at all."""
    (tmp_path / "plain.yaml").write_text(PLAIN, encoding="utf-8")
    modules = _modules("plain.yaml", cwd=tmp_path)
    assert _unwanted(modules, (*NOT_FOR_VALIDATE, "jinja2")) == []


def test_apply_imports_neither_httpx_command_line_nor_rich() -> None:
    """apply needs httpx but not its command line (click, pygments, rich), and rich only for
    progress bars on a terminal (issue 13: ~40 ms of a 50,000-id apply's start)."""
    modules = _probed(APPLY_PROBE)
    assert "httpx" in modules
    assert _unwanted(modules, ("httpx._main", "click", "pygments", "rich")) == []


def test_apply_imports_a_driver_only_for_its_jobs() -> None:
    """The drivers are imported when a run's jobs need them (runner.execute.drivers): the
    command module alone imports no job kind's driver, and a run of mass updates never
    the bulk write one (the bulk read one comes in with backups, which export views)."""
    probe = APPLY_PROBE.replace(
        "import runner.cli, runner.commands.apply",
        "import runner.cli, runner.commands.apply, runner.execute.session\n"
        "from runner.execute.drivers import DRIVERS\n"
        "assert 'runner.execute.drivers.mass' not in sys.modules\n"
        "DRIVERS['mass_update']",
    )
    modules = _probed(probe)
    assert "runner.execute.drivers.mass" in modules
    assert _unwanted(modules, ("runner.execute.drivers.bulk_write", "runner.plan.csvparts")) == []
