"""`runs`: whole ids without a terminal, and `--format json` valid against its schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import get_args

import pytest

from runner import cli
from runner.clock import ManualClock
from runner.commands import runs as runs_command
from runner.errors import UsageError
from runner.execute.journal import Journal
from runner.execute.journal_schema import RunStatus
from runner.manifest.schema import SCHEMA_NAMES, load_schema, validator
from runner.refs import ManifestRef
from runner.results import JOB_STATUSES, JobError, RunTarget
from tests.unit.schema_docs import undescribed

LONG_JOB = "update-every-deal-of-the-emea-region-that-closed-last-quarter"
IDS = ("554023000000506051", "554023000000506052", "554023000000506053")


def journal_with_two_runs(state_dir: Path) -> None:
    """r1 ended PARTIAL with a long job name and three Zoho job ids; r2 is still RUNNING."""
    clock = ManualClock()
    with Journal(state_dir, clock=clock) as journal:
        journal.start_run(
            "r1",
            target=RunTarget("zoho", "https://www.zohoapis.eu", "20071234", "eu"),
            manifests=(ManifestRef("/work/jobs.yaml", "a" * 64),),
        )
        journal.record_job("r1", LONG_JOB, kind="mass_update", module="Deals",
                           fingerprint="f", status="RUNNING")  # fmt: skip
        journal.update_job(
            "r1", LONG_JOB, status="PARTIAL", zoho_job_ids=IDS, started_at=clock.now(),
            counts={"total": 40, "succeeded": 38, "failed": 2}, ended_at=clock.now() + 30,
            errors=(JobError("INVALID_DATA", "invalid data", {"api_name": "Email"}),),
        )  # fmt: skip
        journal.finish_run("r1", status="PARTIAL", exit_code=3)
        clock.advance(60)
        journal.start_run("r2", target=RunTarget("sim", "http://127.0.0.1:8030"))


def test_json_lists_every_run_newest_first_valid_against_its_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The document holds each run's target, manifests and jobs with their counts and ids."""
    journal_with_two_runs(tmp_path)
    assert runs_command.run(state_dir=tmp_path, format="json") == 0
    document = json.loads(capsys.readouterr().out)
    assert not list(validator("runs").iter_errors(document))
    assert [r["run_id"] for r in document["runs"]] == ["r2", "r1"]
    r2, r1 = document["runs"]
    assert (r2["status"], r2["exit_code"], r2["ended_at"], r2["jobs"]) == (
        "RUNNING",
        None,
        None,
        [],
    )
    assert r1 == {
        "run_id": "r1",
        "started_at": "2026-01-01T00:00:00.000Z",
        "ended_at": "2026-01-01T00:00:00.000Z",
        "status": "PARTIAL",
        "exit_code": 3,
        "target": {"kind": "zoho", "api_domain": "https://www.zohoapis.eu",
                   "org_id": "20071234", "dc": "eu"},
        "manifests": [{"path": "/work/jobs.yaml", "sha256": "a" * 64}],
        "jobs": [{
            "name": LONG_JOB, "kind": "mass_update", "module": "Deals", "status": "PARTIAL",
            "counts": {"total": 40, "succeeded": 38, "failed": 2}, "zoho_job_ids": list(IDS),
            "polls": 0, "started_at": "2026-01-01T00:00:00.000Z",
            "ended_at": "2026-01-01T00:00:30.000Z",
            "errors": [{"code": "INVALID_DATA", "message": "invalid data",
                        "details": {"api_name": "Email"}}],
        }],
    }  # fmt: skip


def test_json_of_one_run_and_of_no_such_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RUN_ID gives a document of that run alone; an unknown one is refused, as in a table."""
    journal_with_two_runs(tmp_path)
    assert runs_command.run(run_id="r1", state_dir=tmp_path, format="json") == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in document["runs"]] == ["r1"]
    with pytest.raises(UsageError, match="no run 'r9'"):
        runs_command.run(run_id="r9", state_dir=tmp_path, format="json")
    assert capsys.readouterr().out == ""
    with pytest.raises(UsageError, match="--format yaml: choose one of table, json"):
        runs_command.run(state_dir=tmp_path, format="yaml")


def test_json_target_keeps_only_its_own_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever else a journal's target column holds is left out: kind, domain, org, dc only."""
    journal_with_two_runs(tmp_path)
    with Journal(tmp_path) as journal:
        target = {"kind": "zoho", "api_domain": "https://x", "token": "[redacted]", "extra": 1}
        journal.db.execute("UPDATE runs SET target = ? WHERE run_id = 'r1'", (json.dumps(target),))
    assert runs_command.run(run_id="r1", state_dir=tmp_path, format="json") == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["target"] == {"kind": "zoho", "api_domain": "https://x", "org_id": None, "dc": None}


def test_without_a_terminal_ids_and_statuses_are_printed_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Piped output is not cut at 80 columns: the long job name, every Zoho job id, the status."""
    journal_with_two_runs(tmp_path)
    assert runs_command.run(run_id="r1", state_dir=tmp_path) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if LONG_JOB in line)
    assert len(row) > 120
    assert ", ".join(IDS) in row
    assert "PARTIAL" in row
    assert "failed 2, succeeded 38, total 40" in row
    assert runs_command.run(state_dir=tmp_path) == 0
    listing = capsys.readouterr().out
    assert "RUNNING" in listing
    assert "PARTIAL" in listing
    assert "…" not in out + listing


def test_the_command_line_offers_the_formats_and_the_schema() -> None:
    """`runs --format` offers exactly FORMATS; `schema` offers every schema, runs included."""
    parser = cli.build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    runs = next(a for a in verbs.choices["runs"]._actions if "--format" in a.option_strings)
    assert list(runs.choices or ()) == list(runs_command.FORMATS)
    name = next(a for a in verbs.choices["schema"]._actions if a.dest == "name")
    assert list(name.choices or ()) == list(SCHEMA_NAMES)
    assert "runs" in SCHEMA_NAMES


def test_runs_schema_is_draft07_described_and_its_run_statuses_are_the_journals() -> None:
    """Every property has a description, and the run status enum is the journal's RunStatus."""
    schema = load_schema("runs")
    assert schema["$id"].endswith("/runs.schema.json")
    assert undescribed(schema) == []
    assert schema["definitions"]["runStatus"]["enum"] == list(get_args(RunStatus))
    assert schema["definitions"]["jobStatus"]["enum"] == list(JOB_STATUSES)


def test_schema_command_prints_the_runs_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`zcrm-runner schema runs` prints the schema `runs --format json` follows."""
    assert cli.main(["schema", "runs"]) == 0
    assert json.loads(capsys.readouterr().out) == load_schema("runs")
