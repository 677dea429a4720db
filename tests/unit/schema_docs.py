"""What the schema tests check of every shipped JSON schema: each property documented."""

from __future__ import annotations

from typing import Any


def undescribed(schema: dict[str, Any]) -> list[str]:
    """Properties that carry no description, themselves or through their $ref."""
    defs = schema.get("definitions", {})
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                ref = prop.get("$ref", "")
                target = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
                if "description" not in prop and "description" not in target:
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")

    walk(schema, "$")
    return missing
