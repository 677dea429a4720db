"""Bulk read criteria limits and the bulk write CSV: every row, the header, mapped columns.

Row counts above 25,000 and zipped sizes are not errors: the planner splits the file
into several jobs (API_NOTES §4.2) and shows them.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from runner.manifest.csvscan import CsvError, decode, detect_delimiter, first_line, rows
from runner.manifest.load import PathPart
from runner.manifest.rules import MAX_PROBLEMS_PER_LIST, Reporter, closest
from runner.manifest.rules import text as text_or_none
from runner.zoho.limits import BULK_WRITE_MAX_COLUMNS, CRITERIA_MAX_CONDITIONS


def check_bulk_read(i: int, job: dict[str, Any], r: Reporter) -> None:
    criteria = job.get("criteria")
    if isinstance(criteria, dict):
        count = _leaves(criteria, 0)
        if count > CRITERIA_MAX_CONDITIONS:
            msg = (
                f"{count} conditions, bulk read takes at most {CRITERIA_MAX_CONDITIONS} "
                "(API_NOTES §3.1)"
            )
            fix = "narrow the records with a cvid, or split the job"
            r.add(["jobs", i, "criteria"], msg, "criteria-max-25", fix)


def _leaves(node: Any, depth: int) -> int:
    if not isinstance(node, dict) or depth > 50:
        return 0
    group = node.get("group")
    if isinstance(group, list):
        return sum(_leaves(child, depth + 1) for child in group)
    return 1


def _python_encoding(name: str | None) -> str:
    # utf-8-sig drops the BOM Excel writes, which would otherwise glue onto the first name
    if name is None or codecs.lookup(name).name == "utf-8":
        return "utf-8-sig"
    return name


def check_csv(i: int, job: dict[str, Any], path: Path, shown_name: str, r: Reporter) -> None:
    """The whole file, strictly: decodable text, a header of distinct names, data rows of
    the header's width. Each fault is located in the CSV, by row and column."""
    encoding = job.get("character_encoding")
    if isinstance(encoding, str):
        try:
            codecs.lookup(encoding)
        except LookupError:
            msg = f"unknown encoding {encoding!r}"
            r.add(["jobs", i, "character_encoding"], msg, "csv-encoding", "use e.g. UTF-8")
            return
    parts: list[PathPart] = ["jobs", i, "file"]
    try:
        text = decode(path.read_bytes(), _python_encoding(text_or_none(encoding)))
        header = _check_rows(text, shown_name, parts, r)
    except OSError as exc:
        msg = f"cannot read {shown_name}: {exc.strerror or type(exc).__name__}"
        r.add(parts, msg, "csv-file", "give a readable file")
        return
    except CsvError as exc:
        f = exc.fault
        r.at(shown_name, f.line, parts, f.describe(), f.rule, f.fix, col=f.col)
        return
    if header:
        _check_mappings(i, job, header, shown_name, r)


def _check_rows(text: str, name: str, parts: list[PathPart], r: Reporter) -> list[str]:
    """The header's names after checking every row; [] when there is no usable header."""
    records = rows(text, detect_delimiter(first_line(text)))
    first = next(records, None)
    if first is None or not any(cell.strip() for cell in first.cells):
        r.add(parts, f"{name} has no header row", "csv-header", "put the column names on row 1")
        return []
    header = [cell.strip() for cell in first.cells]
    good = _check_header(header, name, parts, r)
    data = wrong = 0
    for row in records:
        if not row.cells:
            continue  # a blank line is not a record (runner/plan/csvparts.py skips it too)
        data += 1
        if len(row.cells) != len(header):
            wrong += 1
            if wrong <= MAX_PROBLEMS_PER_LIST:
                count = f"{len(row.cells)} field{'' if len(row.cells) == 1 else 's'}"
                msg = f"row {row.row} has {count}, the header has {len(header)}"
                fix = "give every row one field per column; quote fields that hold the delimiter"
                r.at(name, row.line, parts, msg, "csv-field-count", fix)
    if wrong > MAX_PROBLEMS_PER_LIST:
        more = wrong - MAX_PROBLEMS_PER_LIST
        msg = f"{more:,} more rows with the wrong number of fields not shown"
        r.add(parts, msg, "csv-field-count", "fix the rows listed above")
    if data == 0:
        msg = f"{name} has a header and no data rows: nothing to import"
        r.add(parts, msg, "csv-no-rows", "add the rows to import, or drop the job")
    return header if good else []


def _check_header(header: list[str], name: str, parts: list[PathPart], r: Reporter) -> bool:
    """Names Zoho can map (API_NOTES §4.2: row 1 = field API names, ≤ 200 columns)."""
    good = True
    seen: dict[str, int] = {}
    for column, cell in enumerate(header, 1):
        if not cell:
            msg = f"row 1, column {column} has no name"
            r.at(name, 1, parts, msg, "csv-header", "name every column, or delete the empty one")
            good = False
        elif cell in seen:
            msg = f"row 1: column {column} ({cell}) repeats column {seen[cell]} ({cell})"
            fix = "rename or drop one of them: a mapping cannot tell them apart"
            r.at(name, 1, parts, msg, "csv-duplicate-column", fix)
            good = False
        else:
            seen[cell] = column
    if len(header) > BULK_WRITE_MAX_COLUMNS:
        msg = (
            f"{len(header)} columns, bulk write takes at most {BULK_WRITE_MAX_COLUMNS} "
            "(API_NOTES §4.2)"
        )
        r.add(parts, msg, "csv-columns-max-200", "drop unused columns")
    return good


def _listing(header: list[str]) -> str:
    shown = header if len(header) <= 12 else [*header[:12], f"… ({len(header)} columns)"]
    return ", ".join(shown)


def _check_mappings(
    i: int, job: dict[str, Any], header: list[str], shown_name: str, r: Reporter
) -> None:
    mappings = job.get("field_mappings")
    mapped: set[str] = set(header)
    if isinstance(mappings, list):
        mapped = set()
        for k, mapping in enumerate(mappings):
            if not isinstance(mapping, dict):
                continue
            if isinstance(mapping.get("api_name"), str):
                mapped.add(mapping["api_name"])
            column = mapping.get("column")
            if isinstance(column, str) and column not in header:
                guess = closest(column, header)
                fix = f"did you mean {guess!r}?" if guess else "use a name from the header"
                msg = f"column {column!r} is not in the header of {shown_name}: {_listing(header)}"
                r.add(["jobs", i, "field_mappings", k, "column"], msg, "csv-column", fix)
    find_by = job.get("find_by")
    updating = job.get("operation") in ("update", "upsert")
    if updating and isinstance(find_by, str) and find_by not in mapped:
        msg = f"find_by {find_by} is not filled by any column"
        fix = f"map a column to {find_by}, so Zoho can find the records"
        r.add(["jobs", i, "find_by"], msg, "find-by-mapped", fix)
