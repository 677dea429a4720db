"""The generated pages of docs/ are what `python -m runner.docsgen` writes today."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import docsgen
from runner.docsgen.__main__ import main
from runner.docsgen.markdown import REGENERATE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("page", sorted(docsgen.PAGES))
def test_committed_page_is_not_stale(page: str) -> None:
    """The committed page equals the page rendered from the code now."""
    path = ROOT / page
    assert path.is_file(), f"{page} is missing: run `{REGENERATE}` and commit it"
    committed = path.read_text(encoding="utf-8")
    assert committed == docsgen.PAGES[page](), (
        f"{page} is stale: run `{REGENERATE}` and commit the result"
    )


def test_pages_render_the_same_twice() -> None:
    """Rendering reads no clock, environment or random state: two renders are equal."""
    for page, render in docsgen.PAGES.items():
        assert render() == render(), page


def test_write_all_then_check_is_clean(tmp_path: Path) -> None:
    """Writing into an empty tree writes every page; a second pass finds none stale."""
    (tmp_path / "docs").mkdir()
    assert sorted(docsgen.write_all(tmp_path)) == sorted(docsgen.PAGES)
    assert docsgen.stale(tmp_path) == []
    (tmp_path / "docs" / "MANIFEST.md").write_text("edited by hand\n", encoding="utf-8")
    assert docsgen.stale(tmp_path) == ["docs/MANIFEST.md"]


def test_check_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`--check` on this checkout exits 0; its stale message names the command to run."""
    assert main(["--check"]) == 0
    assert capsys.readouterr().err == ""
    assert REGENERATE == "python -m runner.docsgen"


def test_each_page_says_how_it_is_made() -> None:
    """Every generated page opens with a note naming its source and the command."""
    for page, render in docsgen.PAGES.items():
        head = render().splitlines()[2]
        assert head.startswith("<!-- Generated from "), page
        assert f"`{REGENERATE}`" in head, page


def test_readme_links_every_page() -> None:
    """README's Documentation list links each generated page and the simulator guide."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in [*docsgen.PAGES, "docs/SIMULATOR.md"]:
        assert f"]({page})" in readme, page
