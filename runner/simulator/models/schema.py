"""Module and field metadata as frozen data: what `settings/modules` and `settings/fields` serve."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ORG_PREFIX = "554023"  # docs/DEMO_ORG.md: every id starts with the org's prefix

# seed 002 note: "You cannot mass update Email, lookup fields, layout fields, multi line
# fields, and line items."
NOT_MASS_UPDATABLE = frozenset({"email", "lookup", "layout", "textarea", "subform"})

JSON_TYPES = {
    "integer": "integer",
    "currency": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "layout": "jsonobject",
    "multiselectpicklist": "jsonarray",
    "subform": "jsonarray",
}


@dataclass(frozen=True)
class SimField:
    """One field of a module, with Zoho's data type."""

    api_name: str
    data_type: str
    seq: int = 0
    picklist: tuple[str, ...] = ()
    mandatory: bool = False
    unique: bool = False
    read_only: bool = False
    lookup_module: str | None = None
    custom: bool = False

    @property
    def label(self) -> str:
        return self.api_name.replace("_", " ")

    @property
    def mass_updatable(self) -> bool:
        return not self.read_only and self.data_type not in NOT_MASS_UPDATABLE

    def to_json(self, module_k: int) -> dict[str, Any]:
        """The field as `GET /settings/fields` lists it (shape of wire 01/02)."""
        body: dict[str, Any] = {
            "api_name": self.api_name,
            "field_label": self.label,
            "display_label": self.label,
            "data_type": self.data_type,
            "json_type": JSON_TYPES.get(self.data_type, "string"),
            "system_mandatory": self.mandatory,
            "custom_field": self.custom,
            "read_only": self.read_only,
            "visible": True,
            "unique": {"casesensitive": False} if self.unique else {},
            "id": f"{ORG_PREFIX}{module_k:03d}9{self.seq:08d}",
            "length": 255,
        }
        if self.picklist:
            body["pick_list_values"] = [
                {
                    "display_value": value,
                    "actual_value": value,
                    "sequence_number": i + 1,
                    "id": f"{ORG_PREFIX}{module_k:03d}8{self.seq:04d}{i:04d}",
                    "type": "used",
                }
                for i, value in enumerate(self.picklist)
            ]
        if self.lookup_module:
            body["lookup"] = {"module": {"api_name": self.lookup_module}}
        return body


@dataclass(frozen=True)
class ModuleDef:
    """A module: its number k (ids embed it, DEMO_ORG), API name and fields."""

    k: int
    api_name: str
    name_field: str
    fields: tuple[SimField, ...]
    custom: bool = False
    blueprint_field: str | None = None
    by_name: dict[str, SimField] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({f.api_name: f for f in self.fields})

    @functools.cached_property
    def _id_prefix(self) -> str:
        return f"{ORG_PREFIX}{self.k:03d}"

    @functools.cached_property
    def _id_base(self) -> int:
        return int(self._id_prefix) * 10**9

    @property
    def id(self) -> str:
        return f"{ORG_PREFIX}000000006{44 + self.k:03d}"

    def field(self, api_name: str) -> SimField | None:
        return self.by_name.get(api_name)

    def record_id(self, n: int) -> str:
        """DEMO_ORG: "554023" + f"{k:03d}" + f"{n:09d}"."""
        return f"{ORG_PREFIX}{self.k:03d}{n:09d}"

    def record_n(self, record_id: str) -> int | None:
        """The record number n of an id of this module, or None if it cannot be one."""
        return self.record_numbers((record_id,))[0]

    def record_numbers(self, record_ids: Iterable[str]) -> list[int | None]:
        """`record_n` of each id, in one pass (a mass call checks 500 at once)."""
        prefix, base = self._id_prefix, self._id_base
        return [
            n  # the last 9 digits, without slicing
            if len(rid) == 18
            and rid.isascii()  # str.isdigit() and int() take other scripts' digits too
            and rid.isdigit()
            and rid.startswith(prefix)
            and (n := int(rid) - base) >= 1
            else None
            for rid in record_ids
        ]

    def to_json(self) -> dict[str, Any]:
        """The module as `GET /settings/modules` lists it."""
        label = self.api_name.replace("_", " ")
        return {
            "id": self.id,
            "api_name": self.api_name,
            "module_name": self.api_name,
            "singular_label": label[:-1] if label.endswith("s") else label,
            "plural_label": label,
            "api_supported": True,
            "generated_type": "custom" if self.custom else "default",
            "creatable": True,
            "editable": True,
            "deletable": True,
            "viewable": True,
            "sequence_number": self.k,
        }
