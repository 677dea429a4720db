"""Values as plans show them (whole), and the count of current values against new ones."""

from __future__ import annotations

from runner.plan.model import FieldDiff, ValueCount
from runner.plan.summary import field_line
from runner.plan.values import EMPTY, field_diff, holds, quoted, shown


def test_shown_gives_each_zoho_shape_one_line() -> None:
    """Lookups by name, multi-selects joined, 1000.0 as 1000, null/""/[] as (empty)."""
    assert [shown(v) for v in (None, "", [], "Closed Won", True, 1000.0, 12.5, 7)] == [
        EMPTY,
        EMPTY,
        EMPTY,
        "Closed Won",
        "true",
        "1000",
        "12.5",
        "7",
    ]
    assert shown({"name": "Acme", "id": "1"}) == "Acme"
    assert shown({"id": "1"}) == '{"id": "1"}'
    assert shown(["English", "Tamil"]) == "English; Tamil"


def test_quoted_never_cuts() -> None:
    """A 300-character value is quoted whole (plans used to cut at 40 characters)."""
    long = "x" * 300
    assert quoted(long) == f'"{long}"'
    assert quoted(["a", 1]) == "['a', 1]"


def test_multi_select_holds_new_values_unless_over_write() -> None:
    """Without over_write the new values are added, so holding them is enough; with it
    the record must hold exactly them (seed 002)."""
    assert holds(["English", "Tamil"], ["Tamil"], over_write=False)
    assert not holds(["English", "Tamil"], ["Tamil"], over_write=True)
    assert holds(["Tamil"], ["Tamil"], over_write=True)
    assert not holds(None, ["Tamil"], over_write=False)
    assert holds(5000, 5000.0, over_write=False)


def test_field_diff_counts_current_values_most_first() -> None:
    """Records per current value, most first then by value; the new value's holders apart."""
    rows = [{"Stage": s} for s in ["Qualification"] * 3 + ["Closed Won"] * 2 + [None, "Needs"]]
    got = field_diff("Stage", "Closed Won", rows)
    assert got == FieldDiff(
        "Stage",
        "Closed Won",
        (ValueCount("Qualification", 3), ValueCount(EMPTY, 1), ValueCount("Needs", 1)),
        2,
    )
    assert field_line(got) == (
        "Stage: Qualification 3, (empty) 1, Needs 1 → Closed Won; 2 already Closed Won"
    )


def test_field_diff_names_an_env_value_by_its_label() -> None:
    """A value from ZCRM_VAR_* is shown by its label, never itself (issue 9)."""
    got = field_diff("Type", "secret", [{"Type": "secret"}, {"Type": "x"}], label="(from env: V)")
    assert field_line(got) == "Type: x 1 → (from env: V); 1 already (from env: V)"


def test_field_line_names_ten_values_then_counts_the_rest() -> None:
    """Past ten current values the line counts the others and their records; no change
    at all says so."""
    rows = [{"City": f"c{n:02d}"} for n in range(14) for _ in range(n + 1)]
    line = field_line(field_diff("City", "Pune", rows))
    assert line.startswith("City: c13 14, c12 13, c11 12, ")
    assert line.endswith("c04 5, 4 other values 10 → Pune")
    assert field_line(field_diff("City", "Pune", [{"City": "Pune"}])) == (
        "City: nothing to change; 1 already Pune"
    )
