"""Facts about one property of the jobs schema, read the way a manifest author needs them:
its type, whether it is required, its default, its allowed values and limits, its rule.

Everything here reads `schemas/jobs.schema.json` (draft-07) and nothing else, so the
manifest reference cannot say what the schema does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.docsgen.markdown import code, codes

Node = Mapping[str, Any]
_TYPE_WORDS = {"array": "list", "object": "object", "integer": "integer", "string": "string"}
_RULE = re.compile(r"rule:\s*([a-z0-9-]+)")


@dataclass(frozen=True)
class Schema:
    """The schema and its `$ref` resolution."""

    root: Node

    def ref_name(self, node: Node) -> str | None:
        """`#/definitions/NAME` → NAME; None when the node is no reference."""
        ref = node.get("$ref")
        return str(ref).removeprefix("#/definitions/") if ref else None

    def resolve(self, node: Node) -> Node:
        """Follow `$ref`s until a node that defines something."""
        while "$ref" in node:
            target: Any = self.root
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def definition(self, name: str) -> Node:
        found: Node = self.root["definitions"][name]
        return found


def rule_of(node: Node) -> str | None:
    """The rule slug a `$comment` names (`rule: deals-max-3` → `deals-max-3`)."""
    match = _RULE.search(str(node.get("$comment", "")))
    return match.group(1) if match else None


def type_text(schema: Schema, node: Node, link: dict[str, str]) -> str:
    """`string`, `string or integer`, `list of string`, `object (see [territory](#territory))`."""
    name = schema.ref_name(node)
    node = schema.resolve(node)
    if "const" in node:
        return _json_type(node["const"])
    if "enum" in node:
        return either(list(dict.fromkeys(_json_type(v) for v in node["enum"])))
    raw = node.get("type", "object" if "properties" in node or "if" in node else "any")
    types = raw if isinstance(raw, list) else [raw]
    words: list[str] = []
    for t in types:
        if t == "array" and "items" in node:
            inner = type_text(schema, node["items"], link)
            several = " or " in inner and "(" not in inner
            words.append(f"list of ({inner})" if several else f"list of {inner}")
        else:
            words.append(_TYPE_WORDS.get(str(t), str(t)))
    text = either(words)
    if name is not None and name in link:
        text += f" ([{link[name]}](#{link[name]}))"
    return text


def either(words: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "any"


def limits(schema: Schema, node: Node) -> list[str]:
    """What values a property takes: choices, sizes, patterns and its rule slug."""
    node = schema.resolve(node)
    out: list[str] = []
    if "const" in node:
        out.append(f"always {code(node['const'])}")
    if "enum" in node:
        out.append(f"one of {codes(node['enum'])}")
    if "pattern" in node:
        out.append(f"matches {code(node['pattern'])}")
    out += _sizes(node, "Length", "character")
    out += _sizes(node, "Items", "item")
    out += _sizes(node, "Properties", "key")
    if "minimum" in node:
        out.append(f"at least {node['minimum']}")
    if node.get("uniqueItems"):
        out.append("no duplicates")
    names = node.get("propertyNames", {})
    if "pattern" in names:
        out.append(f"keys match {code(names['pattern'])}")
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and "type" in extra:
        out.append(f"values: {type_text(schema, extra, {})}")
    items = node.get("items")
    if isinstance(items, Mapping) and "$ref" not in items:
        for limit in limits(schema, items):
            out.append(f"each item: {limit}")
    for rule in dict.fromkeys(r for r in (rule_of(node), rule_of(names)) if r):
        out.append(f"rule {code(rule)}")
    return out


def _sizes(node: Node, suffix: str, unit: str) -> list[str]:
    low, high = node.get(f"min{suffix}"), node.get(f"max{suffix}")
    if low is not None and high is not None:
        return [f"exactly {_count(low, unit)}" if low == high else f"{low} to {_count(high, unit)}"]
    if high is not None:
        return [f"at most {_count(high, unit)}"]
    if low == 1 and unit == "character":
        return ["not empty"]
    if low is not None:
        return [f"at least {_count(low, unit)}"]
    return []


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def default_text(schema: Schema, node: Node) -> str:
    """The schema's `default` for a property, as code; `—` when it has none."""
    resolved = schema.resolve(node)
    for where in (node, resolved):
        if "default" in where:
            return code(where["default"])
    return "—"


def description(schema: Schema, node: Node) -> str:
    """The property's own description, else its definition's."""
    return str(node.get("description") or schema.resolve(node).get("description", ""))


def condition(node: Node) -> str:
    """An `if`'s words: its property's description (`When module is Deals.`), unpunctuated."""
    for sub in node.get("properties", {}).values():
        if "description" in sub:
            return str(sub["description"]).rstrip(".")
    required = node.get("required", [])
    return f"When {codes(required, ' and ')} is given" if required else "Always"
