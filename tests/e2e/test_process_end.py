"""A command's process ends without the interpreter's teardown (runner.cli._end_process,
issue 13), and loses nothing by it: its output is all there, its exit code is main's, and
atexit's handlers have run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

# A handler registered as a library would (logging registers one); it writes a file.
PROBE = """\
import atexit, sys
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("ran"))
sys.argv = ["zcrm-runner", *sys.argv[2:]]
from runner.cli import entry
raise SystemExit(entry())
"""


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    marker = tmp_path / "atexit.txt"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(marker), *args], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
    )  # fmt: skip
    return done, marker


def test_output_code_and_atexit_survive_the_quick_end(tmp_path: Path) -> None:
    """`schema jobs` prints a whole schema (stdout, buffered into a pipe) and exits 0."""
    done, marker = _run(tmp_path, "schema", "jobs")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("}")
    assert '"$schema"' in done.stdout
    assert marker.read_text() == "ran"


def test_an_error_exit_keeps_its_code_and_message(tmp_path: Path) -> None:
    """`validate` of a missing file: exit 1, the problem on stderr, the handler run."""
    done, marker = _run(tmp_path, "validate", str(tmp_path / "missing.yaml"))
    assert done.returncode == 1
    assert "file not found (file-missing)" in done.stderr
    assert marker.read_text() == "ran"


def test_a_stdout_closed_from_the_start(tmp_path: Path) -> None:
    """`validate ... >&-`: no stdout at all, the verdict on stderr, exit 0 as before."""
    marker = tmp_path / "atexit.txt"
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-c", PROBE, str(marker),
         "validate", "jobs.example.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 file valid" in done.stderr
    assert marker.read_text() == "ran"
