"""Bulk read criteria limits and the bulk write CSV: header, columns, mapped columns.

Row counts above 25,000 and zipped sizes are not errors: the planner splits the file
into several jobs (API_NOTES §4.2) and shows them.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path
from typing import Any

from runner.manifest.rules import Reporter, closest

MAX_CRITERIA = 25  # API_NOTES §3.1: CRITERIA_LIMIT_EXCEEDED max_limit 25
MAX_COLUMNS = 200  # API_NOTES §4.2: ≤ 200 column headers
_DELIMITERS = ",;:|"  # API_NOTES §4.2: the only delimiters Zoho detects


def check_bulk_read(i: int, job: dict[str, Any], r: Reporter) -> None:
    criteria = job.get("criteria")
    if isinstance(criteria, dict):
        count = _leaves(criteria, 0)
        if count > MAX_CRITERIA:
            msg = f"{count} conditions, bulk read takes at most {MAX_CRITERIA} (API_NOTES §3.1)"
            fix = "narrow the records with a cvid, or split the job"
            r.add(["jobs", i, "criteria"], msg, "criteria-max-25", fix)


def _leaves(node: Any, depth: int) -> int:
    if not isinstance(node, dict) or depth > 50:
        return 0
    group = node.get("group")
    if isinstance(group, list):
        return sum(_leaves(child, depth + 1) for child in group)
    return 1


def read_header(path: Path, encoding: str) -> list[str]:
    """The CSV's header cells, split on the delimiter Zoho would detect."""
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline()
    if not first.strip():
        return []
    delimiter = max(_DELIMITERS, key=first.count) if any(d in first for d in _DELIMITERS) else ","
    return [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter))]


def check_csv(i: int, job: dict[str, Any], path: Path, shown_name: str, r: Reporter) -> None:
    encoding = job.get("character_encoding")
    if isinstance(encoding, str):
        try:
            codecs.lookup(encoding)
        except LookupError:
            msg = f"unknown encoding {encoding!r}"
            r.add(["jobs", i, "character_encoding"], msg, "csv-encoding", "use e.g. UTF-8")
            return
    try:
        header = read_header(path, encoding if isinstance(encoding, str) else "utf-8-sig")
    except (UnicodeDecodeError, OSError) as exc:
        msg = f"cannot read the header of {shown_name} ({type(exc).__name__})"
        r.add(["jobs", i, "file"], msg, "csv-header", "save it as UTF-8 or set character_encoding")
        return
    if not header:
        msg = f"{shown_name} has no header row"
        r.add(["jobs", i, "file"], msg, "csv-header", "put the column names on the first line")
        return
    if len(header) > MAX_COLUMNS:
        msg = f"{len(header)} columns, bulk write takes at most {MAX_COLUMNS} (API_NOTES §4.2)"
        r.add(["jobs", i, "file"], msg, "csv-columns-max-200", "drop unused columns")
    _check_mappings(i, job, header, shown_name, r)


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
