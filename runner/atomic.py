"""Atomic file writes: a temp file in the same folder, fsync, then `os.replace`.

A crash (or `kill -9`) mid-write leaves the previous file or none, never half a file;
the temp file name starts with a dot so a half-written one is easy to spot and ignore.
Plans, reports, bulk parts, downloads and joined exports all go through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[int]:
    """A temp file beside `path` (its descriptor) that replaces `path` if the block succeeds."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        yield fd
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; these files are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file handle whose content appears at `path` only if the block succeeds."""
    with _replacing(path) as fd, os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_open_bytes(path: Path) -> Iterator[IO[bytes]]:
    """A binary file handle whose content appears at `path` only if the block succeeds."""
    with _replacing(path) as fd, os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_open(path) as fh:
        fh.write(text)
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically; returns the path."""
    with atomic_open_bytes(path) as fh:
        fh.write(data)
    return path
