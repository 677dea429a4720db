"""Bulk read criteria (also custom view criteria): validated once, compiled to a predicate.

Grammar, comparators per type and limits: API_NOTES §3.1 (SDK8 `bulk_read.Criteria`,
Dv7 create-job, OAS error schemas).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.store import RecordStore
from runner.zoho.limits import CRITERIA_MAX_CONDITIONS, CRITERIA_MAX_VALUES

Predicate = Callable[[RecordStore, int], bool]

COMPARATORS = frozenset(
    {
        "equal", "not_equal", "in", "not_in", "less_than", "less_equal", "greater_than",
        "greater_equal", "contains", "not_contains", "starts_with", "ends_with", "between",
        "not_between",
    }
)  # fmt: skip
_BASE = ("equal", "not_equal", "in", "not_in")
_ORDER = ("less_than", "less_equal", "greater_than", "greater_equal")
_TEXT = (*_BASE, "contains", "not_contains", "starts_with", "ends_with")
SUPPORTED: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("integer", "currency"), (*_BASE, *_ORDER)),
    **dict.fromkeys(
        ("text", "email", "phone", "website", "picklist", "multiselectpicklist", "textarea"),
        _TEXT,
    ),
    **dict.fromkeys(("date", "datetime"), (*_BASE, "between", "not_between", *_ORDER)),
    "boolean": ("equal",),
    **dict.fromkeys(("lookup", "ownerlookup"), _BASE),
}
SYSTEM_FIELDS = {"$converted", "$approved", "$editable"}  # seed 004 sample uses $converted
EMPTY = "${EMPTY}"


def compile_criteria(mod: ModuleDef, criteria: Any) -> Predicate:
    """Validate `criteria` for `mod` (raising SimErrors) and return its predicate."""
    count = [0]
    pred = _node(mod, criteria, count)
    if count[0] > CRITERIA_MAX_CONDITIONS:
        raise e.SimCriteriaLimitExceeded(details={"max_limit": CRITERIA_MAX_CONDITIONS})
    return pred


def _node(mod: ModuleDef, node: Any, count: list[int]) -> Predicate:
    if not isinstance(node, dict):
        raise e.SimInvalidCriteria(details={"api_name": "criteria"})
    if "group" in node and ("field" in node or "comparator" in node):
        raise e.SimAmbiguousCriteria(details={"api_name": "criteria"})
    if "group" in node:
        op = str(node.get("group_operator", "")).lower()
        group = node["group"]
        if op not in ("and", "or"):
            raise e.SimGroupOperatorNotSupported(details={"supported": ["and", "or"]})
        if not isinstance(group, list) or not group:
            raise e.SimInvalidCriteria(details={"api_name": "group"})
        parts = [_node(mod, child, count) for child in group]
        if op == "and":
            return lambda s, n: all(p(s, n) for p in parts)
        return lambda s, n: any(p(s, n) for p in parts)
    count[0] += 1
    return _leaf(mod, node)


def _leaf(mod: ModuleDef, node: dict[str, Any]) -> Predicate:
    spec = node.get("field")
    api_name = spec.get("api_name") if isinstance(spec, dict) else spec
    comparator = node.get("comparator")
    if not isinstance(api_name, str) or "value" not in node or comparator is None:
        raise e.SimInvalidCriteria(details={"api_name": "criteria"})
    if comparator not in COMPARATORS:
        raise e.SimInvalidCriteria(f"invalid comparator {comparator!r}", {"api_name": api_name})
    value = node["value"]
    if api_name in SYSTEM_FIELDS:
        data_type = "boolean"
    else:
        f = mod.field(api_name)
        if f is None:
            raise e.SimFieldInCriteriaNotAvailable(details={"api_name": api_name})
        data_type = f.data_type
    supported = SUPPORTED.get(data_type, ())
    if comparator not in supported:
        raise e.SimFieldComparatorInCriteriaNotSupported(
            details={"api_name": api_name, "supported": list(supported)}
        )
    many = comparator in ("in", "not_in", "between", "not_between")
    if many != isinstance(value, list) or (
        comparator in ("between", "not_between") and len(value) != 2
    ):
        raise e.SimComparatorAndValueInCriteriaNotCompatible(
            details={"api_name": api_name, "comparator": comparator}
        )
    if isinstance(value, list) and len(value) > CRITERIA_MAX_VALUES:
        raise e.SimValueLimitExceededInCriteria(details={"max_limit": CRITERIA_MAX_VALUES})
    test = _test(data_type, comparator, value)
    if api_name in SYSTEM_FIELDS:
        return lambda s, n: test(_system(s, n, api_name))
    return lambda s, n: test(s.get(n, api_name))


def _system(store: RecordStore, n: int, api_name: str) -> bool:
    if api_name == "$approved":
        return store.state(n) != "not_approved"
    if api_name == "$editable":
        return store.state(n) != "locked"
    return False  # $converted: the demo org converts no leads


def _norm(data_type: str, v: Any) -> Any:
    """A comparable form: lowercase text, ids for lookups, floats, bools."""
    if v is None or v == EMPTY or v == "" or v == []:
        return None
    if data_type in ("lookup", "ownerlookup", "layout"):
        return str(v.get("id")) if isinstance(v, dict) else str(v)
    if data_type in ("integer", "currency"):
        try:
            return float(v)
        except (TypeError, ValueError):
            return None
    if data_type == "boolean":
        return v if isinstance(v, bool) else str(v).lower() == "true"
    if isinstance(v, list):
        return [str(x).lower() for x in v]
    return str(v).lower()


def _test(data_type: str, comparator: str, raw: Any) -> Callable[[Any], bool]:
    values = raw if isinstance(raw, list) else [raw]
    want = [_norm(data_type, v) for v in values]
    w = want[0]

    def check(actual: Any) -> bool:
        a = _norm(data_type, actual)
        items = a if isinstance(a, list) else [a]
        return _compare(comparator, items, w, want)

    return check


def _compare(comparator: str, items: list[Any], w: Any, want: list[Any]) -> bool:
    if comparator == "equal":
        return w in items
    if comparator == "not_equal":
        return w not in items
    if comparator == "in":
        return any(x in want for x in items)
    if comparator == "not_in":
        return not any(x in want for x in items)
    a = items[0] if items else None
    if a is None:
        return comparator in ("not_contains", "not_between")
    if comparator in ("contains", "not_contains", "starts_with", "ends_with"):
        text, needle = str(a), str(w or "")
        hit = {
            "contains": needle in text,
            "not_contains": needle not in text,
            "starts_with": text.startswith(needle),
            "ends_with": text.endswith(needle),
        }
        return hit[comparator]
    try:
        if comparator in ("between", "not_between"):
            inside = bool(want[0] <= a <= want[1])
            return inside if comparator == "between" else not inside
        ordered = {
            "less_than": a < w,
            "less_equal": a <= w,
            "greater_than": a > w,
            "greater_equal": a >= w,
        }
        return bool(ordered[comparator])
    except TypeError:
        return False
