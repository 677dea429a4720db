"""The jobs schema: draft-07, documented everywhere, loaded in one cached place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from runner.commands import schema as schema_command
from runner.errors import RunnerError
from runner.manifest import schema
from runner.manifest.catalog import MODULES_BY_KIND

DRAFT7_KEYWORDS = set(jsonschema.Draft7Validator.META_SCHEMA["properties"]) | {"$schema"}


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key in ("properties", "definitions", "dependencies"):
                for name, sub in value.items():
                    yield from _walk(sub, f"{where}/{key}/{name}")
            # values, not subschemas: a default or an example job is data
            elif key not in ("enum", "const", "required", "$comment", "default", "examples"):
                yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_schema_is_draft_07_with_an_id() -> None:
    """The schema declares draft-07 and an $id, and is itself a valid draft-07 schema."""
    jobs = schema.load_schema("jobs")
    assert jobs["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert jobs["$id"].endswith("/jobs.schema.json")
    jsonschema.Draft7Validator.check_schema(jobs)


@pytest.mark.parametrize("name", schema.SCHEMA_NAMES)
def test_every_schema_is_a_valid_draft_07_schema(name: str) -> None:
    """Each shipped schema passes the draft-07 metaschema: the runner trusts them unchecked."""
    jsonschema.Draft7Validator.check_schema(schema.load_schema(name))


def test_only_draft_07_keywords() -> None:
    """No keyword from a later draft (editors that speak draft-07 understand it all)."""
    jobs = schema.load_schema("jobs")
    for where, node in _walk(jobs):
        assert not set(node) - DRAFT7_KEYWORDS, where


def test_every_property_has_a_description() -> None:
    """Every entry of every `properties` has a description, directly or through its $ref."""
    jobs = schema.load_schema("jobs")
    checked = 0
    for where, node in _walk(jobs):
        for name, sub in node.get("properties", {}).items():
            assert "description" in _resolve(jobs, sub), f"{where}/properties/{name}"
            checked += 1
    assert checked > 50


def test_kind_enum_matches_the_catalog() -> None:
    """The schema's one kind list and the module catalog name the same four kinds."""
    kinds = schema.load_schema("jobs")["definitions"]["kind"]["enum"]
    assert kinds == ["mass_update", "mass_delete", "bulk_read", "bulk_write"]
    assert set(kinds) == set(MODULES_BY_KIND)


def test_validator_is_cached() -> None:
    """validator() builds the Draft7Validator once per process."""
    assert schema.validator("jobs") is schema.validator("jobs")


def test_unknown_schema_is_a_runner_error() -> None:
    """Asking for a schema that does not exist is a clear RunnerError."""
    with pytest.raises(RunnerError, match="unknown schema 'nope'"):
        schema.load_schema("nope")


def test_missing_schema_file_is_a_runner_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """A schema absent from both the wheel and the checkout fails with a message."""
    monkeypatch.setattr(schema, "_CHECKOUT", tmp_path)
    schema._load.cache_clear()
    try:
        with pytest.raises(RunnerError, match=r"plan\.schema\.json is missing"):
            schema.load_schema("plan")
    finally:
        schema._load.cache_clear()


def test_schema_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`zcrm-runner schema jobs` prints the schema as JSON and exits 0."""
    assert schema_command.run(name="jobs") == 0
    assert json.loads(capsys.readouterr().out)["$id"] == schema.load_schema("jobs")["$id"]
