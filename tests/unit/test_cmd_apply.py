"""apply / resume / runs commands in-process: targets, confirmation, saved plans, history."""

from __future__ import annotations

import gc
import io
import json
import shutil
from pathlib import Path

import pytest

from runner import cli
from runner.commands import _target
from runner.commands import apply as apply_command
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
    example: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """apply --sim on its real clocks, as the README's first command runs it: exit 0,
    report.json valid against its schema, summary and path printed."""
    monkeypatch.setattr(apply_command, "connect", _target.connect)  # not the manual clock
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
    """runs shows the applied run, RUN_ID shows its jobs with their Zoho job ids, and
    --format json the same as a document valid against schemas/runs.schema.json."""
    assert cli.main(["apply", str(example), "--sim"]) == 0
    capsys.readouterr()
    assert cli.main(["runs"]) == 0
    listing = capsys.readouterr().out
    run_id = _report(example.parent)["run"]
    assert isinstance(run_id, dict)
    assert run_id["run_id"] in listing
    assert cli.main(["runs", run_id["run_id"]]) == 0
    assert "education-accounts" in capsys.readouterr().out
    assert cli.main(["runs", "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)["runs"]
    assert not list(validator("runs").iter_errors({"format_version": 1, "runs": [listed]}))
    assert listed["run_id"] == run_id["run_id"]
    assert listed["status"] == "COMPLETED"
    assert "education-accounts" in {j["name"] for j in listed["jobs"]}


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


def _saved_plan(example: Path, name: str = "plan.json") -> Path:
    plan = example.parent / name
    assert cli.main(["plan", str(example), "--out", str(plan)]) == 0
    return plan


def test_a_saved_plan_is_applied_once(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A second apply --plan of the same plan, or of a re-indented copy, names the run that
    applied it and starts nothing."""
    plan = _saved_plan(example)
    assert cli.main(["apply", "--plan", str(plan), "--sim"]) == 0
    run_id = _report(example.parent)["run"]
    assert isinstance(run_id, dict)
    copy = example.parent / "copy.json"
    copy.write_text(json.dumps(json.loads(plan.read_text()), indent=7))
    capsys.readouterr()
    for again in (plan, copy):
        assert cli.main(["apply", "--plan", str(again), "--sim"]) == 1
        err = capsys.readouterr().err
        assert f"{again}: this plan was already applied by run {run_id['run_id']}" in err
        assert "a saved plan is applied once: make a new plan and review it: zcrm-runner " in err
        assert f"plan {example} --out {again}" in err
    assert len(list((example.parent / "reports").iterdir())) == 1


def test_a_plan_whose_run_crashed_is_refused_naming_resume(example: Path) -> None:
    """The plan is marked when its run starts: after a crash, apply --plan points at resume."""
    from runner.execute.journal import Journal
    from runner.plan.codec import plan_identity
    from runner.plan.file import load_plan
    from runner.results import RunTarget

    plan = _saved_plan(example)
    mark = {"id": plan_identity(load_plan(plan)), "path": str(plan)}
    with Journal(example.parent / ".zcrm") as journal:
        target = RunTarget("zoho", "https://www.zohoapis.com", "554023000000046001")
        journal.start_run("20260101-000000-dead", target=target, options={"plan": mark})
    with pytest.raises(StalePlanError) as caught:
        cli._command("apply")(files=[], plan_file=plan, sim=True)
    assert "already applied by run 20260101-000000-dead" in str(caught.value)
    assert "RUNNING" in str(caught.value)
    assert "finish that run with `zcrm-runner resume 20260101-000000-dead`" in str(caught.value)


def test_the_locked_session_refuses_a_used_plan_too(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two applies of one plan racing past the early check: the second, under the state
    lock, still finds the first's run and sends nothing."""
    from runner.execute.journal_read import JournalReader

    plan = _saved_plan(example)
    assert cli.main(["apply", "--plan", str(plan), "--sim"]) == 0
    monkeypatch.setattr(JournalReader, "open_read_only", classmethod(lambda cls, path: None))
    with pytest.raises(StalePlanError, match="already applied by run"):
        cli._command("apply")(files=[], plan_file=plan, sim=True)
    assert len(list((example.parent / "reports").iterdir())) == 1


def _dated(plan: Path, created_at: str) -> None:
    data = json.loads(plan.read_text())
    plan.write_text(json.dumps({**data, "created_at": created_at}))


def test_a_plan_older_than_max_plan_age_is_refused(example: Path) -> None:
    """A plan made 2 days ago is refused under the default 24h and applies under 3d."""
    from datetime import datetime, timedelta, timezone

    plan = _saved_plan(example)
    made = (datetime.now(timezone.utc) - timedelta(days=2, minutes=1)).isoformat("T", "seconds")
    _dated(plan, made)
    with pytest.raises(StalePlanError) as caught:
        cli._command("apply")(files=[], plan_file=plan, sim=True)
    assert str(caught.value) == (
        f"{plan}: the plan is 2d1m old (made {made}), --max-plan-age is 1d; make a new plan "
        f"and review it: zcrm-runner plan {example} --out {plan}, or give a larger "
        "--max-plan-age"
    )
    assert cli.main(["apply", "--plan", str(plan), "--sim", "--max-plan-age", "3d"]) == 0


def test_max_plan_age_zero_refuses_every_plan_and_needs_plan(example: Path) -> None:
    """--max-plan-age 0s refuses even a fresh plan; without --plan the option is an error."""
    plan = _saved_plan(example)
    assert cli.main(["apply", "--plan", str(plan), "--sim", "--max-plan-age", "0s"]) == 1
    with pytest.raises(UsageError, match="--max-plan-age applies to --plan"):
        cli._command("apply")(files=[example], sim=True, max_plan_age=3600.0)
    with pytest.raises(SystemExit, match="1"):
        cli.main(["apply", "--plan", str(plan), "--sim", "--max-plan-age=-1s"])
    assert not (example.parent / "reports").exists()


def test_a_plan_from_the_future_is_refused(example: Path) -> None:
    """A created_at an hour ahead means a wrong clock: the age cannot be trusted."""
    plan = _saved_plan(example)
    _dated(plan, "2999-01-01T00:00:00+00:00")
    with pytest.raises(StalePlanError, match="in the future: the clock that made it is wrong"):
        cli._command("apply")(files=[], plan_file=plan, sim=True)


@pytest.mark.parametrize(
    ("edit", "made_by"),
    [
        ({"runner_version": "0.0.9"}, "zcrm-runner 0.0.9"),
        ({"runner_version": "9.0.0", "format_version": 7, "jobs": "?"}, "zcrm-runner 9.0.0"),
        ({"runner_version": None}, "an unknown zcrm-runner"),
    ],
)
def test_a_plan_made_by_another_version_is_refused_by_its_version(
    example: Path, edit: dict[str, object], made_by: str
) -> None:
    """The version is the first fact checked, even when the rest would fail the schema."""
    from runner import __version__

    plan = _saved_plan(example)
    data = {**json.loads(plan.read_text()), **edit}
    plan.write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
    with pytest.raises(StalePlanError) as caught:
        cli._command("apply")(files=[], plan_file=plan, sim=True)
    assert str(caught.value) == (
        f"{plan}: the plan was made by {made_by}, this is zcrm-runner {__version__}, and a "
        "plan is applied by the version that made it; make a new plan and review it: "
        f"zcrm-runner plan {example} --out {plan}"
    )
