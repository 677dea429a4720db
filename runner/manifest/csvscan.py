"""Strict reading of the CSV files a manifest names: ids files and bulk write files.

Python's csv module is lenient: an unterminated quote swallows the rest of the file, text
after a closing quote is kept, a NUL is a character like any other. Here each of these is
a `CsvFault` located at its line and character column and named the way a spreadsheet
shows it: the row (the header is row 1, a blank line is a row) and the column (1-based).
The fast pass is the C csv reader in strict mode; only a failing record is scanned again
by hand to find the quote that caused it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

DELIMITERS = ",;:|"  # API_NOTES §4.2: the only delimiters Zoho detects
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SENTINEL = "\ue000"  # a private-use character: never a delimiter, quote or newline


@dataclass(frozen=True)
class CsvFault:
    """What is wrong and where: 1-based line and character column, row and column."""

    line: int
    col: int
    row: int
    column: int
    what: str
    rule: str = "csv-quote"
    fix: str = 'close the quote; inside a quoted field write a quote twice ("")'
    name: str = ""  # the column's name in the first row, when the fault is below it

    def describe(self, header: Sequence[str] | None = None) -> str:
        """`row 3, column 2 (Email): unterminated quote ...`, with the column's name from
        `header`, or from the file's first row when no header is given."""
        if header is None:
            name = self.name
        else:
            name = header[self.column - 1] if 0 < self.column <= len(header) else ""
        return f"row {self.row}, column {self.column}{f' ({name})' if name else ''}: {self.what}"


class CsvError(Exception):
    """A file that cannot be read as CSV; `fault` says where and why."""

    def __init__(self, fault: CsvFault) -> None:
        super().__init__(fault.describe())
        self.fault = fault


@dataclass(frozen=True)
class Row:
    """One record: the line it starts on, its row number and its cells ([] when blank)."""

    line: int
    row: int
    cells: list[str]


def detect_delimiter(first_line: str) -> str:
    """The delimiter Zoho would detect from the header line: the most frequent of the four."""
    if not any(d in first_line for d in DELIMITERS):
        return ","
    return max(DELIMITERS, key=first_line.count)


def first_line(text: str) -> str:
    match = _NEWLINE.search(text)
    return text if match is None else text[: match.start()]


def decode(raw: bytes, encoding: str) -> str:
    """The file's text; CsvError at the first byte the encoding refuses, or at a NUL."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode(encoding, errors="replace")
        name = encoding.upper().removesuffix("-SIG")
        what = f"byte 0x{raw[exc.start]:02x} is not {name}"
        fix = f"save the file as {name}, or name its encoding"
        raise CsvError(_fault_at(prefix, len(prefix), what, "csv-encoding", fix)) from exc
    nul = text.find("\x00")
    if nul >= 0:
        what = "a NUL byte (0x00), which no CSV text holds"
        fix = "export the file again as CSV text"
        raise CsvError(_fault_at(text, nul, what, "csv-nul", fix))
    return text


def rows(text: str, delimiter: str) -> Iterator[Row]:
    """Every record of `text`, strictly parsed; CsvError names the first malformed one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvError(_record_fault(text, line, number + 1, delimiter, str(exc))) from exc
        number += 1
        yield Row(line, number, cells)


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        match = _NEWLINE.search(text, offset)
        if match is None:
            return len(text)
        offset = match.end()
    return offset


def _line_col(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    starts = [m.end() for m in _NEWLINE.finditer(before)]
    return len(starts) + 1, offset - (starts[-1] if starts else 0) + 1


def _fault_at(text: str, offset: int, what: str, rule: str, fix: str) -> CsvFault:
    """A fault at a character offset; its row and column from a lenient parse of the text
    before it, with a sentinel marking where the offset falls."""
    line, col = _line_col(text, offset)
    head = text[:offset] + _SENTINEL
    delimiter = detect_delimiter(first_line(head))
    parsed = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
    column = next((i for i, cell in enumerate(parsed[-1], 1) if _SENTINEL in cell), 1)
    names = parsed[0] if len(parsed) > 1 else []
    name = names[column - 1].strip() if column <= len(names) else ""
    return CsvFault(line, col, len(parsed), column, what, rule, fix, name)


def _record_fault(text: str, line: int, row: int, delimiter: str, error: str) -> CsvFault:
    """The record starting on `line` made the strict reader fail: find the quote."""
    start = _offset_of_line(text, line)
    stop = re.compile(f"[{re.escape(delimiter)}\r\n]")
    pos, column, end = start, 1, len(text)
    while pos < end:
        if text[pos] == '"':
            opened = pos
            pos += 1
            while True:
                close = text.find('"', pos)
                if close < 0:
                    what = "unterminated quote: the quote opened here is never closed"
                    return _located(text, opened, row, column, what)
                if text.startswith('""', close):
                    pos = close + 2
                    continue
                pos = close + 1
                break
            if pos < end and text[pos] not in (delimiter, "\r", "\n"):
                close_line, _ = _line_col(text, close)
                open_line, _ = _line_col(text, opened)
                if close_line != open_line:
                    what = (
                        f"unterminated quote: the field quoted here runs on to line "
                        f"{close_line}, where {text[pos]!r} follows its closing quote"
                    )
                    return _located(text, opened, row, column, what)
                what = f"{text[pos]!r} after the closing quote of a quoted field"
                return _located(text, pos, row, column, what)
        match = stop.search(text, pos)
        if match is None or match.group() != delimiter:
            break
        pos, column = match.end(), column + 1
    return _located(text, start, row, 1, f"cannot read the row: {error}")


def _located(text: str, offset: int, row: int, column: int, what: str) -> CsvFault:
    line, col = _line_col(text, offset)
    head = first_line(text)
    names = next(csv.reader([head], delimiter=detect_delimiter(head)), []) if row > 1 else []
    name = names[column - 1].strip() if column <= len(names) else ""
    return CsvFault(line, col, row, column, what, name=name)
