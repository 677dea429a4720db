"""Loading: YAML with marks, caps and refusals that never crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.manifest import load
from runner.manifest.load import Locator, load_file

GOOD = """\
version: 1
jobs:
  - name: a
    kind: mass_update
    module: Deals
    ids: [554023004000000001, "554023004000000002", 1234567890123456789]
    values: {Stage: Closed Won}
"""


def _write(tmp_path: Path, text: str | bytes, name: str = "jobs.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _only_problem(path: Path) -> str:
    loaded, problems = load_file(path)
    assert loaded is None
    assert len(problems) == 1
    return str(problems[0])


def test_good_file_keeps_exact_big_ints_and_marks(tmp_path: Path) -> None:
    """Integers keep all 19 digits, and a key path maps to its line and column."""
    loaded, problems = load_file(_write(tmp_path, GOOD))
    assert problems == []
    assert loaded is not None
    assert loaded.data["jobs"][0]["ids"][2] == 1234567890123456789
    assert Locator(loaded.root).mark(["jobs", 0, "values"]) == (7, 13)
    assert Locator(loaded.root).mark(["jobs", 0, "values"], key=True) == (7, 5)
    assert Locator(loaded.root).mark(["jobs", 0, "ids", 1]) == (6, 31)


def test_syntax_error_is_located(tmp_path: Path) -> None:
    """A YAML syntax error carries the parser's line and column, not a traceback."""
    path = _write(tmp_path, "version: 1\njobs:\n  - name: [a\n")
    assert _only_problem(path).startswith(f"{path}:4:1: (file): ")
    assert "(yaml-syntax); fix the YAML at this line" in _only_problem(path)


def test_top_level_list_refused(tmp_path: Path) -> None:
    """A document that is a list is refused at its first line."""
    path = _write(tmp_path, "- a\n- b\n")
    expected = (
        f"{path}:1:1: (file): the top level is a list, expected a mapping (top-level-mapping); "
        "start with `version: 1` and `jobs:`"
    )
    assert _only_problem(path) == expected


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_empty_file_refused(tmp_path: Path, text: str) -> None:
    """Empty files and comment-only files are refused."""
    path = _write(tmp_path, text)
    expected = f"{path}:1:1: (file): file is empty (file-empty); start from jobs.example.yaml"
    assert _only_problem(path) == expected


def test_size_cap_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the cap is refused by its size (the cap is patched small here)."""
    monkeypatch.setattr(load, "MAX_MANIFEST_BYTES", 100)
    path = _write(tmp_path, GOOD)
    assert "over the 100-byte (0 MB) cap (file-too-large)" in _only_problem(path)


def test_alias_bomb_refused(tmp_path: Path) -> None:
    """Billion laughs is refused by the alias-expansion cap, quickly."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = _write(tmp_path, "\n".join(lines) + "\n")
    assert "aliases expand to more than 10,000 nodes (alias-bomb)" in _only_problem(path)


def test_small_aliases_and_merge_keys_work(tmp_path: Path) -> None:
    """Anchors reused a few times and `<<` merge keys load normally."""
    text = "base: &b {kind: mass_update, module: Deals}\njob: {<<: *b, module: Leads}\n"
    loaded, problems = load_file(_write(tmp_path, text))
    assert problems == []
    assert loaded is not None
    assert loaded.data["job"] == {"kind": "mass_update", "module": "Leads"}


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a located problem, not an exception."""
    path = tmp_path / "nope.yaml"
    expected = (
        f"{path}:1:1: (file): file not found (file-missing); "
        "check the path, relative to the current directory"
    )
    assert _only_problem(path) == expected


def test_non_utf8_located_at_the_byte(tmp_path: Path) -> None:
    """A byte that is not UTF-8 is reported at its line and column."""
    path = _write(tmp_path, b"version: 1\njobs: caf\xe9\n")
    expected = f"{path}:2:10: (file): byte 0xe9 is not UTF-8 (not-utf8); save the file as UTF-8"
    assert _only_problem(path) == expected


def test_duplicate_key_reported(tmp_path: Path) -> None:
    """A key written twice is an error instead of YAML's silent last-wins."""
    path = _write(tmp_path, "version: 1\nversion: 2\n")
    loaded, problems = load_file(path)
    assert loaded is not None
    assert [str(p) for p in problems] == [
        f"{path}:2:1: (file): duplicate key 'version' (duplicate-key); "
        "remove one of them; YAML would silently keep the last"
    ]


def test_dates_stay_text_and_tags_refused(tmp_path: Path) -> None:
    """Unquoted dates stay strings; a Python tag is refused, not constructed."""
    path = _write(tmp_path, "d: 2024-01-31\nx: !!python/name:os.system x\n")
    loaded, problems = load_file(path)
    assert loaded is not None
    assert loaded.data["d"] == "2024-01-31"
    assert [p.rule for p in problems] == ["yaml-tag"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("jobs: !If [a, b, c]\n", ":1:7:"),  # CloudFormation's short form
        ("jobs:\n  - !!python/object:os.system {}\n", ":2:5:"),
        ("vars: !!set {a}\n", ":1:7:"),
    ],
)
def test_tags_on_lists_and_mappings_refused(tmp_path: Path, text: str, where: str) -> None:
    """A tag on a list or a mapping is refused at the node, as on a scalar."""
    loaded, problems = load_file(_write(tmp_path, text))
    assert loaded is not None
    assert [p.rule for p in problems] == ["yaml-tag"]
    assert where in str(problems[0])


@pytest.mark.parametrize(
    ("written", "reading"),
    [
        ("0x7B", "the number 123 (hexadecimal)"),
        ("1_000", "the number 1000 (underscores dropped)"),
        ("012", "the number 10 (octal)"),
        ("1:30", "the number 90 (base 60)"),
        ("0b11", "the number 3 (binary)"),
        ("+12", "the number 12 (sign dropped)"),
        ("1.50", "the number 1.5"),
        ("yes", "true"),
        ("~", "null (no value)"),
    ],
)
def test_yaml_reading_names_what_yaml_11_made_of_the_text(
    tmp_path: Path, written: str, reading: str
) -> None:
    """A plain scalar that YAML 1.1 turns into something else is described from its node."""
    loaded, _ = load_file(_write(tmp_path, f"version: 1\njobs: [{written}]\n"))
    assert loaded is not None
    assert load.yaml_reading(Locator(loaded.root).node(["jobs", 0])) == reading


@pytest.mark.parametrize("written", ["554023004000000001", "'0x7B'", '"012"', "12", "-5", "abc"])
def test_yaml_reading_is_none_when_the_text_is_the_value(tmp_path: Path, written: str) -> None:
    """Plain decimals and quoted strings read back as written: nothing to report."""
    loaded, _ = load_file(_write(tmp_path, f"version: 1\njobs: [{written}]\n"))
    assert loaded is not None
    assert load.yaml_reading(Locator(loaded.root).node(["jobs", 0])) is None


def test_locator_node_is_exact_or_none(tmp_path: Path) -> None:
    """node() gives the node at exactly the path, and None where the path stops early."""
    loaded, _ = load_file(_write(tmp_path, GOOD))
    assert loaded is not None
    locator = Locator(loaded.root)
    node = locator.node(["jobs", 0, "ids", 2])
    assert node is not None
    assert node.value == "1234567890123456789"
    assert locator.node(["jobs", 0, "ids", 9]) is None
    assert locator.node(["jobs", 0, "nope"]) is None
