"""Renderers: JSON valid against the schema, Markdown ≤ 60 kB summary first, text table."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from runner.manifest.model import BulkReadJob, BulkWriteJob, Manifest, MassDeleteJob, MassUpdateJob
from runner.manifest.problems import Problem
from runner.manifest.schema import load_schema, validator
from runner.manifest.validate import check_files
from runner.plan.build import build_plan
from runner.plan.codec import plan_from_dict, plan_identity
from runner.plan.file import load_plan, save_plan
from runner.plan.model import FieldDiff, NamedRecord, OrgFacts, Plan, ValueCount, ValueDiff
from runner.plan.render_json import render_json
from runner.plan.render_markdown import LIMIT_BYTES, MIN_BYTES, render_markdown
from runner.plan.render_text import render_text

WARNING = Problem(
    "jobs.yaml",
    9,
    5,
    "jobs[1]",
    "over_write has no effect",
    "over-write",
    "drop it",
    severity="warning",
)


def _ids(n: int) -> tuple[str, ...]:
    return tuple(f"554023001{i:09d}" for i in range(1, n + 1))


def _mixed(tmp_path: Path) -> Plan:
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text("Last_Name,Email\nBoyle,p@x.test\n", encoding="utf-8")
    jobs = (
        MassUpdateJob(
            name="deals-source",
            module="Deals",
            ids=_ids(1_200),
            values={"Lead_Source": "Advertisement"},
        ),
        MassDeleteJob(
            name="junk-leads", module="Leads", cvid="554023000000091999", needs=("export-leads",)
        ),
        BulkReadJob(
            name="export-leads",
            module="Leads",
            output=Path("exports/leads.csv"),
            fields=("Last_Name",),
        ),
        BulkWriteJob(
            name="import-leads", module="Leads", operation="upsert", file=csv_file, find_by="Email"
        ),
    )
    manifest = Manifest(path=tmp_path / "jobs.yaml", sha256="a" * 64, version=1, jobs=jobs)
    return build_plan([manifest], warnings=[WARNING], now=datetime(2026, 1, 2, tzinfo=timezone.utc))


@functools.cache  # plans are immutable; the big ones take seconds to build and hash
def _big(jobs: int, ids: int, *, backup: bool = False) -> Plan:
    shared = _ids(ids)
    job_list = tuple(
        MassUpdateJob(
            name=f"job-{n:04d}", module="Deals", ids=shared, values={"Type": "x"}, backup=backup
        )
        for n in range(jobs)
    )
    manifest = Manifest(path=Path("big.yaml"), sha256="b" * 64, version=1, jobs=job_list)
    return build_plan([manifest])


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}.{name}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{where}[{i}]")


def test_json_output_validates_against_the_schema(tmp_path: Path) -> None:
    """render_json's output of a plan with every kind is valid plan.schema.json data."""
    data = json.loads(render_json(_mixed(tmp_path)))
    validator("plan").validate(data)
    assert data["format_version"] == 1
    assert data["totals"]["destructive_jobs"] == 1
    assert [j["name"] for j in data["jobs"]] == [
        "deals-source",
        "export-leads",
        "junk-leads",
        "import-leads",
    ]


def test_schema_is_draft07_with_id_and_descriptions() -> None:
    """The plan schema is valid draft-07, has $id, and every property has a description."""
    schema = load_schema("plan")
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"].endswith("/plan.schema.json")
    missing = [where for where, sub in _properties(schema) if "description" not in sub]
    assert missing == []


