"""The JSON schemas in `schemas/`, loaded in one place with cached validators.

An installed wheel carries them as `runner/_schemas/` (pyproject force-include); a
checkout reads the top-level `schemas/` folder.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the test extra
from jsonschema.protocols import Validator  # type: ignore[import-untyped]

from runner.errors import RunnerError

SCHEMA_NAMES = ("jobs", "plan", "report", "runs")
_CHECKOUT = Path(__file__).resolve().parents[2] / "schemas"


def _read(name: str) -> str:
    filename = f"{name}.schema.json"
    packaged = resources.files("runner") / "_schemas" / filename
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    local = _CHECKOUT / filename
    if local.is_file():
        return local.read_text(encoding="utf-8")
    raise RunnerError(f"schema {name!r} is not available: {filename} is missing from this install")


@functools.cache
def _load(name: str) -> str:
    if name not in SCHEMA_NAMES:
        raise RunnerError(f"unknown schema {name!r}; choose one of {', '.join(SCHEMA_NAMES)}")
    return _read(name)


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of schema `name` ("jobs" | "plan" | "report" | "runs") as a dict."""
    schema: dict[str, Any] = json.loads(_load(name))
    return schema


@functools.cache
def validator(name: str) -> Validator:
    """A Draft-07 validator for schema `name`, built once per process. The schemas ship
    with the code: tests check them against the draft-07 metaschema, the runner does not
    (that took ~10 ms of every `validate`, issue 11)."""
    built: Validator = jsonschema.Draft7Validator(load_schema(name))
    return built
