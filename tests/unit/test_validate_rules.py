"""Every validator rule: a bad manifest pinned word for word, and good ones that pass.

Each `tests/data/manifests/rules/NAME.yaml` has `NAME.expected`, the exact stderr of
`zcrm-runner validate NAME.yaml` run in that folder (the CSV and ids files beside them
are the fixtures). Exit code: 0 when the summary says valid, else 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner import cli
from runner.commands import validate

RULES = Path(__file__).parents[1] / "data" / "manifests" / "rules"
CASES = sorted(p.stem for p in RULES.glob("*.yaml"))


@pytest.mark.parametrize("name", CASES)
def test_rule_output_is_pinned(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The validator prints exactly the expected located lines and exits 0 or 1."""
    monkeypatch.chdir(RULES)
    expected = (RULES / f"{name}.expected").read_text(encoding="utf-8")
    code = validate.run(files=[Path(f"{name}.yaml")], format="text")
    assert capsys.readouterr().err == expected
    assert code == (0 if " valid" in expected.splitlines()[-1] else 1)


def test_every_rule_family_has_a_failing_case() -> None:
    """The pinned set covers each rule slug the issue lists at least once."""
    text = "".join(p.read_text(encoding="utf-8") for p in RULES.glob("*.expected"))
    for rule in (
        "deals-max-3", "mass-update-one-field", "selector-one-of", "territory-needs-cvid",
        "record-id", "ids-unique", "unique-names", "needs-known", "needs-cycle",
        "unknown-module", "module-kind", "module-unsupported", "field-not-mass-updatable",
        "comparator", "between-pair", "in-list", "criteria-max-25", "ics-no-fields",
        "ics-module", "operation", "bulk-write-find-by", "csv-column", "csv-columns-max-200",
        "file-exists", "path-inside", "cvid-skips-automation", "over-write-no-multi-select",
        "csv-duplicate-column", "csv-no-rows", "csv-field-count", "csv-quote",
        "not-a-manifest",
    ):  # fmt: skip
        assert f"({rule})" in text, rule


def test_deals_three_fields_pass_accounts_two_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deals take 3 fields in one job; Accounts take 1, through the real CLI."""
    monkeypatch.chdir(tmp_path)
    job = (
        "version: 1\njobs:\n  - {{name: a, kind: mass_update, module: {}, ids: [1], values: {}}}\n"
    )
    Path("deals.yaml").write_text(job.format("Deals", "{Stage: a, Type: b, Amount: 3}"))
    Path("accounts.yaml").write_text(job.format("Accounts", "{Industry: a, Phone: b}"))
    assert cli.main(["validate", "deals.yaml"]) == 0
    assert capsys.readouterr().err == "1 file valid\n"
    assert cli.main(["validate", "accounts.yaml"]) == 1
    assert capsys.readouterr().err == (
        "accounts.yaml:3:70: jobs[0].values: 2 fields, Accounts allows 1 (mass-update-one-field); "
        "keep 1 field or split the job (only Deals allows 3)\n"
        "1 error in 1 file\n"
    )


def test_more_than_50000_ids_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A job of 50,001 ids is refused; 500 per call is the planner's batching, not an error."""
    monkeypatch.chdir(tmp_path)
    ids = ",".join(str(554023001000000000 + n) for n in range(1, 50002))
    head = "version: 1\njobs:\n  - name: a\n    kind: mass_delete\n    module: Leads\n"
    Path("big.yaml").write_text(f"{head}    ids: [{ids}]\n")
    assert validate.run(files=[Path("big.yaml")], format="text") == 1
    assert capsys.readouterr().err == (
        "big.yaml:6:10: jobs[0].ids: 50,001 ids, a job takes at most 50,000 (seed 002) "
        "(ids-max-50000); split the ids into several jobs\n"
        "1 error in 1 file\n"
    )


def test_all_errors_of_a_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several broken jobs in one file are all reported, in line order, in one run."""
    monkeypatch.chdir(tmp_path)
    Path("jobs.yaml").write_text(
        "version: 1\njobs:\n"
        "  - {name: a, kind: mass_update, module: Deal, ids: [1], values: {Stage: x}}\n"
        "  - {name: b, kind: mass_delete, module: Leads, ids: [x]}\n"
        "  - {name: a, kind: bulk_read, module: Leads, output: ../x.csv}\n"
    )
    assert validate.run(files=[Path("jobs.yaml")], format="text") == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        "jobs.yaml:3:42", "jobs.yaml:4:55", "jobs.yaml:5:12", "jobs.yaml:5:55",
    ]  # fmt: skip
    assert lines[-1] == "4 errors in 1 file"
