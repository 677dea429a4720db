"""Values as a plan shows them, whole, and the count of current values against new ones.

Zoho's value shapes (API_NOTES §13): picklists and text are strings, multi-select
picklists arrays of strings, lookups and owners `{name, id}`, empty fields `null`.
A plan never cuts a value: renderers wrap long ones, JSON carries them as they are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from runner.plan.model import FieldDiff, ValueCount

EMPTY = "(empty)"


def quoted(value: Any) -> str:
    """A manifest value in a request summary: strings in double quotes, the rest as
    Python writes them; never cut (issue 12)."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def shown(value: Any) -> str:
    """A value as one line of text: a lookup by its name, a multi-select joined by `; `,
    1000.0 as 1000, and null, "" or [] as `(empty)`."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Mapping):
        name = value.get("name")
        return str(name) if name is not None else json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return "; ".join(shown(v) for v in value)
    return str(value)


def _members(value: Any) -> set[str]:
    if value is None or value == "":
        return set()
    return {shown(v) for v in value} if isinstance(value, list) else {shown(value)}


def holds(current: Any, new: Any, *, over_write: bool) -> bool:
    """Whether a record already holds the new value. A multi-select gains the new values
    unless `over_write` replaces them (seed 002), so without it holding them is enough."""
    if isinstance(new, list):
        have, want = _members(current), _members(new)
        return have == want if over_write else want <= have
    return shown(current) == shown(new)


def field_diff(
    field: str,
    new: Any,
    rows: Iterable[Mapping[str, Any]],
    *,
    label: str | None = None,
    over_write: bool = False,
) -> FieldDiff:
    """Per current value, how many `rows` hold it, most first (then by value); the rows
    already holding `new` counted apart. `label` stands for a value from ZCRM_VAR_*."""
    counts: Counter[str] = Counter()
    unchanged = 0
    for row in rows:
        current = row.get(field)
        if holds(current, new, over_write=over_write):
            unchanged += 1
        else:
            counts[shown(current)] += 1
    changes = tuple(
        ValueCount(value, n) for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return FieldDiff(field, label or shown(new), changes, unchanged)
