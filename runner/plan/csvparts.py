"""Split a bulk write CSV into parts Zoho accepts: ≤ 25,000 rows and ≤ 25 MB zipped each.

API_NOTES §4.2: one CSV per zip, ≤ 25,000 records, zip ≤ 25 MB. Records are cut at CSV
record boundaries (quoted newlines stay inside their record) and every part repeats the
header line, so the executor can build each part's bytes with `part_text` and get what
the plan showed.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runner.manifest.csvscan import detect_delimiter, first_line
from runner.zoho.limits import BULK_WRITE_MAX_ROWS, BULK_WRITE_MAX_ZIP_BYTES

_ZIP_OVERHEAD = 22 + 30 + 46  # end record + local header + central entry, before names


@dataclass(frozen=True)
class CsvPart:
    """Rows [first, first + rows) of the data (0-based, header excluded), and their size."""

    index: int
    first: int
    rows: int
    raw_bytes: int
    zip_bytes: int


@dataclass(frozen=True)
class CsvLayout:
    """What the planner learns from the CSV: its header, row count and the parts."""

    header: tuple[str, ...]
    rows: int
    parts: tuple[CsvPart, ...]


class _Records:
    """The file's source lines, with the lines where each record starts and ends."""

    def __init__(self, text: str) -> None:
        # Lines end at \n, \r or \r\n only, as the validator reads them: str.splitlines
        # would also cut at U+2028, \x0c and others, which may sit inside a field.
        self.lines = io.StringIO(text, newline="").readlines()
        delimiter = detect_delimiter(first_line(text))
        reader = csv.reader(self.lines, delimiter=delimiter)
        self.header_end = 0
        self.spans: list[tuple[int, int]] = []  # (first line, line after the last) per record
        before = 0
        for i, row in enumerate(reader):
            if i == 0:
                self.header_end = reader.line_num
            elif row:  # blank lines are not records
                self.spans.append((before, reader.line_num))
            before = reader.line_num
        head = csv.reader(self.lines[: self.header_end], delimiter=delimiter)
        self.header = tuple(cell.strip() for cell in next(head, ()))  # as validate reads it

    def text(self, first: int, rows: int) -> str:
        """Header plus records [first, first + rows), as they appear in the file."""
        head = "".join(self.lines[: self.header_end])
        if rows == 0:
            return head
        return head + "".join(self.lines[self.spans[first][0] : self.spans[first + rows - 1][1]])


def _read_text(path: Path, encoding: str | None) -> str:
    # utf-8-sig drops a BOM that Excel adds; Zoho auto-detects encodings (API_NOTES §4.3)
    return path.read_bytes().decode(encoding or "utf-8-sig", errors="replace")


def _zip_size(text: str, name: str, encoding: str | None) -> int:
    """Deflate at zipfile's default level: the size the upload will have, give or take."""
    data = text.encode(encoding or "utf-8", errors="replace")
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    size = len(packer.compress(data)) + len(packer.flush())
    return size + _ZIP_OVERHEAD + 2 * len(name.encode())


def _measure(
    records: _Records, first: int, rows: int, name: str, encoding: str | None, index: int
) -> CsvPart:
    text = records.text(first, rows)
    raw = len(text.encode(encoding or "utf-8", errors="replace"))
    return CsvPart(index, first, rows, raw, _zip_size(text, name, encoding))


def _split(
    records: _Records, first: int, rows: int, name: str, encoding: str | None, max_zip: int
) -> list[CsvPart]:
    part = _measure(records, first, rows, name, encoding, 0)
    if part.zip_bytes <= max_zip or rows <= 1:
        return [part]
    # Cut into equal row counts, with a margin: compression ratios vary along a file.
    pieces = -(-part.zip_bytes * 11 // (max_zip * 10))
    pieces = max(2, min(pieces, rows))
    size = -(-rows // pieces)
    out: list[CsvPart] = []
    for start in range(first, first + rows, size):
        out.extend(_split(records, start, min(size, first + rows - start), name, encoding, max_zip))
    return out


def layout(
    path: Path,
    *,
    encoding: str | None = None,
    max_rows: int = BULK_WRITE_MAX_ROWS,
    max_zip: int = BULK_WRITE_MAX_ZIP_BYTES,
) -> CsvLayout:
    """Count the CSV's records and cut them into parts by rows, then by zipped size."""
    records = _Records(_read_text(path, encoding))
    total = len(records.spans)
    parts: list[CsvPart] = []
    for first in range(0, max(total, 1), max_rows):
        rows = min(max_rows, total - first)
        parts.extend(_split(records, first, rows, path.name, encoding, max_zip))
    numbered = tuple(
        CsvPart(i, p.first, p.rows, p.raw_bytes, p.zip_bytes) for i, p in enumerate(parts, 1)
    )
    return CsvLayout(records.header, total, numbered)


def part_text(path: Path, parts: Sequence[CsvPart], index: int, encoding: str | None = None) -> str:
    """The CSV text of one part (header + its records), for the executor to zip."""
    part = next(p for p in parts if p.index == index)
    return _Records(_read_text(path, encoding)).text(part.first, part.rows)
