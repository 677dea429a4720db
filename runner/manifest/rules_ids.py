"""Record ids, written inline or in an ids file: digits, unique, at most 50,000 a job.

This is the hot path for big manifests, so it is plain Python over the list (no
jsonschema per element), and problems are capped per list so 50,000 bad ids stay readable.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from runner.manifest.load import PathPart
from runner.manifest.rules import (
    MAX_IDS,
    MAX_PROBLEMS_PER_LIST,
    RECORD_ID_FIX,
    Reporter,
    format_path,
    shown,
)

MAX_IDS_FILE_BYTES = 50 * 1024 * 1024


def normalise_id(value: Any) -> str | None:
    """A record id as a digit string, or None when `value` is not one (bools are not)."""
    if type(value) is str:
        return value if value.isdigit() and value.isascii() else None
    if type(value) is int and value >= 1:
        return str(value)
    return None


def check_ids(values: list[Any], parts: list[PathPart], r: Reporter) -> tuple[str, ...] | None:
    """Normalised ids of an inline `ids` list, or None after reporting what is wrong."""
    fast = _fast(values)
    if fast is not None:
        return fast
    out: list[str] = []
    first: dict[str, int] = {}
    reported = 0
    for i, value in enumerate(values):
        rid = normalise_id(value)
        if rid is None:
            message, rule, fix = f"{shown(value)} is not a record id", "record-id", RECORD_ID_FIX
        elif rid in first:
            where = format_path([*parts, first[rid]])
            message, rule, fix = f"id {rid} listed twice (first at {where})", "ids-unique", ""
            fix = "list each id once"
        else:
            first[rid] = i
            out.append(rid)
            continue
        reported += 1
        if reported <= MAX_PROBLEMS_PER_LIST:
            r.add([*parts, i], message, rule, fix)
    _report_rest(reported, parts, r)
    _check_count(len(values), parts, r)
    return tuple(out) if reported == 0 and len(values) <= MAX_IDS else None


def _fast(values: list[Any]) -> tuple[str, ...] | None:
    """All-good lists (the usual case) without a Python call per id; None: look closer."""
    if len(values) > MAX_IDS:
        return None
    if all(type(v) is str and v for v in values):
        strings: list[str] = values
    elif all(type(v) is int and v >= 1 for v in values):
        strings = list(map(str, values))
    else:
        return None
    joined = "".join(strings)
    if joined.isdigit() and joined.isascii() and len(set(strings)) == len(strings):
        return tuple(strings)
    return None


def _report_rest(reported: int, parts: list[PathPart], r: Reporter) -> None:
    if reported > MAX_PROBLEMS_PER_LIST:
        more = reported - MAX_PROBLEMS_PER_LIST
        r.add(parts, f"{more:,} more bad ids not shown", "record-id", "fix the ids listed above")


def _check_count(count: int, parts: list[PathPart], r: Reporter) -> None:
    if count > MAX_IDS:
        msg = f"{count:,} ids, a job takes at most {MAX_IDS:,} (seed 002)"
        r.add(parts, msg, "ids-max-50000", "split the ids into several jobs")


def read_ids_file(
    path: Path, shown_name: str, parts: list[PathPart], r: Reporter
) -> tuple[str, ...] | None:
    """Ids from a CSV with an `id` column, or one id per line; blank lines are skipped."""
    try:
        if path.stat().st_size > MAX_IDS_FILE_BYTES:
            msg = f"ids file is over {MAX_IDS_FILE_BYTES:,} bytes"
            r.add(parts, msg, "ids-file", "split the ids into several jobs")
            return None
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        r.add(parts, f"{shown_name} is not UTF-8", "ids-file", "save it as UTF-8")
        return None
    except OSError as exc:
        msg = f"cannot read {shown_name}: {exc.strerror or type(exc).__name__}"
        r.add(parts, msg, "ids-file", "give a readable file")
        return None
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if line.strip()), None)
    if start is None:
        r.add(parts, f"{shown_name} holds no ids", "ids-file", "add one id per line")
        return None
    head = lines[start].strip()
    column = 0
    rows = range(start, len(lines))
    if normalise_id(head) is None:
        header = [h.strip().lower() for h in next(csv.reader([lines[start]]))]
        if "id" not in header:
            msg = f"no id column in the header: {', '.join(header)}"
            r.at(shown_name, start + 1, parts, msg, "ids-file", "name the column id")
            return None
        column = header.index("id")
        rows = range(start + 1, len(lines))
    return _collect(lines, rows, column, shown_name, parts, r)


def _collect(
    lines: list[str], rows: range, column: int, name: str, parts: list[PathPart], r: Reporter
) -> tuple[str, ...] | None:
    out: list[str] = []
    first: dict[str, int] = {}
    reported = 0
    for n in rows:
        line = lines[n]
        if not line.strip():
            continue
        if column == 0 and "," not in line and '"' not in line:
            value = line.strip()
        else:
            cells = next(csv.reader([line]), [])
            value = cells[column].strip() if column < len(cells) else ""
        rid = normalise_id(value)
        if rid is None:
            msg, rule, fix = f"{shown(value)} is not a record id", "record-id", RECORD_ID_FIX
        elif rid in first:
            msg, rule, fix = f"id {rid} listed twice (first on line {first[rid]})", "ids-unique", ""
            fix = "list each id once"
        else:
            first[rid] = n + 1
            out.append(rid)
            continue
        reported += 1
        if reported <= MAX_PROBLEMS_PER_LIST:
            r.at(name, n + 1, parts, msg, rule, fix)
    _report_rest(reported, parts, r)
    if not out and not reported:
        r.add(parts, f"{name} holds no ids", "ids-file", "add one id per line")
        return None
    _check_count(len(out) + reported, parts, r)
    return tuple(out) if reported == 0 and len(out) <= MAX_IDS else None
