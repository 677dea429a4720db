"""A file named by its path and the sha256 of its bytes: how plans and runs record what they read.

A neutral module, like `runner.outcome`: a plan (`runner.plan.model`) lists its manifests and
the files they read this way, and a run (`runner.results`, the journal, report.json) its
manifests, so `apply --plan` and `resume` can tell whether a file changed since.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class ManifestRef:
    """A manifest (or a file a plan's manifest reads) by path and the sha256 of its bytes."""

    path: str
    sha256: str


def sha256_file(path: PurePath | str, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks (a bulk write CSV may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
