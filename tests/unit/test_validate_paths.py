"""Output paths (issue 9): what validate refuses across files, through links, and with
the state and report dirs a command names; the single-file cases are pinned in
tests/data/manifests/rules/output-*.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.manifest.rules_paths import RunDirs
from runner.manifest.validate import check_files

RULES = Path(__file__).parents[1] / "data" / "manifests" / "rules"
READ = "version: 1\njobs:\n  - {{name: {name}, kind: bulk_read, module: Leads, output: {out}}}\n"
PURGE = (
    "version: 1\njobs:\n  - {name: purge, kind: mass_delete, module: Leads, ids_file: ids.csv}\n"
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ids.csv").write_text("id\n554023000000497007\n", encoding="utf-8")
    return tmp_path


def lines(paths: list[str], dirs: RunDirs | None = None) -> list[str]:
    return [str(p) for p in check_files([Path(p) for p in paths], dirs=dirs).problems]


def test_an_output_naming_another_manifest_of_the_run_is_refused(here: Path) -> None:
    """a.yaml writing b.yaml, given together, is an error located in a.yaml."""
    Path("a.yaml").write_text(READ.format(name="a", out="b.yaml"), encoding="utf-8")
    Path("b.yaml").write_text(READ.format(name="b", out="b.csv"), encoding="utf-8")
    assert lines(["a.yaml", "b.yaml"]) == [
        "a.yaml:3:55: jobs[0].output: b.yaml is the manifest b.yaml, which the run reads "
        "(output-clobbers-input); write the output to a file of its own, e.g. exports/NAME.csv"
    ]
    assert lines(["a.yaml"]) == []


def test_an_ids_file_another_manifest_writes_is_refused_in_the_later_file(here: Path) -> None:
    """The clash is reported once, at the ids_file of the file checked second."""
    Path("a.yaml").write_text(READ.format(name="a", out="ids.csv"), encoding="utf-8")
    Path("b.yaml").write_text(PURGE, encoding="utf-8")
    assert lines(["a.yaml", "b.yaml"]) == [
        "b.yaml:3:63: jobs[0].ids_file: ids.csv is the output of job a (a.yaml:3:55), which "
        "the run overwrites (output-clobbers-input); read a file no job writes"
    ]


def test_two_manifests_writing_one_file_are_refused(here: Path) -> None:
    """The same output from two files of one run, even spelled differently."""
    Path("a.yaml").write_text(READ.format(name="a", out="out/x.csv"), encoding="utf-8")
    Path("b.yaml").write_text(READ.format(name="b", out="out/../out/x.csv"), encoding="utf-8")
    (here / "out").mkdir()
    assert lines(["a.yaml", "b.yaml"]) == [
        "b.yaml:3:55: jobs[0].output: out/../out/x.csv is also the output of job a "
        "(a.yaml:3:55) (output-unique); write the output to a file of its own, e.g. "
        "exports/NAME.csv"
    ]


def test_the_dirs_a_command_names_are_the_ones_kept_clear(here: Path) -> None:
    """With --state-dir state, `state/x.csv` is refused and `.zcrm/x.csv` is not."""
    Path("a.yaml").write_text(READ.format(name="a", out="state/x.csv"), encoding="utf-8")
    Path("b.yaml").write_text(READ.format(name="b", out=".zcrm/x.csv"), encoding="utf-8")
    dirs = RunDirs(state_dir=Path("state"), report_dir=Path("out"))
    assert lines(["a.yaml", "b.yaml"], dirs) == [
        "a.yaml:3:55: jobs[0].output: state/x.csv is inside the state dir state (the journal, "
        "state.db, is there) (output-state-dir); write the output to a file of its own, e.g. "
        "exports/NAME.csv"
    ]


def test_a_symlink_into_the_state_dir_is_seen_through(here: Path) -> None:
    """A link inside the folder that points at .zcrm does not hide the journal."""
    (here / ".zcrm").mkdir()
    (here / "data").symlink_to(here / ".zcrm")
    Path("a.yaml").write_text(READ.format(name="a", out="data/state.db"), encoding="utf-8")
    assert [p.rule for p in check_files([Path("a.yaml")]).problems] == ["output-state-dir"]


def test_a_manifest_in_a_subfolder_names_the_folder_it_means(here: Path) -> None:
    """From another directory, the message names the folder the output resolves to."""
    (here / "sub" / "exports").mkdir(parents=True)
    Path("sub/a.yaml").write_text(READ.format(name="a", out="exports"), encoding="utf-8")
    assert lines(["sub/a.yaml"]) == [
        "sub/a.yaml:3:55: jobs[0].output: exports (sub/exports) is a folder, not a file "
        "(path-not-file); name a file, e.g. exports/NAME.csv"
    ]


def test_every_path_rule_has_a_pinned_case() -> None:
    """Each path rule slug appears in some pinned .expected file."""
    text = "".join(p.read_text(encoding="utf-8") for p in RULES.glob("*.expected"))
    for rule in (
        "output-state-dir", "output-report-dir", "output-clobbers-input", "output-unique",
        "output-under-file", "path-not-file", "path-nul", "path-usable",
    ):  # fmt: skip
        assert f"({rule})" in text, rule
