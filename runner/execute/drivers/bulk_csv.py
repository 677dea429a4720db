"""Joining bulk read pages into the job's `output`: streamed, atomic, header once.

Each page is a zip holding one CSV (or ICS) file (API_NOTES §3.3). Rows are copied one at
a time, so no page is ever whole in memory, into a temp file beside `output` that replaces
it only when every page is in (runner.atomic). Without `fields` Zoho does not fix
the column order (API_NOTES §3.1), so later pages are reordered to the first page's header.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from runner.atomic import atomic_open
from runner.zoho.bulk_read import iter_csv_rows, iter_text
from runner.zoho.errors import ZohoError


def _reorder(header: Sequence[str], page: Sequence[str]) -> list[int] | None:
    """Where each of `header`'s columns sits in a later page's header (None: same order)."""
    if list(page) == list(header):
        return None
    position = {name: i for i, name in enumerate(page)}
    extra = [name for name in page if name not in set(header)]
    if extra:
        raise ZohoError(
            "INVALID_RESPONSE",
            f"a later page has columns the first page lacks: {', '.join(extra[:5])}",
        )
    return [position.get(name, -1) for name in header]


def _pick(row: Sequence[str], order: list[int]) -> list[str]:
    return [row[i] if 0 <= i < len(row) else "" for i in order]


def join_csv(zips: Sequence[Path], output: Path) -> int:
    """Write every page's rows under one header to `output`; the number of data rows."""
    output.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    header: list[str] | None = None
    with atomic_open(output, newline="") as fh:
        writer = csv.writer(fh)
        for zip_path in zips:
            page = iter_csv_rows(zip_path)
            page_header = next(page, None)
            if page_header is None:
                continue
            order: list[int] | None = None
            if header is None:
                header = page_header
                writer.writerow(header)
            else:
                order = _reorder(header, page_header)
            for row in page:
                if not row:
                    continue  # a blank line is not a record
                writer.writerow(row if order is None else _pick(row, order))
                rows += 1
    return rows


def join_raw(zips: Sequence[Path], output: Path, suffix: str = ".ics") -> None:
    """Concatenate every page's file as it is (ICS calendars have no header to share)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(output, newline="") as fh:
        for zip_path in zips:
            for chunk in iter_text(zip_path, (suffix,)):
                fh.write(chunk)
