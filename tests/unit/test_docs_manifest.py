"""docs/MANIFEST.md covers every kind and key of the jobs schema, and its examples validate."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from runner.docsgen import manifest
from runner.manifest import model
from runner.manifest.schema import load_schema
from runner.manifest.validate import check_files

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load_schema("jobs")
KINDS: list[str] = SCHEMA["definitions"]["kind"]["enum"]
PAGE = manifest.render()
MODELS: dict[str, Any] = {
    "mass_update": model.MassUpdateJob,
    "mass_delete": model.MassDeleteJob,
    "bulk_read": model.BulkReadJob,
    "bulk_write": model.BulkWriteJob,
    "territory": model.Territory,
    "field_mapping": model.FieldMapping,
}


def _section(heading: str) -> str:
    """The page's text from `heading` to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = PAGE.index(f"\n{heading}\n")
    pattern = r"\n#{1,LEVEL} ".replace("LEVEL", str(len(level)))
    ends = [m.start() for m in re.finditer(pattern, PAGE[start + 1 :])]
    return PAGE[start : start + 1 + ends[0]] if ends else PAGE[start:]


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_lists_every_key_of_its_schema(kind: str) -> None:
    """A kind's section has one table row per key its schema definition allows."""
    section = _section(f"## {kind}")
    keys = SCHEMA["definitions"][kind]["properties"]
    rows = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    assert rows == list(keys)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_an_example_that_validates(kind: str, tmp_path: Path) -> None:
    """Every yaml example of a kind passes `validate` (schema and Python rules) error-free."""
    blocks = _yaml_blocks(_section(f"## {kind}"))
    assert blocks, f"{kind} has no example; add one to its definition's `examples`"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for i, block in enumerate(blocks):
        path = tmp_path / f"{kind}-{i}.yaml"
        path.write_text(block, encoding="utf-8")
        checked = check_files([path], environ={})
        assert not checked.errors, [str(p) for p in checked.errors]
        assert [job.kind for m in checked.manifests for job in m.jobs] == [kind]


def test_nested_objects_list_every_key() -> None:
    """territory, criteria conditions and groups, and field mappings list all their keys."""
    for name, anchor in manifest.NESTED.items():
        node = SCHEMA["definitions"][name]
        rows = re.findall(r"^\| `([^`]+)` \|", _section(f"### {anchor}"), flags=re.M)
        assert rows == list(node.get("properties", {})), name


def test_every_rule_slug_of_the_schema_is_in_the_index() -> None:
    """Each `rule: <slug>` the schema names has a row in the rule index."""
    slugs = set(re.findall(r"rule:\s*([a-z0-9-]+)", str(SCHEMA)))
    index = _section("## Rule index")
    assert {s for s in slugs if f"| `{s}` |" not in index} == set()


def test_every_link_inside_the_page_has_a_heading() -> None:
    """Each `(#anchor)` link of the page points at one of its headings."""
    headings = re.findall(r"^#+ (.+)$", PAGE, flags=re.M)
    anchors = {re.sub(r"[^a-z0-9_ -]", "", h.lower()).replace(" ", "-") for h in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", PAGE))
    assert links - anchors == set()


def _schema_defaults() -> dict[tuple[str, str], Any]:
    """(definition, key) → the schema's `default`, through `$ref`s."""
    defs = SCHEMA["definitions"]
    found = {}
    for name in MODELS:
        for key, sub in defs[name].get("properties", {}).items():
            target = defs[sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
            if "default" in sub or "default" in target:
                found[(name, key)] = sub.get("default", target.get("default"))
    return found


def test_schema_defaults_are_the_models_defaults() -> None:
    """A default the reference shows is the one the validated model applies."""
    found = _schema_defaults()
    assert len(found) >= 5
    for (name, key), default in found.items():
        fields = {f.name: f for f in dataclasses.fields(MODELS[name])}
        made = fields[key].default
        assert made != dataclasses.MISSING, (name, key)
        assert list(made) == default if isinstance(made, tuple) else made == default, (name, key)


def test_every_model_default_of_a_scalar_key_is_in_the_schema() -> None:
    """A key the model defaults to false or a fixed string says so in the schema."""
    found = _schema_defaults()
    for name, cls in MODELS.items():
        props = SCHEMA["definitions"][name].get("properties", {})
        for f in dataclasses.fields(cls):
            if f.name in props and isinstance(f.default, (bool, str)):
                assert (name, f.name) in found, (name, f.name)
