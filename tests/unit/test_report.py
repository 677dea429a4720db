"""report.json against its schema, write_reports' file set, atomic writes, exit codes."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from runner import atomic
from runner.refs import ManifestRef
from runner.report.build import iso, report_dict
from runner.report.write import write_reports
from runner.results import (
    FileRef,
    JobError,
    JobResult,
    RecordOutcome,
    RunResult,
    RunTarget,
    exit_code_for,
)
from tests.unit.schema_docs import undescribed

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json"
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def failed_records(n: int, code: str = "RECORD_LOCKED") -> tuple[RecordOutcome, ...]:
    """n failed outcomes with ids 100, 101, ..."""
    return tuple(RecordOutcome(str(100 + i), "error", code, f"record {i} locked") for i in range(n))


def sample_run(**changes: Any) -> RunResult:
    """A run with one job of every status, as the executor would report it."""
    ok = RecordOutcome("554023000000497007", "success", "SUCCESS", "updated")
    locked = (ok, *failed_records(1), RecordOutcome("7", "error", "INVALID_DATA", "=cmd"))
    jobs = (  # a table, one job of every status: one line per field would hide it
        JobResult(
            name="deals-source", kind="mass_update", module="Deals", status="PARTIAL",
            calls=1, outcomes=locked, counts={"total": 3, "succeeded": 1, "failed": 2},
            started_at=T0, ended_at=T0 + 1.5,
        ),
        JobResult(
            name="education-accounts", kind="mass_update", module="Accounts", status="COMPLETED",
            zoho_job_ids=("5001",), counts={"total": 40, "succeeded": 40, "failed": 0}, polls=6,
            calls=7, started_at=T0, ended_at=T0 + 30,
        ),
        JobResult(
            name="junk-leads", kind="mass_delete", module="Leads", status="FAILED", calls=1,
            started_at=T0, ended_at=T0 + 0.2,
            errors=(JobError("ALREADY_SCHEDULED", "a job already runs", {"job_id": "9"}),),
        ),
        JobResult(
            name="export-leads", kind="bulk_read", module="Leads", status="RUNNING",
            zoho_job_ids=("6001",), counts={"total": 0}, polls=12, calls=13, started_at=T0,
            ended_at=T0 + 7200, files=(FileRef("bulk_read_output", "exports/leads.csv", None),),
        ),
        JobResult(
            name="import-leads", kind="bulk_write", module="Leads", status="SKIPPED",
            skipped_reason="needs export-leads, which did not complete",
        ),
        JobResult(
            name="old-job", kind="mass_update", module="Deals", status="UNCHANGED",
            skipped_reason="applied in run 20251231-aaaa",
        ),
    )  # fmt: skip
    run = RunResult(
        run_id="20260101T000000-abcd",
        started_at=T0,
        ended_at=T0 + 7201,
        target=RunTarget("sim", "http://127.0.0.1:8030", "org1", "us"),
        manifests=(ManifestRef("jobs.yaml", "0" * 64),),
        jobs=jobs,
        exit_code=1,
    )
    return replace(run, **changes)


def validator() -> jsonschema.Draft7Validator:
    """A draft-07 validator for the report schema, the schema itself checked first."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_schema_is_draft07_with_id_and_descriptions_everywhere() -> None:
    """Every property (or the definition it refers to) carries a description."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"].endswith("/report.schema.json")
    assert undescribed(schema) == []


def test_report_json_validates_and_carries_the_facts(tmp_path: Path) -> None:
    """The written report.json is schema-valid with statuses, ids, counts, polls and errors."""
    paths = write_reports(sample_run(), tmp_path)
    doc = json.loads(paths.json.read_text(encoding="utf-8"))
    validator().validate(doc)
    jobs = {j["name"]: j for j in doc["jobs"]}
    assert [j["status"] for j in doc["jobs"]] == [
        "PARTIAL",
        "COMPLETED",
        "FAILED",
        "RUNNING",
        "SKIPPED",
        "UNCHANGED",
    ]
    assert jobs["education-accounts"]["zoho_job_ids"] == ["5001"]
    assert jobs["education-accounts"]["polls"] == 6
    assert jobs["junk-leads"]["errors"] == [
        {"code": "ALREADY_SCHEDULED", "message": "a job already runs", "details": {"job_id": "9"}}
    ]
    assert jobs["deals-source"]["files"] == [
        {"kind": "outcomes", "path": "deals-source.outcomes.csv", "rows": 3}
    ]
    assert jobs["deals-source"]["failed_records"] == 2
    assert doc["run"]["started_at"] == "2026-01-01T00:00:00.000Z"
    assert doc["run"]["duration_s"] == 7201
    assert doc["run"]["resume"] == "zcrm-runner resume 20260101T000000-abcd"
    assert doc["totals"]["by_status"]["RUNNING"] == 1
    assert doc["totals"]["records"] == {
        "total": 43,
        "succeeded": 41,
        "failed": 2,
        "not_processed": 0,
    }
    assert doc["target"] == {
        "kind": "sim",
        "api_domain": "http://127.0.0.1:8030",
        "org_id": "org1",
        "dc": "us",
    }


def test_schema_rejects_an_unknown_status() -> None:
    """The schema is not a rubber stamp: a made-up job status fails validation."""
    doc = report_dict(sample_run())
    doc["jobs"][0]["status"] = "DONE-ISH"
    with pytest.raises(jsonschema.ValidationError, match="DONE-ISH"):
        validator().validate(doc)


def test_write_reports_file_set(tmp_path: Path) -> None:
    """All files land in <report_dir>/<run_id>/, one outcomes CSV per job with outcomes."""
    paths = write_reports(sample_run(), tmp_path)
    assert paths.folder == tmp_path / "20260101T000000-abcd"
    assert sorted(p.name for p in paths.folder.iterdir()) == [
        "deals-source.outcomes.csv",
        "junit.xml",
        "report.json",
        "report.md",
    ]
    assert paths.csvs == {"deals-source": paths.folder / "deals-source.outcomes.csv"}
    assert oct(paths.json.stat().st_mode & 0o777) == oct(0o644)


def test_unsafe_run_id_is_refused(tmp_path: Path) -> None:
    """A run id that would leave the report dir is refused before anything is written."""
    with pytest.raises(ValueError, match="safe folder name"):
        write_reports(sample_run(run_id="../escape"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_crash_mid_write_leaves_the_old_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename never happens, the previous file stays and no temp file is left."""
    target = tmp_path / "report.md"
    target.write_text("old, complete\n")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write_text(target, "new but never finished")
    assert target.read_text() == "old, complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_iso_formats_utc_milliseconds() -> None:
    """Timestamps are UTC with milliseconds; unknown stays None."""
    assert iso(T0 + 1.2345) == "2026-01-01T00:00:01.234Z"
    assert iso(None) is None


