"""A file named by its path and the sha256 of its bytes: how plans and runs record what they read.

A neutral module, like `runner.outcome`: a plan (`runner.plan.model`) lists its manifests and
the files they read this way, and a run (`runner.results`, the journal, report.json) its
manifests, so `apply --plan` and `resume` can tell whether a file changed since.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManifestRef:
    """A manifest (or a file a plan's manifest reads) by path and the sha256 of its bytes."""

    path: str
    sha256: str
