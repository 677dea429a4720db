"""plan --online checks every mass update field against the org's metadata (simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.commands import plan as plan_command
from runner.errors import ManifestError, UsageError
from runner.manifest.load import locator_for
from runner.manifest.validate import load_manifests
from runner.plan.online_rules import check_fields_online
from tests.unit.exec_fixtures import harness

MANIFEST = """\
version: 1
jobs:
  - name: unknown-field
    kind: mass_update
    module: Leads
    ids: ["554023001000000001"]
    values: {Favourite_Colour: Blue}
  - name: bad-pick
    kind: mass_update
    module: Accounts
    ids: ["554023002000000001"]
    values: {Industry: Aerospace}
  - name: multi-line
    kind: mass_update
    module: Solutions
    ids: ["554023009000000001"]
    values: {Question: Why?}
  - name: fine
    kind: mass_update
    module: Accounts
    ids: ["554023002000000002"]
    values: {Industry: Education}
"""


def test_online_plan_refuses_fields_the_org_does_not_allow(tmp_path: Path) -> None:
    """Unknown fields, a picklist value the field lacks and a multi-line field are refused,
    each located at the field's own key, while offline validation let them through."""
    path = tmp_path / "jobs.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    common = {"format": "text", "out": None, "detailed_exitcode": False}
    assert plan_command.run(files=[path], online=False, sim=False, **common) == 0  # type: ignore[arg-type]
    with pytest.raises(ManifestError) as caught:
        plan_command.run(files=[path], online=True, sim=True, **common)  # type: ignore[arg-type]
    lines = [str(p) for p in caught.value.problems]
    assert lines == [
        f"{path}:7:14: jobs[0].values.Favourite_Colour: Leads has no field 'Favourite_Colour' "
        "in this org (field-exists-online); use a field API name from Setup > Developer Space "
        "> APIs",
        f"{path}:12:14: jobs[1].values.Industry: 'Aerospace' is not a value of picklist Industry "
        "(-None-, Education, Government, Manufacturing, Technology, Retail) "
        "(picklist-value-online); use one of the picklist's values",
        f"{path}:17:14: jobs[2].values.Question: Question is a multi-line field, which mass "
        "update cannot set (seed 002) (field-not-mass-updatable); use a bulk_write update "
        "job for this field",
    ]


def test_a_bad_picklist_value_from_env_is_named_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The online picklist check names the ZCRM_VAR_* variable instead of its value."""
    monkeypatch.setenv("ZCRM_VAR_INDUSTRY", "Aerospace-canary")
    path = tmp_path / "jobs.yaml"
    path.write_text(
        "version: 1\njobs:\n  - name: bad-pick\n    kind: mass_update\n    module: Accounts\n"
        '    ids: ["554023002000000001"]\n    values: {Industry: "{{ env.ZCRM_VAR_INDUSTRY }}"}\n',
        encoding="utf-8",
    )
    common = {"format": "text", "out": None, "detailed_exitcode": False}
    with pytest.raises(ManifestError) as caught:
        plan_command.run(files=[path], online=True, sim=True, **common)  # type: ignore[arg-type]
    (line,) = [str(p) for p in caught.value.problems]
    assert "jobs[0].values.Industry: the value (from env: ZCRM_VAR_INDUSTRY) is not a value" in line
    assert "canary" not in line


BLOCK = """\
version: 1
jobs:
  - name: deals
    kind: mass_update
    module: Deals
    ids: ["554023004000000005"]
    values:
      Stage: Closed Won
      Favourite_Colour: Blue
"""


def test_a_field_in_a_block_mapping_is_located_at_its_key(tmp_path: Path) -> None:
    """In block style the problem names the line and column of the field's key."""
    path = tmp_path / "jobs.yaml"
    path.write_text(BLOCK, encoding="utf-8")
    common = {"format": "text", "out": None, "detailed_exitcode": False}
    with pytest.raises(ManifestError) as caught:
        plan_command.run(files=[path], online=True, sim=True, **common)  # type: ignore[arg-type]
    (line,) = [str(p) for p in caught.value.problems]
    assert line.startswith(f"{path}:9:7: jobs[0].values.Favourite_Colour: Deals has no field")


@pytest.mark.anyio
async def test_a_file_changed_since_validation_falls_back_to_the_job(tmp_path: Path) -> None:
    """If the manifest changed after it was validated, its keys may have moved: the problem
    names the job's own line, as validated, rather than a line of the new text."""
    path = tmp_path / "jobs.yaml"
    path.write_text(BLOCK, encoding="utf-8")
    (manifest,) = load_manifests([path]).manifests
    path.write_text("# edited\n" + BLOCK, encoding="utf-8")
    assert locator_for(path, manifest.sha256) is None
    async with harness(tmp_path) as h:
        (problem,) = await check_fields_online(h.client, [manifest])
    assert (problem.line, problem.col, problem.path) == (3, 5, "jobs[0].values.Favourite_Colour")


def test_locator_for_reads_the_file_again_only_if_unchanged(tmp_path: Path) -> None:
    """Same bytes: a Locator marking any key; changed or gone: None."""
    path = tmp_path / "jobs.yaml"
    path.write_text(BLOCK, encoding="utf-8")
    (manifest,) = load_manifests([path]).manifests
    found = locator_for(path, manifest.sha256)
    assert found is not None
    assert found.mark(["jobs", 0, "values", "Stage"], key=True) == (8, 7)
    path.unlink()
    assert locator_for(path, manifest.sha256) is None


ROOT = Path(__file__).parents[2]


def test_example_plan_online_shows_every_diff(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 12, done when: plan --online --sim of jobs.example.yaml shows value diffs for
    every mass update and the records the delete removes; the view counted 240 records,
    so validate's automation warning is settled and not printed."""
    common = {"format": "text", "out": None, "detailed_exitcode": False}
    example = ROOT / "jobs.example.yaml"
    assert plan_command.run(files=[example], online=True, sim=True, **common) == 0  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    text = " ".join(out.split())
    assert "values now (read all 12 records · 1 GET, 1 credit): Stage: " in text
    assert " → Closed Won" in text
    assert "Lead_Source: -None- 4, Web Download 3, Cold Call 1 → Advertisement; " in text
    assert (
        "values now (read all 60 records; territory 554023000000430412 only, by Get Records' "
        "territory_id · 1 GET, ~3 credits): Industry: Technology 19, Manufacturing 17, "
        "Government 13, Retail 11 → Education"
    ) in text
    assert "deletes 30 records; the first 20 (id, Last_Name) · 1 GET, ~3 credits: " in text
    assert "554023001000000010 " in text
    assert "ids (12): 554023004000000001, " in text
    assert "cvid-skips-automation" not in err + out
    assert plan_command.run(files=[example], online=False, sim=False, **common) == 0  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    assert "depends on the view's count" in err
    assert "values unknown offline" in out


def test_diff_limit_samples_and_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    """--diff-limit 5 reads 5 of the 12 ids and says so; 0 is a usage error."""
    common = {"format": "markdown", "out": None, "detailed_exitcode": False}
    example = ROOT / "jobs.example.yaml"
    run = plan_command.run
    assert run(files=[example], online=True, sim=True, diff_limit=5, **common) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "**values now (sampled 5 of 12 records spread over the ids · 1 GET, 1 credit)**" in out
    with pytest.raises(UsageError, match="--diff-limit must be 1 or more"):
        run(files=[example], online=True, sim=True, diff_limit=0, **common)  # type: ignore[arg-type]
