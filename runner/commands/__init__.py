"""One module per verb; each exposes `run(*, typed keyword arguments) -> int`."""

from __future__ import annotations
