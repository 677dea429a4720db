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
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path

from runner.atomic import atomic_open
from runner.results import RecordOutcome

OUTCOME_COLUMNS = ("record_id", "status", "code", "message")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 5_000  # outcomes checked and written at once: streamed, yet checked in C
_ID, _TEXTS = itemgetter(0), itemgetter(1, 2, 3)
_CELLS = itemgetter(0, 1, 2, 3)  # RecordOutcome's record_id, status, code, message
_TAIL = ",%s,%s,%s\r\n"  # a row after its id, in the csv module's default dialect
_QUOTED = re.compile('[,"\r\n]')
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading `'` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def outcomes_csv_name(job_name: str) -> str:
    """`<job>.outcomes.csv`, with anything but letters, digits, `_.-` replaced."""
    return f"{_UNSAFE_NAME.sub('_', job_name)}.outcomes.csv"


def _plain_text(chunk: list[RecordOutcome]) -> str | None:
    """The chunk as CSV text, when no cell needs a leading `'` (`safe_cell`) nor quotes.

    A 50,000-record job made 200,000 `safe_cell` calls and as many cells for the csv
    module to scan (issue 13: most of the reports' time). So the usual chunk is checked as
    a whole: every record id digits, and each distinct (status, code, message), a handful
    per job, plain text; its rows are then written as the csv module would write them
    (QUOTE_MINIMAL quotes only a cell holding the delimiter, a quote, CR or LF), a run of
    rows that say the same thing at a time: `tail.join(ids) + tail`, with tail
    `,status,code,message\r\n`, is one join in C for the run. None: any other chunk,
    written row by row."""
    runs: list[tuple[tuple[str, str, str], list[str]]] = [
        (texts, list(map(_ID, alike))) for texts, alike in groupby(chunk, key=_TEXTS)
    ]
    try:
        ids_plain = "".join("".join(ids) for _, ids in runs).isdigit()
    except TypeError:  # an id that is not a string
        return None
    plain = ids_plain and all(
        type(v) is str and not v.startswith(_FORMULA_START) and not _QUOTED.search(v)
        for texts in {texts for texts, _ in runs}
        for v in texts
    )
    if not plain:
        return None
    parts = []
    for texts, ids in runs:
        tail = _TAIL % texts
        parts.append(tail.join(ids) + tail)
    return "".join(parts)


def write_outcomes_csv(outcomes: Iterable[RecordOutcome], path: Path) -> int:
    """Stream outcomes to `path` atomically (header + one row each); returns the row count."""
    rows = 0
    source = iter(outcomes)
    with atomic_open(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OUTCOME_COLUMNS)
        while chunk := list(islice(source, _CHUNK)):
            text = _plain_text(chunk)
            if text is None:
                writer.writerows([safe_cell(v) for v in _CELLS(o)] for o in chunk)
            else:
                fh.write(text)
            rows += len(chunk)
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
