"""Record ids, written inline or in an ids file: digits, unique, at most 50,000 a job.

One rule in both places: an id is the decimal digits of a positive 64-bit number, with no
sign, no leading zero and nothing around it (API_NOTES §1.3: digit strings, which SDK8
sends as JSON numbers, so `0123` would reach Zoho as 123; §13: "string (int64)"). Inline,
the raw YAML text is checked too: YAML 1.1 reads `0x7B`, `012`, `1:30`, `1_000`, `0b11`
and `+12` as numbers whose digits are not the ones written. Spaces around an id are
refused, never stripped, inline and in files alike: the runner sends exactly the id it
validated, and a stray space usually means a hand-edited list or the wrong column.

This is the hot path for big manifests, so it is plain Python over the list (no
jsonschema per element), and problems are capped per list so 50,000 bad ids stay readable.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from yaml.nodes import Node, ScalarNode, SequenceNode

from runner.manifest.csvscan import CsvError, Row, decode, detect_delimiter, first_line, rows
from runner.manifest.load import PathPart, yaml_reading
from runner.manifest.rules import (
    MAX_PROBLEMS_PER_LIST,
    RECORD_ID_FIX,
    Reporter,
    format_path,
    shown,
)
from runner.zoho.limits import MASS_MAX_RECORDS

MAX_IDS_FILE_BYTES = 50 * 1024 * 1024
INT64_MAX = 2**63 - 1  # API_NOTES §13: record ids are int64
_INT64_DIGITS = str(INT64_MAX)
QUOTED_FIX = 'write the id\'s digits, quoted ("554023004000000001")'


def _digits_ok(text: str) -> bool:
    if not (text.isascii() and text.isdigit()) or text[0] == "0":
        return False
    return len(text) < 19 or (len(text) == 19 and text <= _INT64_DIGITS)


def normalise_id(value: Any) -> str | None:
    """A record id as a digit string, or None when `value` is not one (bools are not)."""
    if type(value) is str:
        return value if value and _digits_ok(value) else None
    if type(value) is int and 1 <= value <= INT64_MAX:
        return str(value)
    return None


def id_fault(value: Any, node: Node | None = None) -> tuple[str, str] | None:
    """Why `value` is not a record id, and the fix; None when it is one. `node` is the
    value's YAML node when it was written inline, so its raw text can be checked."""
    reading = None if type(value) is str else yaml_reading(node)
    if reading is not None and isinstance(node, ScalarNode):
        written = node.value or "an empty value"
        return f"{written} is read by YAML as {reading}, not a record id", QUOTED_FIX
    if type(value) is int and value >= 1:
        text = str(value)
    elif type(value) is str and value:
        text = value
    else:
        return f"{shown(value)} is not a record id", RECORD_ID_FIX
    if _digits_ok(text):
        return None
    trimmed = text.strip()
    if trimmed != text and trimmed and _digits_ok(trimmed):
        return f"{shown(value)} has spaces around the id", "write the id's digits alone"
    if not (text.isascii() and text.isdigit()) or not text.strip("0"):
        return f"{shown(value)} is not a record id", RECORD_ID_FIX
    if text[0] == "0":
        msg = f"{shown(value)} starts with 0, and a Zoho id never does (a 64-bit number)"
        return msg, "check the id in Zoho and write it without the leading zero"
    msg = f"{shown(value)} has {len(text)} digits, more than a Zoho id (at most {INT64_MAX})"
    return msg, "check the id in Zoho"


def check_id_value(value: Any, parts: list[PathPart], r: Reporter) -> None:
    """A single id (cvid, territory.id) that the schema let through as digits or a number:
    refused if YAML made it from other text, or it has a leading zero or too many digits."""
    if type(value) is str and not (value.isascii() and value.isdigit()):
        return  # the schema's pattern reports it
    if type(value) is not str and not (type(value) is int and value >= 1):
        return  # the schema's type or minimum reports it
    fault = id_fault(value, r.locator.node(parts))
    if fault is not None:
        r.add(parts, fault[0], "record-id", fault[1])


def _item_nodes(parts: list[PathPart], r: Reporter, count: int) -> list[Node] | None:
    node = r.locator.node(parts)
    if isinstance(node, SequenceNode) and len(node.value) == count:
        return list(node.value)
    return None


def check_ids(values: list[Any], parts: list[PathPart], r: Reporter) -> tuple[str, ...] | None:
    """Normalised ids of an inline `ids` list, or None after reporting what is wrong."""
    nodes = _item_nodes(parts, r, len(values))
    fast = _fast(values, nodes)
    if fast is not None:
        return fast
    out: list[str] = []
    first: dict[str, int] = {}
    reported = 0
    for i, value in enumerate(values):
        fault = id_fault(value, nodes[i] if nodes else None)
        rid = str(value)
        if fault is not None:
            (message, fix), rule = fault, "record-id"
        elif rid in first:
            where = format_path([*parts, first[rid]])
            message, rule = f"id {rid} listed twice (first at {where})", "ids-unique"
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
    return tuple(out) if reported == 0 and len(values) <= MASS_MAX_RECORDS else None


