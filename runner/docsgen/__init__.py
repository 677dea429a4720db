"""Pages of docs/ written from the code, so they cannot drift from it.

    python -m runner.docsgen            write every page
    python -m runner.docsgen --check    exit 1, naming the stale pages, if any differs

`PAGES` maps each page (a path from the repository root) to the function that renders
it. tests/unit/test_docs_pages.py regenerates each in memory and compares it with the
committed file. Nothing in the runner imports this package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runner.docsgen import exit_codes, manifest, troubleshooting

#: page → renderer; a page's renderer reads only the repository, never the clock or env.
PAGES: dict[str, Callable[[], str]] = {
    manifest.PAGE: manifest.render,
    exit_codes.PAGE: exit_codes.render,
    troubleshooting.PAGE: troubleshooting.render,
}

#: The checkout these pages belong to (the generator is not for installed copies).
ROOT = Path(__file__).resolve().parents[2]


def stale(root: Path = ROOT) -> list[str]:
    """The pages whose committed text differs from what the code renders now."""
    out = []
    for page, render in PAGES.items():
        path = root / page
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current != render():
            out.append(page)
    return out


def write_all(root: Path = ROOT) -> list[str]:
    """Write every page whose text changed; the pages written."""
    written = []
    for page in stale(root):
        (root / page).write_text(PAGES[page](), encoding="utf-8")
        written.append(page)
    return written
