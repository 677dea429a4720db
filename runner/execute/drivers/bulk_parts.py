"""Bulk write files: the CSV cut into zipped parts, and Zoho's result joined back to it.

Parts (API_NOTES §4.2): ≤ 25,000 records and ≤ 25 MB zipped, one CSV per zip. The cut is
`runner.plan.csvparts`' (the plan shows the same parts), and a zip that still comes out too
big is halved until it fits. Zips are deterministic (fixed timestamps and attributes), so a
resumed run rebuilds byte-identical parts.

Zoho's result file is read by `runner.zoho.bulk_write.result_rows`; its rows are matched
to the input rows here by position.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from runner.atomic import atomic_write_bytes
from runner.manifest.model import BulkWriteJob
from runner.plan import csvparts
from runner.zoho.bulk_write import ColumnMapping, ResultRow
from runner.zoho.limits import BULK_WRITE_MAX_ROWS, BULK_WRITE_MAX_ZIP_BYTES

PART_ROWS = BULK_WRITE_MAX_ROWS
MAX_ZIP_BYTES = BULK_WRITE_MAX_ZIP_BYTES
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest zip timestamp: the same bytes on every run


@dataclass(frozen=True)
class Part:
    """Data rows [first, first + rows) of the file (0-based), zipped at `zip_path`."""

    index: int
    first: int
    rows: int
    zip_path: Path


def _encoding(job: BulkWriteJob) -> str | None:
    return job.character_encoding or None


def _text(path: Path, first: int, rows: int, encoding: str | None) -> str:
    span = csvparts.CsvPart(0, first, rows, 0, 0)
    return csvparts.part_text(path, [span], 0, encoding)


def zip_bytes(text: str, name: str, encoding: str | None) -> bytes:
    """One CSV in a deterministic zip."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(info, text.encode(encoding or "utf-8", errors="replace"))
    return buf.getvalue()


def build_parts(job: BulkWriteJob, work_dir: Path) -> tuple[tuple[str, ...], int, list[Part]]:
    """The header, the number of data rows and the zipped parts (none for an empty file)."""
    enc = _encoding(job)
    layout = csvparts.layout(job.file, encoding=enc, max_rows=PART_ROWS, max_zip=MAX_ZIP_BYTES)
    spans = [(p.first, p.rows) for p in layout.parts if p.rows > 0]
    work_dir.mkdir(parents=True, exist_ok=True)
    parts: list[Part] = []
    while spans:
        first, rows = spans.pop(0)
        index = len(parts) + 1
        data = zip_bytes(_text(job.file, first, rows, enc), f"part-{index}.csv", enc)
        if len(data) > MAX_ZIP_BYTES and rows > 1:
            half = rows // 2
            spans[:0] = [(first, half), (first + half, rows - half)]
            continue
        dest = work_dir / f"part-{index}.zip"
        atomic_write_bytes(dest, data)
        parts.append(Part(index, first, rows, dest))
    return layout.header, layout.rows, parts


def column_mappings(job: BulkWriteJob, header: Sequence[str]) -> tuple[ColumnMapping, ...] | str:
    """Manifest mappings with column names turned into zero-based indexes (API_NOTES §4.3);
    a message naming the missing columns instead, if any."""
    where: dict[str, int] = {}
    for i, name in enumerate(header):
        where.setdefault(name, i)
    missing = [
        m.column for m in job.field_mappings if m.column is not None and m.column not in where
    ]
    if missing:
        return (
            f"{job.file.name} has no column {', '.join(repr(c) for c in missing)}; "
            f"its header is {', '.join(header) or '(empty)'}"
        )
    return tuple(
        ColumnMapping(
            m.api_name,
            index=None if m.column is None else where[m.column],
            default_value=m.default_value,
            find_by=m.find_by,
            format=m.format,
        )
        for m in job.field_mappings
    )


def input_rows(job: BulkWriteJob, part: Part) -> Iterator[list[str]]:
    """The part's data rows as the upload holds them (blank lines are not records)."""
    text = _text(job.file, part.first, part.rows, _encoding(job))
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    return (row for row in reader if row)


def result_cells(row: ResultRow | None) -> list[str]:
    return ["", "", ""] if row is None else [row.status, row.record_id, row.errors]