@pytest.mark.parametrize(
    ("statuses", "errors", "failed", "expected"),
    [
        (("COMPLETED", "UNCHANGED", "SKIPPED"), False, 0, 0),
        (("COMPLETED", "PARTIAL"), False, 1, 3),
        (("COMPLETED", "FAILED"), False, 2, 3),  # every record failed, the request did not
        (("COMPLETED", "RUNNING", "PARTIAL"), False, 1, 4),
        (("FAILED", "RUNNING"), True, 0, 1),
        (("FAILED",), False, 0, 1),  # failed with no explanation at all: an error
    ],
)
def test_exit_code_for(statuses: tuple[str, ...], errors: bool, failed: int, expected: int) -> None:
    """1 error > 4 deadline > 3 records failed > 0 done, as the CLI contract says."""
    err = (JobError("NO_PERMISSION", "no"),) if errors else ()
    jobs = tuple(
        JobResult(
            name=f"j{i}",
            kind="mass_update",
            module="Deals",
            status=s,  # type: ignore[arg-type]
            counts={"failed": failed} if s in ("PARTIAL", "FAILED") else {},
            errors=err if s == "FAILED" else (),
        )
        for i, s in enumerate(statuses)
    )
    assert exit_code_for(sample_run(jobs=jobs)) == expected
