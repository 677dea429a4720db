"""Run `schemas/jobs.schema.json` and turn each failure into a located, readable Problem.

Schema nodes whose failure needs its own wording carry `"$comment": "rule: <slug>"`; the
rest get a message per keyword. Big `ids` lists are checked by rules_ids.py in Python
(jsonschema per element is far too slow for 50,000 ids), so they reach jsonschema as a
one-element stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError  # type: ignore[import-untyped]

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, closest, walk
from runner.manifest.schema import validator

_JSON_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "list",
    dict: "mapping",
    type(None): "null",
}
_JSON_NAMES = {"object": "mapping", "array": "list"}  # as a YAML author calls them
_SELECTORS = ("ids", "ids_file", "cvid")


def check_schema(data: dict[str, Any], reporter: Reporter) -> None:
    """Report every schema failure of `data` (rendered), each once."""
    seen: set[tuple[str, str]] = set()
    before = len(reporter.problems)
    for error in validator("jobs").iter_errors(_stand_in(data)):
        _report(error, reporter)
    unique = []
    for problem in reporter.problems[before:]:
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            unique.append(problem)
    reporter.problems[before:] = unique


def _stand_in(data: dict[str, Any]) -> dict[str, Any]:
    jobs = data.get("jobs")
    if not isinstance(jobs, list):
        return data
    swapped: list[Any] = []
    for job in jobs:
        if isinstance(job, dict) and isinstance(job.get("ids"), list) and job["ids"]:
            job = {**job, "ids": ["1"]}
        swapped.append(job)
    return {**data, "jobs": swapped}


def _rule(error: ValidationError) -> str | None:
    comment = error.schema.get("$comment") if isinstance(error.schema, dict) else None
    if isinstance(comment, str) and comment.startswith("rule: "):
        return comment[len("rule: ") :]
    return None


def _type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _report(error: ValidationError, reporter: Reporter) -> None:
    parts: list[PathPart] = list(error.absolute_path)
    handler = _HANDLERS.get(str(error.validator), _generic)
    handler(error, _rule(error), parts, reporter)


Handler = Callable[[ValidationError, "str | None", list[PathPart], Reporter], None]


def _required(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    inst = error.instance
    for key in error.validator_value:
        if not isinstance(inst, dict) or key in inst:
            continue
        if rule == "territory-needs-cvid":
            r.add(
                [*parts, "territory"], "territory needs cvid", rule, "add cvid, or drop territory"
            )
        elif rule == "bulk-write-find-by":
            msg = f"operation {inst.get('operation')} needs find_by"
            r.add(parts, msg, rule, "add find_by: id (or a unique field such as Email)")
        else:
            r.add(parts, f"missing key {key!r}", rule or "required-key", f"add {key}")


def _unknown(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    allowed = sorted(error.schema.get("properties", {}))
    inst = error.instance if isinstance(error.instance, dict) else {}
    owner = f" for {inst['kind']}" if isinstance(inst.get("kind"), str) else ""
    for key in inst:
        if key in allowed:
            continue
        guess = closest(str(key), allowed)
        fix = f"did you mean {guess!r}?" if guess else f"remove it; allowed: {', '.join(allowed)}"
        r.add([*parts, key], f"unknown key {key!r}{owner}", "unknown-key", fix, key=True)


def _enum(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    choices = [str(c) for c in error.validator_value]
    if rule == "ics-module":
        msg = f"file_type ics exports only Events or Meetings, not {error.instance}"
        r.add(parts, msg, rule, "use file_type csv, or module Events or Meetings")
        return
    guess = closest(str(error.instance), choices) if isinstance(error.instance, str) else None
    fix = f"did you mean {guess!r}?" if guess else "use one of the values listed"
    msg = f"{_shown(error.instance)} is not one of: {', '.join(choices)}"
    r.add(parts, msg, rule or "allowed-values", fix)


def _const(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    msg = f"{_shown(error.instance)} is not supported, expected {error.validator_value!r}"
    r.add(parts, msg, rule or "const", f"write {error.validator_value!r}")


def _type(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    got = _type_name(error.instance)
    if rule == "single-value":
        r.add(parts, "this comparator takes one value, not a list", rule, "use in or not_in")
    elif rule == "between-pair":
        r.add(parts, f"between takes [from, to], got {_a(got)}", rule, "write [from, to]")
    elif rule == "in-list":
        r.add(parts, f"in/not_in take a list, got {_a(got)}", rule, "write the values as a list")
    else:
        wanted = error.validator_value
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        expected = " or ".join(_JSON_NAMES.get(n, n) for n in names)
        r.add(
            parts,
            f"expected {_a(expected)}, got {_a(got)}",
            rule or "type",
            f"write {_a(expected)}",
        )


_PATTERN_TEXT = {
    "job-name": ("is not a valid job name", "use a-z, 0-9, - and _, starting with a-z or 0-9"),
    "record-id": ("is not a record id", 'write the id\'s digits, e.g. "554023000000497007"'),
    "field-api-name": ("is not a field API name", "use the API name (Lead_Source), not a label"),
}


def _pattern(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    what, fix = _PATTERN_TEXT.get(rule or "", (f"does not match {error.validator_value}", ""))
    if error.validator == "minimum":
        what = "is not a record id"
    key = rule == "field-api-name"
    if key:
        parts = [*parts, str(error.instance)]
    r.add(parts, f"{_shown(error.instance)} {what}", rule or "pattern", fix or "fix it", key=key)


def _counts(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    inst, limit, kw = error.instance, error.validator_value, str(error.validator)
    n = len(inst) if isinstance(inst, list | dict | str) else 0
    if rule == "deals-max-3":
        r.add(parts, f"{n} fields, Deals allows 3", rule, "keep ≤ 3 or split the job")
    elif rule == "mass-update-one-field":
        job = walk(r.data, parts[:-1])
        module = job.get("module") if isinstance(job, dict) else "this module"
        fix = "keep 1 field or split the job (only Deals allows 3)"
        r.add(parts, f"{n} fields, {module} allows 1", rule, fix)
    elif rule == "between-pair":
        got = f"{n} value" if n == 1 else f"{n} values"
        r.add(parts, f"between takes [from, to], got {got}", rule, "write [from, to]")
    elif rule == "criteria-values-max-200":
        msg = f"{n} values, a condition takes at most 200 (API_NOTES §3.1)"
        r.add(parts, msg, rule, "split it into several conditions joined with or")
    elif kw == "minProperties":
        r.add(parts, "no field to set", rule or "values", "add one field: value")
    elif kw in ("minItems", "minLength"):
        r.add(parts, "is empty", rule or "not-empty", "give a value, or remove the key")
    elif kw in ("maxItems", "maxProperties", "maxLength"):
        r.add(parts, f"{n} items, at most {limit}", rule or "too-many", f"keep ≤ {limit}")
    else:
        r.add(parts, error.message, rule or kw, "fix it")


def _unique(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    inst = error.instance if isinstance(error.instance, list) else []
    dups = sorted({str(v) for v in inst if inst.count(v) > 1})
    r.add(parts, f"listed twice: {', '.join(dups)}", rule or "unique", "list each item once")


def _one_of(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    inst = error.instance if isinstance(error.instance, dict) else {}
    present = [k for k in _SELECTORS if k in inst]
    if rule == "selector-one-of" and not present:
        msg = "no records chosen: give one of ids, ids_file or cvid"
        r.add(parts, msg, rule, "add ids, ids_file or cvid")
    elif rule == "selector-one-of":
        msg = f"{' and '.join(present)} given together"
        r.add(parts, msg, rule, "keep only one of ids, ids_file, cvid")
    else:
        _generic(error, rule, parts, r)


def _any_of(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    if rule == "mapping-source":
        msg = "mapping has neither column nor default_value"
        r.add(parts, msg, rule, "add column: <CSV header>, or default_value")
    else:
        _generic(error, rule, parts, r)


def _not(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    if rule == "ics-no-fields":
        msg = "file_type ics takes no fields"
        r.add([*parts, "fields"], msg, rule, "remove fields, or use file_type csv")
    else:
        _generic(error, rule, parts, r)


def _generic(error: ValidationError, rule: str | None, parts: list[PathPart], r: Reporter) -> None:
    r.add(parts, error.message, rule or str(error.validator), "fix it as the schema describes")


_HANDLERS: dict[str, Handler] = {
    "required": _required,
    "additionalProperties": _unknown,
    "enum": _enum,
    "const": _const,
    "type": _type,
    "pattern": _pattern,
    "minimum": _pattern,
    "minItems": _counts,
    "maxItems": _counts,
    "minProperties": _counts,
    "maxProperties": _counts,
    "minLength": _counts,
    "maxLength": _counts,
    "uniqueItems": _unique,
    "oneOf": _one_of,
    "anyOf": _any_of,
    "not": _not,
}
