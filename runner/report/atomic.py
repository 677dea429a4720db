"""Atomic file writes: a temp file in the same folder, fsync, then `os.replace`.

A crash (or `kill -9`) mid-write leaves the previous file or none, never half a report;
the temp file name starts with a dot so a half-written one is easy to spot and ignore.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(path: Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file handle whose content appears at `path` only if the block succeeds."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically; returns the path."""
    with atomic_open(path) as fh:
        fh.write(text)
    return path
