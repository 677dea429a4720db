"""The one file in a zip Zoho sends: a bulk read page (API_NOTES §3.3: one CSV, or ICS
for Events/Meetings) or a bulk write result (§4.5: one CSV).

Every reader of those zips opens its file here, so a zip holding none or several is
refused one way: INVALID_RESPONSE naming the zip and what it held. The simulator's side
of the same family is `runner/simulator/csvzip.py`.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from runner.zoho.errors import ZohoError


@contextlib.contextmanager
def open_only_file(zip_path: Path, suffixes: tuple[str, ...] = ()) -> Iterator[IO[bytes]]:
    """The bytes of the one file in the zip, read as a stream; with `suffixes`, the one
    file whose name ends with one of them (case-insensitive), whatever else it holds.
    A file that is not a zip, or breaks while it is read, is INVALID_RESPONSE too."""
    try:
        with _only_member(zip_path, suffixes) as raw:
            yield raw
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ZohoError(
            "INVALID_RESPONSE", f"{zip_path.name}: not a readable zip file ({exc})"
        ) from exc


@contextlib.contextmanager
def _only_member(zip_path: Path, suffixes: tuple[str, ...]) -> Iterator[IO[bytes]]:
    with zipfile.ZipFile(zip_path) as archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir() and m.filename.lower().endswith(suffixes or ("",))
        ]
        if len(members) != 1:
            what = f"{'/'.join(suffixes)} file" if suffixes else "file"
            raise ZohoError(
                "INVALID_RESPONSE",
                f"{zip_path.name}: expected one {what} in the zip, found {len(members)}",
            )
        with archive.open(members[0]) as raw:
            yield raw


@contextlib.contextmanager
def open_only_text(zip_path: Path, suffixes: tuple[str, ...] = ()) -> Iterator[IO[str]]:
    """`open_only_file` as UTF-8 text (a BOM dropped), newlines left for `csv` to read."""
    with open_only_file(zip_path, suffixes) as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
