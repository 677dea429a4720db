"""Per-job outcome CSVs: header, every row, CSV-injection escaping, streaming input."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.report.csvs import outcomes_csv_name, safe_cell, write_outcomes_csv
from runner.results import RecordOutcome


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_formula_starts_are_escaped(text: str) -> None:
    """Cells a spreadsheet would evaluate get a leading quote."""
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["554023000000497007", "SUCCESS", "a=b", "", " =x"])
def test_plain_cells_are_untouched(text: str) -> None:
    """Ordinary text, and formula characters not at the start, are left as they are."""
    assert safe_cell(text) == text


def test_csv_rows_round_trip_with_escaping(tmp_path: Path) -> None:
    """The file has the header, one row per outcome, and escaped dangerous cells."""
    path = tmp_path / "deals.outcomes.csv"
    outcomes = [
        RecordOutcome("1", "success", "SUCCESS", "record updated"),
        RecordOutcome("2", "error", "INVALID_DATA", '=HYPERLINK("http://x","click")'),
        RecordOutcome("3", "error", "RECORD_LOCKED", "line one\nline, two"),
    ]
    assert write_outcomes_csv(outcomes, path) == 3
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [
        ["record_id", "status", "code", "message"],
        ["1", "success", "SUCCESS", "record updated"],
        ["2", "error", "INVALID_DATA", '\'=HYPERLINK("http://x","click")'],
        ["3", "error", "RECORD_LOCKED", "line one\nline, two"],
    ]


def test_rows_are_streamed_from_an_iterator(tmp_path: Path) -> None:
    """A generator of 20,000 outcomes is written without being materialised first."""
    pulled = 0

    def gen() -> Iterator[RecordOutcome]:
        nonlocal pulled
        for i in range(20_000):
            pulled += 1
            yield RecordOutcome(str(i), "success", "SUCCESS")

    path = tmp_path / "big.csv"
    assert write_outcomes_csv(gen(), path) == 20_000
    assert pulled == 20_000
    assert path.read_text(encoding="utf-8").count("\n") == 20_001


def test_csv_file_name_is_safe() -> None:
    """Job names become file names with nothing but letters, digits and _.-"""
    assert outcomes_csv_name("deals-source") == "deals-source.outcomes.csv"
    assert outcomes_csv_name("../x y") == ".._x_y.outcomes.csv"


def test_bulk_write_result_is_copied_with_safe_cells(tmp_path: Path) -> None:
    """Zoho's result CSV lands in the report folder, formula-looking cells escaped."""
    from runner.report.write import write_reports
    from runner.results import FileRef, JobResult, RunResult, RunTarget

    source = tmp_path / "work" / "imp.result.csv"
    source.parent.mkdir()
    source.write_text("Email,STATUS,RECORD_ID,ERRORS\n=cmd|' /C calc'!A0,ADDED,1,\n")
    job = JobResult(
        name="imp",
        kind="bulk_write",
        module="Leads",
        status="COMPLETED",
        files=(FileRef("bulk_write_result", str(source), 1),),
    )
    run = RunResult("r1", 0.0, 1.0, RunTarget("sim", "http://sim.local"), jobs=(job,))
    paths = write_reports(run, tmp_path / "reports")
    copied = (paths.folder / "imp.result.csv").read_text()
    assert copied.splitlines()[1].startswith("'=cmd")
    report = json.loads(paths.json.read_text())
    assert report["jobs"][0]["files"][0]["path"] == "imp.result.csv"
