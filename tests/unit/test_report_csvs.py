"""Per-job outcome CSVs: header, every row, CSV-injection escaping, streaming input."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.outcome import OUTCOME_UNKNOWN
from runner.report import csvs
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


def test_outcomes_csv_bytes_are_pinned(tmp_path: Path) -> None:
    """The file's exact bytes for a small run: CRLF rows, quoting, escaped formula cells,
    UTF-8 text, in the order the outcomes came (issue 13 made the writer faster, not other)."""
    path = tmp_path / "deals.outcomes.csv"
    outcomes = [
        RecordOutcome("554023004000000001", "success", "SUCCESS", "record updated"),
        RecordOutcome("554023004000000007", "error", "RECORD_LOCKED", "the record is locked"),
        RecordOutcome("554023004000000017", "error", "INVALID_DATA", 'bad "Stage", ünïcode'),
        RecordOutcome("554023004000000027", "error", "CANNOT_PROCESS", "two\nlines"),
        RecordOutcome("554023004000000037", "error", OUTCOME_UNKNOWN, "-1 lost"),
        RecordOutcome("=cmd", "error", "INVALID_DATA", ""),
    ]
    assert write_outcomes_csv(outcomes, path) == 6
    assert path.read_bytes() == (
        b"record_id,status,code,message\r\n"
        b"554023004000000001,success,SUCCESS,record updated\r\n"
        b"554023004000000007,error,RECORD_LOCKED,the record is locked\r\n"
        b'554023004000000017,error,INVALID_DATA,"bad ""Stage"", \xc3\xbcn\xc3\xafcode"\r\n'
        b'554023004000000027,error,CANNOT_PROCESS,"two\nlines"\r\n'
        b"554023004000000037,error,OUTCOME_UNKNOWN,'-1 lost\r\n"
        b"'=cmd,error,INVALID_DATA,\r\n"
    )


def _row_by_row(outcomes: list[RecordOutcome], path: Path) -> bytes:
    """The writer as it was before issue 13: `safe_cell` on every cell, one row a call."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(csvs.OUTCOME_COLUMNS)
        for o in outcomes:
            writer.writerow([safe_cell(v) for v in (o.record_id, o.status, o.code, o.message)])
    return path.read_bytes()


_TEXT = st.sampled_from(
    ["SUCCESS", "record updated", "=1+1", "@x", "", "a,b", 'q"', "\tx", "a\nb", "c\r", " d "]
)
_OUTCOME = st.builds(
    RecordOutcome,
    st.one_of(
        st.from_regex(r"[1-9][0-9]{0,18}", fullmatch=True), _TEXT, st.just("-5"), st.just("")
    ),
    st.sampled_from(["success", "error"]),
    _TEXT,
    _TEXT | st.text(max_size=5),
    st.just({}),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_OUTCOME, max_size=12), st.integers(min_value=1, max_value=4))
def test_outcomes_csv_is_the_row_by_row_writer_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, outcomes: list[RecordOutcome], chunk: int
) -> None:
    """Chunked and checked a chunk at a time, the file is what safe_cell row by row gives."""
    folder = tmp_path_factory.mktemp("csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvs, "_CHUNK", chunk)  # several chunks, safe and unsafe ones mixed
        write_outcomes_csv(outcomes, folder / "fast.csv")
    assert (folder / "fast.csv").read_bytes() == _row_by_row(outcomes, folder / "slow.csv")


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
