"""The apply-time preflight (issue 9): folders made and proven writable before anything
is sent, an existing output announced and replaced atomically, and every refusal naming
its option or job; no path a user can type ends in an internal error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from runner import cli
from runner.commands import _preflight as preflight
from runner.commands import _reports
from runner.errors import ManifestError, UsageError
from runner.execute import session
from runner.execute.drivers import bulk_read
from runner.manifest.validate import load_manifests

EXPORT = """version: 1
jobs:
  - name: export
    kind: bulk_read
    module: Leads
    fields: [Last_Name]
    output: {out}
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    for key in [k for k in os.environ if k.startswith("ZOHO_")]:
        monkeypatch.delenv(key)
    return tmp_path


def manifest(out: str = "exports/x.csv") -> Path:
    path = Path("m.yaml")
    path.write_text(EXPORT.format(out=out), encoding="utf-8")
    return path


def test_a_dir_under_a_file_is_refused_naming_the_option(here: Path) -> None:
    """`--report-dir afile/reports` says afile is a file; nothing is created."""
    Path("afile").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        preflight.prepare_dir(Path("afile/reports"), "--report-dir afile/reports")
    assert str(caught.value) == (
        "--report-dir afile/reports: afile is a file, so no folder can be made under it; "
        "name a folder you may write in"
    )
    assert Path("afile").read_text(encoding="utf-8") == "x"


def test_a_dir_that_is_a_file_is_refused(here: Path) -> None:
    """A --state-dir naming a file is refused as such, without touching it."""
    Path("state").write_text("x", encoding="utf-8")
    assert preflight.dir_problem(Path("state")) == "state is a file, not a folder"


def test_probe_folders_are_removed_unless_kept(here: Path) -> None:
    """A folder made only for the probe goes again; a kept one stays, with no probe left."""
    assert preflight.dir_problem(Path("a/b/c")) is None
    assert not Path("a").exists()
    assert preflight.dir_problem(Path("a/b/c"), keep=True) is None
    assert Path("a/b/c").is_dir()
    assert list(Path("a/b/c").iterdir()) == []


def test_a_folder_that_takes_no_file_is_named(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder where the probe cannot be created (no permission) is named, with why."""

    def refuse(**_: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(preflight.tempfile, "mkstemp", refuse)
    Path("reports").mkdir()
    assert preflight.dir_problem(Path("reports")) == (
        "cannot write in the folder reports: Permission denied"
    )


def test_an_existing_output_is_announced_with_its_size(here: Path) -> None:
    """outputs_ready says which files the run replaces, and how big they are now."""
    Path("exports").mkdir()
    Path("exports/x.csv").write_text("a" * 12345, encoding="utf-8")
    manifests = load_manifests([manifest()]).manifests
    assert preflight.outputs_ready(manifests) == [
        "export: replaces exports/x.csv (12,345 bytes, kept in the run's backups)"
    ]


def test_an_output_folder_blocked_after_validation_is_located(here: Path) -> None:
    """A file put where the output's folder goes, after loading, is a located problem."""
    manifests = load_manifests([manifest("out/x.csv")]).manifests
    Path("out").write_text("x", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        preflight.outputs_ready(manifests)
    assert [str(p) for p in caught.value.problems] == [
        "m.yaml:3:5: jobs[0].output: out is a file, not a folder (output-writable); make the "
        "folder writable, or write the output elsewhere in the manifest's folder"
    ]


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("m.yaml", "m.yaml is the manifest m.yaml"),
        ("exports/x.csv", "exports/x.csv is the output of job export"),
        (".zcrm/plan.json", ".zcrm/plan.json is inside the state dir .zcrm, where the journal is"),
        ("afile/plan.json", "afile is a file, not a folder"),
        ("sub", "sub is a folder, not a file"),
        ("a\0b.json", "a path cannot hold a NUL byte"),
    ],
)
def test_plan_out_refuses_what_it_would_clobber_or_cannot_make(
    here: Path, out: str, why: str
) -> None:
    """plan --out never overwrites a manifest, an output or the journal's folder."""
    Path("afile").write_text("x", encoding="utf-8")
    Path("sub").mkdir()
    manifests = load_manifests([manifest()]).manifests
    with pytest.raises(UsageError) as caught:
        preflight.prepare_out(Path(out), manifests, state_dir=Path(".zcrm"))
    assert str(caught.value) == (
        f"--out {out}: {why}; name a new .json file in a folder you may write"
    )


