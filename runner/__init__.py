"""zcrm-runner: declarative Zoho CRM mass and bulk jobs, validated, planned and applied."""

from __future__ import annotations

import sys

__version__ = "0.1.0"

# httpx's __init__ imports its own command line (`httpx._main`: click, rich's console,
# progress and syntax, pygments; ~40 ms, a third of apply's imports) whenever click and
# pygments happen to be installed, and falls back to a stub `httpx.main` on ImportError
# (httpx/__init__.py, `try: from ._main import main`). The runner never calls it, so a
# None entry makes that import fail fast. Set before any runner module imports httpx; the
# `httpx` console script runs in a process of its own and is unaffected (issue 13).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
