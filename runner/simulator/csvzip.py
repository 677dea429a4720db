"""Zip and CSV plumbing: read an uploaded zip of CSVs; write a zip while streaming it out.

The writer never holds the whole file: zipfile writes into a buffer that is drained after
every chunk of rows, so a 200,000-row export costs one chunk of memory (issue 3).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator, Iterable

DELIMITERS = ",;:|"  # API_NOTES §4.2: delimiters auto-detected from the header
CHUNK_ROWS = 2_000


class BadZip(ValueError):
    """The bytes are not a zip holding at least one CSV."""


def read_csvs(data: bytes) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every CSV in the zip as (header, rows), in the zip's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        texts = {n: archive.read(n).decode("utf-8-sig") for n in names}
    except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as exc:
        raise BadZip(str(exc)) from exc
    if not texts:
        raise BadZip("no CSV file in the zip")
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for name, text in texts.items():
        first = text.split("\n", 1)[0]
        delimiter = max(DELIMITERS, key=first.count)
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        out[name] = (rows[0] if rows else [], rows[1:])
    return out


class _Drain:
    """A write-only, non-seekable sink: zipfile then writes data descriptors."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


async def stream_zip(name: str, lines: Iterable[str]) -> AsyncIterator[bytes]:
    """Zip `lines` into one entry `name`, yielding compressed bytes chunk by chunk."""
    sink = _Drain()
    zf = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    with zf, zf.open(name, "w", force_zip64=True) as entry:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= CHUNK_ROWS:
                entry.write("".join(batch).encode())
                batch.clear()
                chunk = sink.take()
                if chunk:
                    yield chunk
        if batch:
            entry.write("".join(batch).encode())
    yield sink.take()


def csv_lines(rows: Iterable[list[str]]) -> Iterable[str]:
    """CSV-encode rows one at a time (CRLF line ends, as csv.writer does)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(row)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
