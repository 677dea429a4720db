"""Per-job CSVs of per-record outcomes, streamed row by row, safe to open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (OWASP "CSV Injection"); such cells get a leading
`'`, which those programs show as text. Zoho messages and record values are not ours to
trust, so every cell goes through `safe_cell`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

from runner.atomic import atomic_open
from runner.results import RecordOutcome

OUTCOME_COLUMNS = ("record_id", "status", "code", "message")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def outcomes_csv_name(job_name: str) -> str:
    """`<job>.outcomes.csv`, with anything but letters, digits, `_.-` replaced."""
    return f"{_UNSAFE_NAME.sub('_', job_name)}.outcomes.csv"


def write_outcomes_csv(outcomes: Iterable[RecordOutcome], path: Path) -> int:
    """Stream outcomes to `path` atomically (header + one row each); returns the row count."""
    rows = 0
    with atomic_open(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OUTCOME_COLUMNS)
        for o in outcomes:
            writer.writerow([safe_cell(v) for v in (o.record_id, o.status, o.code, o.message)])
            rows += 1
    return rows


def copy_csv_safely(source: Path, path: Path) -> int:
    """Copy a CSV Zoho produced (a bulk write result) with every cell made safe; data rows."""
    rows = -1
    with source.open(newline="", encoding="utf-8-sig") as src, atomic_open(path, newline="") as fh:
        writer = csv.writer(fh)
        for row in csv.reader(src):
            writer.writerow([safe_cell(v) for v in row])
            rows += 1
    return max(rows, 0)


def result_csv_name(job_name: str) -> str:
    """`<job>.result.csv`, named like the outcomes CSV."""
    return f"{_UNSAFE_NAME.sub('_', job_name)}.result.csv"