def _fast(
    values: list[Any], nodes: list[Node] | None, *, strings_given: bool = False
) -> tuple[str, ...] | None:
    """All-good lists (the usual case) without a Python call per id; None: look closer.
    `strings_given`: the caller knows every value is a non-empty str."""
    if not values or len(values) > MASS_MAX_RECORDS:
        return None
    if strings_given or all(type(v) is str and v for v in values):
        strings: list[str] = values
    elif all(type(v) is int for v in values):
        strings = list(map(str, values))
        # each number written as its own digits: no 0x7B, 012, 1:30, 1_000 or +12
        if nodes is not None and [n.value for n in nodes] != strings:
            return None
    else:
        return None
    joined = "".join(strings)
    if not (joined.isdigit() and joined.isascii()) or min(strings)[0] == "0":
        return None
    if max(map(len, strings)) >= 19 and not all(map(_digits_ok, strings)):
        return None
    if len(set(strings)) == len(strings):
        return tuple(strings)
    return None


def _report_rest(reported: int, parts: list[PathPart], r: Reporter) -> None:
    if reported > MAX_PROBLEMS_PER_LIST:
        more = reported - MAX_PROBLEMS_PER_LIST
        r.add(parts, f"{more:,} more bad ids not shown", "record-id", "fix the ids listed above")


def _check_count(count: int, parts: list[PathPart], r: Reporter) -> None:
    if count > MASS_MAX_RECORDS:
        msg = f"{count:,} ids, a job takes at most {MASS_MAX_RECORDS:,} (seed 002)"
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
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {shown_name}: {exc.strerror or type(exc).__name__}"
        r.add(parts, msg, "ids-file", "give a readable file")
        return None
    reader = _IdsFile(shown_name, parts, r)
    try:
        text = decode(raw, "utf-8-sig")
        head = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = detect_delimiter(first_line(head))
        fast = _fast_file(text, delimiter)
        if fast is not None:
            return fast
        for row in rows(text, delimiter):
            if not reader.take(row):
                return None
    except CsvError as exc:
        f = exc.fault  # a file without a header row has no column names to show
        msg = f.describe(reader.header)
        r.at(shown_name, f.line, parts, msg, f.rule, f.fix, col=f.col)
        return None
    return reader.result()


def _fast_file(text: str, delimiter: str) -> tuple[str, ...] | None:
    """The ids of a well-formed file of good ids (the usual case), read in C and checked by
    the inline lists' fast path (`_fast`): no Python call per row. None: read it row by row
    (`_IdsFile`), which locates whatever is wrong, or skips what the fast path does not
    (lines of spaces, empty cells)."""
    if '"' not in text and delimiter not in text:
        return _fast_column(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [cells for cells in reader if cells]  # [] is a blank line
    except csv.Error:
        return None
    names = [cell.strip().lower() for cell in records[0]] if records else []
    column, body = (names.index("id"), records[1:]) if "id" in names else (0, records)
    try:
        values = [cells[column] for cells in body]
    except IndexError:
        return None
    return _fast(values, None)


def _fast_column(text: str) -> tuple[str, ...] | None:
    """A file of one column, no quote and no delimiter anywhere: each line is one cell,
    as the csv module reads it, so the lines are split in C (~5x faster than csv.reader
    over 50,000 rows). Line ends are what csv takes for one, LF or CRLF; a lone CR is
    left to the csv reader."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = [line for line in text.split("\n") if line]  # "" is a blank line
    if lines and lines[0].strip().lower() == "id":
        lines = lines[1:]
    return _fast(lines, None, strings_given=True)


class _IdsFile:
    """The rows of an ids file, one at a time: the header (if any), then the ids."""

    def __init__(self, name: str, parts: list[PathPart], r: Reporter) -> None:
        self.name, self.parts, self.r = name, parts, r
        self.column: int | None = None
        self.header: list[str] = []
        self.out: list[str] = []
        self.first: dict[str, int] = {}
        self.reported = 0

    def take(self, row: Row) -> bool:
        """Read one row; False when the file cannot be read on (no id column)."""
        cells = row.cells
        if not any(cell.strip() for cell in cells):
            return True
        if self.column is None:
            names = [cell.strip().lower() for cell in cells]
            if "id" in names:
                self.column, self.header = names.index("id"), [c.strip() for c in cells]
                return True
            if not any(ch.isdigit() for ch in cells[0]):
                msg = f"no id column in the header: {', '.join(names)}"
                self.r.at(self.name, row.line, self.parts, msg, "ids-file", "name the column id")
                return False
            self.column = 0
        self._value(row, self.column)
        return True

    def _value(self, row: Row, column: int) -> None:
        if column >= len(row.cells) or not row.cells[column]:
            count = len(row.cells)
            what = "is empty" if count > column else f"is missing (the row has {count})"
            msg, rule = f"row {row.row}: column {column + 1} (id) {what}", "ids-file"
            fix = "give every row an id, or delete the row"
        else:
            value = row.cells[column]
            fault = id_fault(value)
            if fault is not None:
                (msg, fix), rule = fault, "record-id"
            elif value in self.first:
                msg = f"id {value} listed twice (first on line {self.first[value]})"
                rule, fix = "ids-unique", "list each id once"
            else:
                self.first[value] = row.line
                self.out.append(value)
                return
        self.reported += 1
        if self.reported <= MAX_PROBLEMS_PER_LIST:
            self.r.at(self.name, row.line, self.parts, msg, rule, fix)

    def result(self) -> tuple[str, ...] | None:
        _report_rest(self.reported, self.parts, self.r)
        if not self.out and not self.reported:
            self.r.add(self.parts, f"{self.name} holds no ids", "ids-file", "add one id per line")
            return None
        _check_count(len(self.out) + self.reported, self.parts, self.r)
        return tuple(self.out) if self.reported == 0 and len(self.out) <= MASS_MAX_RECORDS else None