def test_apply_replaces_an_existing_output_atomically(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The old file is swapped whole for the new CSV (a new inode; a hard link to the old
    one keeps the old bytes), and apply said so before it started."""
    Path("exports").mkdir()
    Path("exports/x.csv").write_text("old,data\n", encoding="utf-8")
    os.link("exports/x.csv", "old.csv")
    assert cli.main(["apply", str(manifest()), "--sim"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("export: replaces exports/x.csv (9 bytes, kept in the run's backups)\n")
    assert Path("old.csv").read_text(encoding="utf-8") == "old,data\n"
    assert Path("exports/x.csv").read_text(encoding="utf-8").startswith("Id,Last_Name\n")
    assert not list(Path("exports").glob(".*"))  # no temp file left beside it


def test_an_output_that_cannot_be_written_fails_the_job_not_the_process(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A disk filling up mid-run fails the export with the reason, and reports are written."""

    def full(*_: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk_read, "join_csv", full)
    assert cli.main(["apply", str(manifest()), "--sim"]) == 1
    err = capsys.readouterr().err
    assert "OUTPUT_NOT_WRITTEN" in err
    assert "internal error" not in err
    (report,) = list(Path("reports").glob("*/report.json"))
    assert "No space left on device; the pages are kept in" in report.read_text(encoding="utf-8")


def test_a_report_that_cannot_be_written_is_a_clear_error(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure writing the reports names the folder and the run, not an internal error."""

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_reports, "write_reports", full)
    assert cli.main(["apply", str(manifest()), "--sim"]) == 1
    err = capsys.readouterr().err
    assert "its report could not be written in reports: No space left on device" in err
    assert "internal error" not in err


def test_a_sim_run_that_breaks_prints_no_resume_hint(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An in-process simulator run cannot be resumed, so an internal error never says so."""

    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(session.Execution, "run", broken)
    assert cli.main(["apply", str(manifest()), "--sim"]) == 1
    err = capsys.readouterr().err
    assert "interrupted" in err
    assert "resume" not in err


def test_a_crash_log_is_private_and_in_the_state_dir(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An internal error's traceback goes to a 0600 file in the state dir, which the
    message names; nothing lands in the shared temp folder."""

    def broken(**_: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "_command", lambda name: broken)
    assert cli.main(["runs", "--state-dir", "state"]) == 1
    (log,) = list(Path("state").glob("crash-*.log"))
    assert os.stat(log).st_mode & 0o777 == 0o600
    assert "RuntimeError: a bug" in log.read_text(encoding="utf-8")
    assert f"traceback in {log}" in capsys.readouterr().err
    assert list((here / "tmp").iterdir()) == []


def test_a_crash_log_falls_back_to_a_private_temp_file(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the state dir unusable (under a file), the log is a fresh 0600 temp file."""

    def broken(**_: object) -> int:
        raise RuntimeError("a bug")

    Path("afile").write_text("x", encoding="utf-8")
    monkeypatch.setattr(cli, "_command", lambda name: broken)
    assert cli.main(["runs", "--state-dir", "afile/state"]) == 1
    (log,) = list((here / "tmp").iterdir())
    assert log.name.startswith("zcrm-runner-crash-")
    assert os.stat(log).st_mode & 0o777 == 0o600
    assert f"traceback in {log}" in capsys.readouterr().err


def test_two_crash_logs_never_share_a_name(here: Path) -> None:
    """Each crash gets its own file, so a name cannot be guessed or planted beforehand."""
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        first, second = cli._log_crash(Path("s")), cli._log_crash(Path("s"))
    assert first is not None
    assert first != second


@pytest.mark.parametrize("argv", [["runs"], ["plan", "m.yaml"], ["apply", "m.yaml", "--sim"]])
def test_a_journal_overwritten_earlier_is_named_not_a_crash(
    here: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """A state.db some older run replaced with CSV is named as such, with what to do."""
    manifest()
    Path(".zcrm").mkdir()
    Path(".zcrm/state.db").write_text("Id,Last_Name\n1,Rossi\n", encoding="utf-8")
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert ".zcrm/state.db is not a journal (file is not a database)" in err
    assert "internal error" not in err