def test_schema_refuses_an_unknown_format_version(tmp_path: Path) -> None:
    """format_version is pinned: a plan claiming version 2 does not validate."""
    data = json.loads(render_json(_mixed(tmp_path)))
    data["format_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        validator("plan").validate(data)


def test_markdown_starts_with_a_heading_then_the_summary_table(tmp_path: Path) -> None:
    """The comment opens with the plan's sha256 in a hidden line, a heading naming the
    manifests and the target, then the summary table; steps are folded in <details>."""
    plan = _mixed(tmp_path)
    text = render_markdown(plan)
    lines = text.splitlines()
    assert lines[0] == f"<!-- zcrm-runner plan sha256: {plan_identity(plan)} -->"
    assert lines[1] == ""
    assert lines[2] == (
        f"### zcrm-runner plan: `{tmp_path / 'jobs.yaml'}` → offline (no org checked)"
    )
    assert lines[3] == ""
    lines = lines[2:]
    assert lines[2] == (
        "| # | job | kind | module | selector | records | calls | polls | credits | destructive |"
    )
    assert lines[5].startswith("| 2 | `export-leads` | bulk_read |")
    assert "| 3 | `junk-leads` | mass_delete | Leads | cvid | unknown offline |" in text
    assert "**DESTRUCTIVE**" in lines[6]
    assert "> [!NOTE]" not in text
    assert text.count("<details>") == 4
    assert text.index("<details>") > text.index("#### OAuth scopes")
    assert "- `ZohoCRM.modules.leads.CREATE (probable)`" in text


def test_markdown_shows_all_100_batches_of_50000_ids() -> None:
    """One job of 50,000 ids lists its 100 batches in full and fits easily."""
    text = render_markdown(_big(1, 50_000))
    assert "| 100 | POST | /crm/v8/Deals/actions/mass_update | 100 | 500 |" in text
    assert "more batches" not in text
    assert len(text.encode()) <= LIMIT_BYTES


def test_markdown_stays_under_60kb_for_a_huge_plan() -> None:
    """200 jobs × 100 batches are cut to fit 60 kB, saying how many batches are hidden."""
    text = render_markdown(_big(200, 50_000))
    assert len(text.encode()) <= LIMIT_BYTES
    assert "\n### zcrm-runner plan: `big.yaml` → offline (no org checked)\n\n" in text
    assert "\n\n| # | job |" in text
    assert "more batches" in text
    assert "| 200 | `job-0199` |" in text or "more jobs" in text


def test_markdown_stays_under_60kb_with_thousands_of_jobs() -> None:
    """Even 3,000 jobs keep the bound: the summary table and details are cut, with counts."""
    text = render_markdown(_big(3_000, 1))
    assert len(text.encode()) <= LIMIT_BYTES
    assert "more jobs" in text


def test_markdown_marker_opens_the_comment_and_names_it(tmp_path: Path) -> None:
    """With a marker the first line is the one a CI job looks for, then the sha256, then a
    heading naming the target."""
    plan = _mixed(tmp_path)
    lines = render_markdown(plan, marker="production").splitlines()
    assert lines[:5] == [
        "<!-- zcrm-runner plan: production -->",
        f"<!-- zcrm-runner plan sha256: {plan_identity(plan)} -->",
        "",
        "### zcrm-runner plan for `production`: "
        f"`{tmp_path / 'jobs.yaml'}` → offline (no org checked)",
        "",
    ]


def test_markdown_sha256_is_the_saved_plans_identity(tmp_path: Path) -> None:
    """The hidden sha256 is the identity `apply --plan` records for the file saved from the
    same plan, so a reviewer's comment and the applied plan can be matched."""
    plan = _mixed(tmp_path)
    save_plan(plan, tmp_path / "plan.json")
    shown = render_markdown(plan).splitlines()[0]
    assert (
        shown
        == f"<!-- zcrm-runner plan sha256: {plan_identity(load_plan(tmp_path / 'plan.json'))} -->"
    )


def test_markdown_cut_note_points_to_the_run(tmp_path: Path) -> None:
    """A cut plan says so under the totals, with the room it had and where the whole plan
    is; an uncut one has no note."""
    url = "https://github.com/o/r/actions/runs/42"
    plan = _big(200, 50_000)
    text = render_markdown(plan, details_url=url)
    note = (
        "> [!NOTE]\n> This plan was cut to fit 60,000 bytes: every job is counted above, and "
        f"the whole plan is in the step summary and the plan artifact of [this run]({url}).\n"
    )
    assert note in text
    assert text.index(note) < text.index("#### Steps")
    offline = render_markdown(plan)
    assert "the whole plan is in `zcrm-runner plan --format json`, or the file saved" in offline
    assert "[!NOTE]" not in render_markdown(_big(1, 50_000), details_url=url)


def test_markdown_with_a_large_budget_shows_every_batch() -> None:
    """The step summary's budget (1 MB) holds 20 jobs × 100 batches whole, with no note."""
    text = render_markdown(_big(20, 50_000), limit=1_000_000)
    assert "more batches" not in text
    assert "[!NOTE]" not in text
    assert text.count("| POST | /crm/v8/Deals/actions/mass_update |") == 2_000


def _destructive_long_names(jobs: int) -> Plan:
    job_list = tuple(
        MassDeleteJob(name=f"{n:03d}-" + "x" * 96, module="Leads", ids=_ids(1_000))
        for n in range(jobs)
    )
    manifest = Manifest(path=Path("d.yaml"), sha256="d" * 64, version=1, jobs=job_list)
    return build_plan([manifest])


@pytest.fixture(scope="module", params=["200x100-batches", "3000-jobs", "300-long-destructive"])
def awkward_plan(request: pytest.FixtureRequest) -> Plan:
    """Plans that press on each part of the budget: steps, summary rows, the totals' list."""
    if request.param == "200x100-batches":
        return _big(200, 50_000)
    if request.param == "3000-jobs":
        return _big(3_000, 1)
    return _destructive_long_names(300)


@pytest.mark.parametrize("limit", [MIN_BYTES, 9_000, 20_000, LIMIT_BYTES])
def test_markdown_never_exceeds_its_budget(awkward_plan: Plan, limit: int) -> None:
    """Whatever the plan, the Markdown with marker, sha256 and cut note fits `limit` bytes."""
    url = "https://github.com/o/r/actions/runs/" + "9" * 250
    text = render_markdown(awkward_plan, limit=limit, marker="p" * 64, details_url=url)
    assert len(text.encode()) <= limit
    assert "[!NOTE]" in text


def test_markdown_escapes_untrusted_text(tmp_path: Path) -> None:
    """Values from manifests cannot break the table or inject HTML into the comment."""
    job = MassUpdateJob(name="x", module="Deals", ids=_ids(1), values={"Type": "<script>|`x`"})
    plan = build_plan([Manifest(Path("m.yaml"), "c" * 64, 1, (job,))])
    text = render_markdown(plan)
    assert "<script>" not in text
    assert "&lt;script&gt;\\|'x'" in text


def test_text_renderer_shows_each_job_and_totals(tmp_path: Path) -> None:
    """The terminal table names every job, folds equal batches, lists warnings and scopes."""
    text = render_text(_mixed(tmp_path))
    for name in ("deals-source", "junk-leads", "export-leads", "import-leads"):
        assert name in text
    assert "DESTRUCTIVE" in text
    assert "1–2" in text  # batches 1 and 2 of 500 ids fold into one row
    assert "4 job(s)" in text
    assert "over_write has no effect" in text
    assert "ZohoFiles.files.ALL" in text
    assert "\x1b[" not in text


CANARY = "zcrm-var-canary-plan-91c2"


def _from_env_plan(tmp_path: Path) -> Plan:
    path = tmp_path / "jobs.yaml"
    path.write_text(
        'version: 1\nvars: {t: "{{ env.ZCRM_VAR_TOKEN }}"}\njobs:\n'
        "  - name: by-ids\n    kind: mass_update\n    module: Deals\n    ids: [1]\n"
        '    values: {Stage: Won, Type: "{{ env.ZCRM_VAR_TOKEN | upper }}", '
        'Lead_Source: "see {{ vars.t }}"}\n'
        "  - name: by-view\n    kind: mass_update\n    module: Accounts\n"
        '    cvid: "554023000000091999"\n    values: {Industry: "{{ env.ZCRM_VAR_TOKEN }}"}\n',
        encoding="utf-8",
    )
    checked = check_files([path], environ={"ZCRM_VAR_TOKEN": CANARY})
    assert not checked.errors
    return build_plan(checked.manifests, warnings=checked.warnings)


def _wide_text(plan: Plan) -> str:
    return render_text(plan, width=400)  # cells unwrapped, to find whole phrases


@pytest.mark.parametrize("render", [_wide_text, render_json, render_markdown])
def test_values_from_env_are_masked_in_every_format(tmp_path: Path, render: Any) -> None:
    """Text, JSON (also the saved plan) and Markdown show the variable's name for a value
    built from env, transformed or through vars, and other values as they are."""
    text = render(_from_env_plan(tmp_path))
    assert CANARY not in text
    assert CANARY.upper() not in text
    assert "Type=(from env: ZCRM_VAR_TOKEN)" in " ".join(text.split())
    assert "Industry=(from env: ZCRM_VAR_TOKEN)" in " ".join(text.split())
    assert "Lead_Source=(from env: ZCRM_VAR_TOKEN)" in " ".join(text.split())
    assert "Won" in text  # a value written in the manifest is shown


def test_saved_plan_holds_no_value_from_env(tmp_path: Path) -> None:
    """`plan --out` writes the same masked JSON: apply renders the value again from env."""
    save_plan(_from_env_plan(tmp_path), tmp_path / "plan.json")
    saved = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert CANARY not in saved
    assert "(from env: ZCRM_VAR_TOKEN)" in saved


LONG = "Negotiation/Review — " + " ".join(["a value well past forty characters"] * 4)


def _with_diff(ids: int = 50_000) -> Plan:
    """A 50,000-id update and a cvid delete, planned online: a sampled diff whose fields
    hold 2,000 distinct long values, and a delete naming its first 20 records."""
    update = MassUpdateJob(name="deals", module="Deals", ids=_ids(ids), values={"Stage": LONG})
    delete = MassDeleteJob(name="junk", module="Leads", cvid="554023000000091999")
    manifest = Manifest(path=Path("jobs.yaml"), sha256="d" * 64, version=1, jobs=(update, delete))
    values = tuple(ValueCount(f"{LONG} #{n:04d}", 2_000 - n) for n in range(2_000))
    diffs = {
        "deals": ValueDiff(
            asked=2_000,
            found=1_990,
            total=ids,
            sampled=True,
            calls=20,
            credits=20,
            fields=(FieldDiff("Stage", LONG, values, 30),),
        ),
        "junk": ValueDiff(
            asked=20,
            found=20,
            total=30,
            sampled=True,
            calls=1,
            credits=3,
            records=tuple(NamedRecord(f"5540230010000000{n:02d}", f"Name {n}") for n in range(20)),
            name_field="Last_Name",
        ),
    }
    facts = OrgFacts(org_id="554023000000046001", cvid_counts={("Leads", JUNK): 30}, diffs=diffs)
    return build_plan([manifest], facts=facts)


JUNK = "554023000000091999"


def test_markdown_of_a_50000_id_job_with_its_diff_stays_under_60kb() -> None:
    """Issue 12: the diff sits inside the job's <details>, names ten values whole and counts
    the rest, names the first ids and their count, and the comment stays ≤ 60 kB."""
    text = render_markdown(_with_diff())
    assert len(text.encode()) <= LIMIT_BYTES
    assert "\n### zcrm-runner plan: `jobs.yaml` → org 554023000000046001\n\n| # | job |" in text
    details = text[text.index("<details>") : text.index("</details>")]
    assert "ids (50,000): 554023001000000001, 554023001000000002, " in details
    assert "554023001000000005, … 49,995 more" in details
    head = "**values now (sampled 2,000 of 50,000 records spread over the ids; 10 of the 2,000 "
    assert head + "ids read are not in the org · 20 GETs, 20 credits)**:" in details
    assert f"* Stage: {LONG} #0000 2,000, {LONG} #0001 1,999, " in details
    assert f"1,990 other values 1,981,045 → {LONG}; 30 already {LONG}" in details
    junk = text[text.index("<code>junk</code>") :]
    assert "**deletes 30 records; the first 20 (id, Last_Name) · 1 GET, ~3 credits**:" in junk
    assert "* 554023001000000000 Name 0\n" in junk
    assert "* 554023001000000019 Name 19\n" in junk


@pytest.mark.parametrize("render", [_wide_text, render_markdown])
def test_text_and_markdown_show_the_diff_and_the_first_ids(render: Any) -> None:
    """Both formats say the same: the sample stated, values whole, the first 5 ids."""
    text = " ".join(render(_with_diff(1_200)).split())
    assert "ids (1,200): 554023001000000001, " in text
    assert "554023001000000005, … 1,195 more" in text
    assert f"Stage: {LONG} #0000 2,000, " in text
    assert "deletes 30 records; the first 20 (id, Last_Name)" in text


def test_json_carries_every_id_and_the_whole_diff(tmp_path: Path) -> None:
    """JSON has all 50,000 ids and every current value whole; it validates against the
    schema and reads back into the same plan."""
    plan = _with_diff()
    data = json.loads(render_json(plan))
    validator("plan").validate(data)
    deals = data["jobs"][0]
    assert deals["ids"] == list(_ids(50_000))
    assert len(deals["diff"]["fields"][0]["changes"]) == 2_000
    assert deals["diff"]["fields"][0]["changes"][1999]["value"] == f"{LONG} #1999"
    assert data["jobs"][1]["diff"]["records"][0] == {"id": "554023001000000000", "name": "Name 0"}
    assert plan_from_dict(data) == plan


@pytest.mark.parametrize("render", [render_text, render_json, render_markdown])
def test_values_are_never_cut(tmp_path: Path, render: Any) -> None:
    """A value past 40 characters is shown whole: JSON as is, text and Markdown wrapped,
    never cut with "…" (the step tables used to cut it)."""
    job = MassUpdateJob(name="x", module="Deals", ids=_ids(2), values={"Description_2": LONG})
    text = render(build_plan([Manifest(Path("m.yaml"), "c" * 64, 1, (job,))]))
    assert "…" not in text
    flat = "".join(text.replace("│", "").split())
    assert "".join(LONG.split()) in flat


@pytest.mark.parametrize("render", [render_text, render_markdown])
def test_offline_plans_say_values_are_unknown(tmp_path: Path, render: Any) -> None:
    """Without --online a mass job's values are unknown, and the plan says so."""
    text = " ".join(render(_mixed(tmp_path)).split())
    assert text.count("values unknown offline: plan --online reads the records") == 2
    assert json.loads(render_json(_mixed(tmp_path)))["jobs"][0]["diff"] is None
