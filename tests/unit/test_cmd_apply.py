"""apply / resume / runs commands in-process: targets, confirmation, saved plans, history."""

from __future__ import annotations

import gc
import io
import json
import shutil
from pathlib import Path

import pytest

from runner import cli
from runner.errors import ManifestError, StalePlanError, TargetError, UsageError
from runner.manifest.schema import validator

ROOT = Path(__file__).resolve().parents[2]
ZOHO_VARS = ("ZOHO_ACCESS_TOKEN", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN")


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """jobs.example.yaml and its files in a temp folder that is also the working directory."""
    shutil.copy(ROOT / "jobs.example.yaml", tmp_path / "jobs.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for name in ZOHO_VARS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "jobs.yaml"


def _report(folder: Path) -> dict[str, object]:
    (run_dir,) = list((folder / "reports").iterdir())
    return dict(json.loads((run_dir / "report.json").read_text()))


def test_apply_sim_runs_every_job_and_writes_valid_reports(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """apply --sim: exit 0, report.json valid against its schema, summary and path printed."""
    assert cli.main(["apply", str(example), "--sim"]) == 0
    report = _report(example.parent)
    assert not list(validator("report").iter_errors(report))
    jobs = report["jobs"]
    assert isinstance(jobs, list)
    assert {j["status"] for j in jobs} == {"COMPLETED"}
    err = capsys.readouterr().err
    assert "exit 0 (all done)" in err
    assert "report: reports/" in err
    assert (example.parent / "exports/junk-leads.csv").exists()
    assert gc.get_freeze_count() == 0  # the run's collector settings were put back


def test_no_target_is_a_clear_error(example: Path) -> None:
    """Without --sim and without ZOHO_* variables, apply names what to set; nothing runs."""
    with pytest.raises(TargetError, match="no Zoho target"):
        cli._command("apply")(files=[example])
    assert not (example.parent / "reports").exists()


def test_a_real_org_needs_yes_without_a_terminal(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a real org and with no terminal, apply refuses without --yes."""
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN", "1000.x.y")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, even under -s
    with pytest.raises(UsageError, match="needs --yes"):
        cli._command("apply")(files=[example])


def test_replace_must_name_a_job(example: Path) -> None:
    """--replace with a name no manifest has is refused before anything runs."""
    with pytest.raises(UsageError, match="--replace names no job: nope"):
        cli._command("apply")(files=[example], sim=True, replace=["nope"])


def test_files_and_plan_are_exclusive(example: Path) -> None:
    """apply takes manifests or a saved plan, not both and not neither."""
    with pytest.raises(UsageError, match="not both"):
        cli._command("apply")(files=[example], plan_file=example.parent / "p.json")
    with pytest.raises(UsageError, match="give the manifest files"):
        cli._command("apply")(files=[])


def test_saved_plan_refused_when_the_manifest_moved(example: Path) -> None:
    """A plan saved before the manifest changed is stale: apply --plan says what moved."""
    plan = example.parent / "plan.json"
    assert cli.main(["plan", str(example), "--out", str(plan)]) == 0
    example.write_text(example.read_text().replace("Closed Won", "Closed Lost"))
    with pytest.raises(StalePlanError, match="changed since the plan"):
        cli._command("apply")(files=[], plan_file=plan, sim=True)


def test_online_plan_refused_when_a_view_changed_size(example: Path) -> None:
    """An online plan is bound to the view sizes it saw: a different count refuses it."""
    plan = example.parent / "plan.json"
    assert cli.main(["plan", str(example), "--online", "--sim", "--out", str(plan)]) == 0
    data = json.loads(plan.read_text())
    junk = next(j for j in data["jobs"] if j["name"] == "delete-junk-leads")
    junk["record_count"] = 999
    plan.write_text(json.dumps(data))
    with pytest.raises(StalePlanError, match="held 999 records at plan time, now 30"):
        cli._command("apply")(files=[], plan_file=plan, sim=True)
    assert not (example.parent / "reports").exists()


def test_fresh_online_plan_applies(example: Path) -> None:
    """An online plan whose org and views still match applies normally."""
    plan = example.parent / "plan.json"
    assert cli.main(["plan", str(example), "--online", "--sim", "--out", str(plan)]) == 0
    assert cli.main(["apply", "--plan", str(plan), "--sim"]) == 0


def test_runs_lists_history_and_one_run(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """runs shows the applied run, and RUN_ID shows its jobs with their Zoho job ids."""
    assert cli.main(["apply", str(example), "--sim"]) == 0
    capsys.readouterr()
    assert cli.main(["runs"]) == 0
    listing = capsys.readouterr().out
    run_id = _report(example.parent)["run"]
    assert isinstance(run_id, dict)
    assert run_id["run_id"] in listing
    assert cli.main(["runs", run_id["run_id"]]) == 0
    assert "education-accounts" in capsys.readouterr().out


def test_resume_needs_a_journal_and_refuses_sim_runs(example: Path) -> None:
    """resume with no journal says so; a --sim run cannot be resumed (its org is gone)."""
    with pytest.raises(UsageError, match="nothing to resume"):
        cli._command("resume")()
    assert cli.main(["apply", str(example), "--sim"]) == 0
    run_id = _report(example.parent)["run"]
    assert isinstance(run_id, dict)
    with pytest.raises(TargetError, match="in-process simulator"):
        cli._command("resume")(run_id=run_id["run_id"])


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "goes_on"), [("yes\n", True), ("y\n", False), ("\n", False)])
def test_terminal_asks_and_only_yes_goes_on(
    monkeypatch: pytest.MonkeyPatch, answer: str, goes_on: bool
) -> None:
    """On a terminal apply asks first; only a typed 'yes' sends anything."""
    from runner.commands._target import confirm
    from runner.execute.target import env_connection

    monkeypatch.setattr("sys.stdin", _Tty(answer))
    connection = env_connection({"ZOHO_ACCESS_TOKEN": "1000.x.y"})
    if goes_on:
        confirm(connection, yes=False, action="apply")
    else:
        with pytest.raises(UsageError, match="not confirmed; nothing was sent"):
            confirm(connection, yes=False, action="apply")


def test_apply_refuses_fields_the_org_does_not_allow_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A picklist value the org lacks stops apply before any job is recorded or sent."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  - name: pick\n    kind: mass_update\n    module: Accounts\n"
        '    ids: ["554023002000000001"]\n    values: {Industry: Aerospace}\n'
    )
    with pytest.raises(ManifestError) as caught:
        cli._command("apply")(files=[tmp_path / "jobs.yaml"], sim=True)
    assert caught.value.problems[0].rule == "picklist-value-online"
    assert not (tmp_path / "reports").exists()
