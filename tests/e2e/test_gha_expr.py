"""The expression subset the workflow tests evaluate behaves as GitHub documents it."""

from __future__ import annotations

import pytest

from tests.e2e.gha_expr import condition, evaluate, interpolate

CONTEXTS = {
    "steps": {"plan": {"outcome": "success", "outputs": {"go": "true"}}},
    "secrets": {"A": "", "B": "b"},
    "github": {"run_id": 7},
}
ALL_WELL = {
    "success": lambda: True,
    "failure": lambda: False,
    "always": lambda: True,
    "cancelled": lambda: False,
}
FAILED = {**ALL_WELL, "success": lambda: False, "failure": lambda: True}


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("steps.plan.outcome == 'SUCCESS'", True),  # strings compare ignoring case
        ("steps.plan.outputs.missing == ''", True),  # null and '' both read as 0
        ("steps.nothing.outputs.go != 'true'", True),
        ("secrets.A || secrets.B", "b"),  # || gives the first truthy value
        ("!(secrets.B && false)", True),
        ("github.run_id == '7'", True),  # a number and a string compare as numbers
    ],
)
def test_expressions_follow_githubs_rules(expr: str, value: object) -> None:
    """Case-insensitive strings, loose types, value-returning || and &&."""
    assert evaluate(expr, CONTEXTS, ALL_WELL) == value


def test_an_if_without_a_status_function_needs_success() -> None:
    """`if: x` means `success() && x`; `!cancelled() && x` runs after a failure too."""
    assert condition("steps.plan.outputs.go == 'true'", CONTEXTS, ALL_WELL)
    assert not condition("steps.plan.outputs.go == 'true'", CONTEXTS, FAILED)
    assert condition("${{ !cancelled() && steps.plan.outcome == 'success' }}", CONTEXTS, FAILED)
    assert not condition(None, CONTEXTS, FAILED)


def test_interpolation_and_unsupported_syntax() -> None:
    """`${{ }}` inside text is replaced; syntax beyond the subset is an error, not a guess."""
    assert interpolate("runs/${{ github.run_id }}/x", CONTEXTS) == "runs/7/x"
    with pytest.raises(ValueError, match="unsupported function hashFiles"):
        evaluate("hashFiles()", CONTEXTS, ALL_WELL)
    with pytest.raises(ValueError, match="unsupported expression"):
        evaluate("contains(github.run_id, 7)", CONTEXTS, ALL_WELL)
    with pytest.raises(ValueError, match="unsupported expression"):
        evaluate("github.run_id > 3", CONTEXTS, ALL_WELL)
