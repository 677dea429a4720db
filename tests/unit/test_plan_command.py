"""`zcrm-runner plan`: formats, --out, detailed exit codes, and --online against the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner import cli
from runner.commands import plan as plan_command
from runner.errors import ManifestError, TargetError, UsageError
from runner.execute.state_store import StateStore
from runner.manifest.model import Manifest
from runner.manifest.validate import Checked
from runner.plan.file import load_plan

MANIFEST = """\
version: 1
vars: {source: Advertisement}
jobs:
  - name: deals-source
    kind: mass_update
    module: Deals
    ids: [554023004000000001, "554023004000000002"]
    values: {Lead_Source: "{{ vars.source }}"}
  - name: junk-leads
    kind: mass_delete
    module: Leads
    cvid: "554023000000091999"
    needs: [deals-source]
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


def _run(files: list[Path], **kw: object) -> int:
    options: dict[str, object] = {
        "format": "text",
        "out": None,
        "detailed_exitcode": False,
        "online": False,
        "sim": False,
    }
    options.update(kw)
    return plan_command.run(files=files, **options)  # type: ignore[arg-type]


def test_text_plan_exits_0_and_writes_nothing(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plain plan prints both jobs, exits 0 and leaves the folder as it was."""
    before = sorted(manifest.parent.iterdir())
    assert _run([manifest]) == 0
    out = capsys.readouterr().out
    assert "deals-source" in out
    assert "junk-leads" in out
    assert sorted(manifest.parent.iterdir()) == before


def test_detailed_exitcode_is_2_with_changes(manifest: Path) -> None:
    """With --detailed-exitcode a plan with jobs exits 2."""
    assert _run([manifest], detailed_exitcode=True) == 2


def test_detailed_exitcode_is_0_with_nothing_to_do(
    manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --detailed-exitcode a plan without jobs exits 0."""
    empty = Manifest(path=manifest, sha256="0" * 64, version=1, jobs=())
    monkeypatch.setattr(plan_command, "load_manifests", lambda files, **_: Checked((empty,), ()))
    assert _run([manifest], detailed_exitcode=True) == 0


def test_invalid_manifest_exits_1_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad manifest fails with exit 1 and a located message, even with detailed codes."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(MANIFEST.replace("module: Deals", "module: Documents"), encoding="utf-8")
    with pytest.raises(ManifestError):
        _run([bad], detailed_exitcode=True)
    assert cli.main(["plan", str(bad), "--detailed-exitcode"]) == 1
    assert f"{bad}:6:" in capsys.readouterr().err


def test_json_format_and_out_save_the_same_plan(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format json prints the plan and --out saves it with the manifest's sha256."""
    out = tmp_path / "plan.json"
    assert _run([manifest], format="json", out=out) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = load_plan(out)
    assert printed["manifests"][0]["sha256"] == saved.manifests[0].sha256
    assert [j.name for j in saved.jobs] == ["deals-source", "junk-leads"]


def test_markdown_format_starts_with_a_heading_and_the_table(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format markdown prints the PR comment: the plan's sha256 hidden, a heading naming
    the manifest and the target, then the table."""
    assert _run([manifest], format="markdown") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("<!-- zcrm-runner plan sha256: ")
    assert lines[2] == f"### zcrm-runner plan: `{manifest}` → offline (no org checked)"
    assert lines[4].startswith("| # | job | kind |")


def test_comment_marker_max_bytes_and_details_url_frame_the_comment(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The comment options reach the Markdown: marker line first, heading, size bound."""
    code = cli.main(
        [
            "plan", str(manifest), "--format", "markdown", "--comment-marker", "prod/eu-1",
            "--max-bytes", "8000", "--details-url", "https://github.example/o/r/actions/runs/7",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("<!-- zcrm-runner plan: prod/eu-1 -->\n<!-- zcrm-runner plan sha256: ")
    assert f"### zcrm-runner plan for `prod/eu-1`: `{manifest}` → offline" in out
    assert len(out.encode()) <= 8000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--comment-marker", "prod"],
            "--comment-marker shape(s) the Markdown plan; add --format markdown",
        ),
        (
            ["--format", "markdown", "--comment-marker", "prod -->"],
            "--comment-marker 'prod -->': use 1 to 64 letters, digits, '.', '_', '-' or '/', "
            "starting with a letter or digit (a target's name, such as production)",
        ),
        (
            ["--format", "markdown", "--max-bytes", "7999"],
            "--max-bytes 7999: at least 8,000, room for the summary and totals",
        ),
        (
            ["--format", "markdown", "--details-url", "javascript:alert(1)"],
            "--details-url 'javascript:alert(1)': give an http(s) URL of at most 300 "
            "characters, without spaces, quotes, parentheses or angle brackets",
        ),
        (
            ["--format", "markdown", "--details-url", "https://x.test/a)b"],
            "--details-url 'https://x.test/a)b': give an http(s) URL of at most 300 "
            "characters, without spaces, quotes, parentheses or angle brackets",
        ),
    ],
)
def test_comment_options_are_checked(manifest: Path, args: list[str], message: str) -> None:
    """Markdown-only options need --format markdown; a marker, size or URL that could break
    the comment is refused with what to give instead."""
    with pytest.raises(UsageError) as caught:
        cli._dispatch(cli.build_parser().parse_args(["plan", str(manifest), *args]))
    assert str(caught.value) == message


def test_show_prints_a_saved_plan_with_the_same_sha256(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--show renders the saved plan: its Markdown carries the sha256 of the comment made
    with --out, however large a budget it is given."""
    out = tmp_path / "plan.json"
    assert _run([manifest], format="markdown", out=out) == 0
    comment = capsys.readouterr().out
    assert (
        cli.main(["plan", "--show", str(out), "--format", "markdown", "--max-bytes", "900000"]) == 0
    )
    shown = capsys.readouterr().out
    assert shown.splitlines()[0] == comment.splitlines()[0]
    assert shown == comment
    assert cli.main(["plan", "--show", str(out), "--detailed-exitcode"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the manifest files to plan, or --show PLAN.json"),
        (
            ["--show", "plan.json", "jobs.yaml"],
            "--show prints a saved plan: give no manifest files, --out, --online or --sim",
        ),
        (
            ["--show", "plan.json", "--online"],
            "--show prints a saved plan: give no manifest files, --out, --online or --sim",
        ),
    ],
)
def test_show_and_files_exclude_each_other(args: list[str], message: str) -> None:
    """plan needs manifest files or --show, never both."""
    with pytest.raises(UsageError) as caught:
        cli._dispatch(cli.build_parser().parse_args(["plan", *args]))
    assert str(caught.value) == message


def test_show_refuses_a_file_that_is_not_a_plan(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--show of a manifest (not a plan) exits 1 naming the file."""
    assert cli.main(["plan", "--show", str(manifest)]) == 1
    assert f"zcrm-runner: {manifest}: not a saved plan (not JSON" in capsys.readouterr().err


def test_warnings_go_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Validation warnings are printed on stderr and do not fail the plan."""
    path = tmp_path / "w.yaml"
    path.write_text(
        MANIFEST.replace("    values:", "    over_write: true\n    values:", 1), encoding="utf-8"
    )
    assert _run([path]) == 0
    assert "warning:" in capsys.readouterr().err


def test_online_without_a_target_says_how_to_set_one(
    manifest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--online with no ZOHO_* variables and no --sim is a clear TargetError."""
    for name in ("ZOHO_ACCESS_TOKEN", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(TargetError, match="no Zoho target"):
        _run([manifest], online=True)


def test_online_sim_plan_knows_the_org_and_view_sizes(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--online --sim reads the org id and the junk view's size (30 Leads) into the plan."""
    out = tmp_path / "plan.json"
    assert _run([manifest], online=True, sim=True, format="json", out=out) == 0
    saved = json.loads(out.read_text())
    assert saved["target"] == "554023000000046001"
    junk = next(j for j in saved["jobs"] if j["name"] == "junk-leads")
    assert junk["record_count"] == 30
    capsys.readouterr()


def test_sim_without_online_is_a_usage_error(manifest: Path) -> None:
    """--sim alone says it needs --online rather than silently planning offline."""
    with pytest.raises(UsageError, match="add --online"):
        _run([manifest], sim=True)


def _ledger(
    state_dir: Path, manifest: Path, name: str, run_id: str, ledger: str, url: str | None = None
) -> None:
    """A journal run `run_id` where job `name` of `manifest` ran on the default org (in
    PostgreSQL with `url`)."""
    from runner.execute.executor import file_hashes
    from runner.execute.fingerprint import job_fingerprint
    from runner.execute.journal import Journal
    from runner.manifest.validate import load_manifests
    from runner.results import RunTarget

    job = next(j for m in load_manifests([manifest]).manifests for j in m.jobs if j.name == name)
    with Journal(state_dir, url=url) as journal:
        journal.start_run(run_id, target=RunTarget("zoho", "https://www.zohoapis.com", "org1"))
        journal.record_job(run_id, name, kind=job.kind, module=job.module,
                           fingerprint=job_fingerprint(job, file_hashes(job)),
                           status="COMPLETED")  # fmt: skip
        journal.update_job(run_id, name, counts={"total": 2}, ledger=ledger)  # type: ignore[arg-type]


def test_plan_agrees_with_apply_once(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], journal_store: StateStore,
) -> None:  # fmt: skip
    """A job the ledger has applied on the environment's org sends nothing in the plan;
    --detailed-exitcode exits 0 once every job is applied (issue 8, case 8). The ledger
    is read from the state dir, or from PostgreSQL when ZCRM_STATE_URL names it."""
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN", "t")
    url = journal_store.url
    if url is not None:
        monkeypatch.setenv("ZCRM_STATE_URL", url)
    state = tmp_path / "state"
    _ledger(state, manifest, "deals-source", "r1", "APPLIED", url)
    assert _run([manifest], detailed_exitcode=True, state_dir=state) == 2  # junk-leads left
    capsys.readouterr()
    assert _run([manifest], format="json", state_dir=state) == 0
    jobs = {j["name"]: j for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert jobs["deals-source"]["ledger"] == "APPLIED"
    assert jobs["deals-source"]["steps"] == []
    assert "unchanged: applied in run r1 on org org1" in jobs["deals-source"]["notes"][0]
    assert jobs["junk-leads"]["ledger"] is None
    _ledger(state, manifest, "junk-leads", "r2", "APPLIED", url)
    assert _run([manifest], detailed_exitcode=True, state_dir=state) == 0
    if url is None:  # in PostgreSQL the ledger is the team's, whatever the state dir
        assert _run([manifest], detailed_exitcode=True, state_dir=tmp_path / "none") == 2
    monkeypatch.setenv("ZOHO_DC", "eu")  # another org's ledger says nothing about this one
    assert _run([manifest], detailed_exitcode=True, state_dir=state) == 2


def test_plan_shows_an_unknown_outcome_as_a_warning(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """An UNKNOWN ledger entry stays a change (apply will refuse it) and says what to do."""
    monkeypatch.setenv("ZOHO_ACCESS_TOKEN", "t")
    state = tmp_path / "state"
    _ledger(state, manifest, "junk-leads", "r1", "UNKNOWN")
    assert _run([manifest], format="json", state_dir=state, detailed_exitcode=True) == 2
    jobs = {j["name"]: j for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert jobs["junk-leads"]["ledger"] == "UNKNOWN"
    assert "--replace junk-leads" in jobs["junk-leads"]["warnings"][0]


def test_plan_lists_what_retry_failed_would_resend(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """An applied job with failed records says, by error code, what --retry-failed would
    resend (issue 8: 'the plan lists them by error code')."""
    from runner.execute.journal import Journal, RequestSummary
    from runner.outcome import RecordOutcome

    monkeypatch.setenv("ZOHO_ACCESS_TOKEN", "t")
    state = tmp_path / "state"
    _ledger(state, manifest, "deals-source", "r1", "APPLIED")
    with Journal(state) as journal:
        intent = journal.record_intent(
            "r1", "deals-source", "batch:1", RequestSummary.of("POST", "/x")
        )
        journal.ack_intent(intent, outcomes=[
            RecordOutcome("554023004000000001", "success", "SUCCESS"),
            RecordOutcome("554023004000000002", "error", "RECORD_LOCKED", "locked"),
        ])  # fmt: skip
    assert _run([manifest], format="json", state_dir=state) == 0
    jobs = {j["name"]: j for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert (
        "--retry-failed deals-source would resend RECORD_LOCKED 1"
        in jobs["deals-source"]["notes"][0]
    )
