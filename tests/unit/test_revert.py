"""`zcrm-runner revert` in-process: apply, revert, apply the revert manifest, all against one
simulator on one manual clock, and the org's ground truth (/__sim__/records) is checked to
hold every value it held before (issue 12). The errors are pinned word for word."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from runner import cli
from runner.clock import ManualClock
from runner.commands import apply as apply_command
from runner.commands._revert import Backed, Revert, add_job
from runner.execute.target import SIM_BASE, SIM_SOURCES, Connection
from runner.simulator.app import create_app
from runner.simulator.seed import build_demo_org
from runner.zoho.auth import Credentials, Target

ACCOUNTS_VIEW = "554023000000091515"  # DEMO_ORG.md: Industry is not Education
JUNK_VIEW = "554023000000091999"  # DEMO_ORG.md: every 10th Lead
ACCOUNTS = [f"554023002{n:09d}" for n in range(1, 301)]
DEALS = [f"554023004{n:09d}" for n in range(1, 61)]  # n % 50 in (7, 17, 27, 37): not plain


class SharedSim:
    """One simulator for every command of a test, on the clock the runner sleeps on."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.app = create_app(build_demo_org(), clock=self.clock)

    def connect(self, *, sim: bool) -> tuple[Connection, ManualClock]:
        creds = Credentials(access_token=str(self.app.state.access_token))
        target = Target(SIM_BASE, SIM_BASE, SIM_BASE, creds, dc="sim", sources=SIM_SOURCES)
        return Connection(target, httpx.ASGITransport(app=self.app), "sim"), self.clock

    def records(self, module: str, ids: list[str]) -> list[dict[str, Any]]:
        async def get() -> list[dict[str, Any]]:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url=SIM_BASE
            ) as raw:
                r = await raw.get(f"/__sim__/records/{module}", params={"ids": ",".join(ids)})
                return list(r.json())

        return asyncio.run(get())

    def values(self, module: str, ids: list[str], field: str) -> dict[str, Any]:
        return {t["id"]: (t["record"] or {}).get(field) for t in self.records(module, ids)}


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedSim:
    """A shared simulator behind `apply --sim`, the temp folder as working directory."""
    shared = SharedSim()
    monkeypatch.setattr(apply_command, "connect", shared.connect)
    monkeypatch.chdir(tmp_path)
    return shared


def manifest(tmp_path: Path, *jobs: dict[str, Any], name: str = "jobs.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"version": 1, "jobs": list(jobs)}), encoding="utf-8")
    return path


def apply(path: Path) -> tuple[int, str]:
    """apply --sim; its exit code and run id (the newest report folder)."""
    code = cli.main(["apply", str(path), "--sim"])
    runs = sorted(Path("reports").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    return code, runs[-1].name


def revert(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(["revert", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_view_update_reverted_leaves_every_record_as_before(
    sim: SharedSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mass update by cvid, revert, apply the revert manifest: every Account's Industry is
    what it was, the changed ones included; the manifest's path is printed last."""
    before = sim.values("Accounts", ACCOUNTS, "Industry")
    job = {"name": "edu", "kind": "mass_update", "module": "Accounts", "cvid": ACCOUNTS_VIEW,
           "values": {"Industry": "Education"}}  # fmt: skip
    code, run_id = apply(manifest(tmp_path, job))
    changed = sim.values("Accounts", ACCOUNTS, "Industry")
    assert code == 3  # locked and unapproved Accounts fail (DEMO_ORG.md)
    assert sum(before[i] != changed[i] for i in ACCOUNTS) > 200
    code, out, _ = revert(capsys, run_id)
    assert code == 0
    assert out.splitlines()[-1] == f"reverts/{run_id}/revert.yaml"
    assert cli.main(["validate", f"reverts/{run_id}/revert.yaml"]) == 0
    code, _ = apply(Path(f"reverts/{run_id}/revert.yaml"))
    assert code in (0, 3)  # locked records refuse the write as they refused the update
    assert sim.values("Accounts", ACCOUNTS, "Industry") == before


def test_an_ids_update_reverted_leaves_every_record_as_before(
    sim: SharedSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mass update of 60 Deals by ids (three fields), revert, apply: every value is back."""
    fields = ("Stage", "Lead_Source", "Type")
    before = {f: sim.values("Deals", DEALS, f) for f in fields}
    (tmp_path / "ids.csv").write_text("id\n" + "\n".join(DEALS) + "\n", encoding="utf-8")
    job = {"name": "won", "kind": "mass_update", "module": "Deals", "ids_file": "ids.csv",
           "values": {"Stage": "Closed Won", "Lead_Source": "Cold Call",
                      "Type": "New Business"}}  # fmt: skip
    code, run_id = apply(manifest(tmp_path, job))
    assert code == 3  # locked, blueprint and unapproved Deals fail (DEMO_ORG.md)
    assert sim.values("Deals", DEALS, "Stage") != before["Stage"]
    assert revert(capsys, run_id)[0] == 0
    apply(Path(f"reverts/{run_id}/revert.yaml"))
    assert {f: sim.values("Deals", DEALS, f) for f in fields} == before


def test_a_delete_reverted_reinserts_every_deleted_record_as_new(
    sim: SharedSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mass delete by view: the backup holds every deleted record; the revert says the
    Recycle Bin keeps them 60 days and that its insert makes new ids, and its apply inserts
    each deleted record again (the one still there is skipped, not doubled)."""
    job = {"name": "junk", "kind": "mass_delete", "module": "Leads", "cvid": JUNK_VIEW}
    code, run_id = apply(manifest(tmp_path, job))
    backup = Path("reports") / run_id / "backups" / "junk.csv"
    with backup.open(newline="", encoding="utf-8") as fh:
        saved = {r["Id"]: r for r in csv.DictReader(fh)}
    deleted = [t["id"] for t in sim.records("Leads", list(saved)) if t["deleted"]]
    assert code in (0, 3)
    assert deleted
    code, out, err = revert(capsys, run_id)
    text = Path(out.strip()).read_text(encoding="utf-8")
    assert code == 0
    assert "Recycle Bin for 60 days" in err
    assert "NEW records with NEW ids" in err
    assert "# Deleted records stay in Zoho's Recycle Bin for 60 days" in text
    code, revert_run = apply(Path(out.strip()))
    report = json.loads((Path("reports") / revert_run / "report.json").read_text("utf-8"))
    (reinsert,) = report["jobs"]
    assert reinsert["counts"]["added"] == len(deleted)
    assert reinsert["counts"]["total"] == len(saved)


def test_errors_name_what_is_wrong_and_write_nothing(
    sim: SharedSim, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown run or job, a job without a backup, an existing revert.yaml: exit 1, one
    message each; --force replaces the revert."""
    jobs = (
        {"name": "won", "kind": "mass_update", "module": "Deals", "ids": [DEALS[0]],
         "values": {"Stage": "Closed Won"}},
        {"name": "quiet", "kind": "mass_update", "module": "Deals", "ids": [DEALS[1]],
         "values": {"Stage": "Closed Won"}, "backup": False},
        {"name": "export", "kind": "bulk_read", "module": "Leads", "output": "out.csv"},
    )  # fmt: skip
    _, run_id = apply(manifest(tmp_path, *jobs))
    assert revert(capsys, "20990101-000000-beef")[1:] == ("", (
        "zcrm-runner: no run 20990101-000000-beef in reports: "
        "reports/20990101-000000-beef/report.json does not exist; `zcrm-runner runs` lists "
        "runs, and --report-dir names the folder a run wrote its reports in\n"
    ))  # fmt: skip
    assert revert(capsys, run_id, "nope")[2] == (
        f"zcrm-runner: run {run_id} has no job nope; its jobs: won, quiet, export\n"
    )
    assert revert(capsys, run_id, "quiet", "export")[2] == (
        f"zcrm-runner: job quiet took no backup in run {run_id}: backup: false in the "
        "manifest; job export is a bulk_read job, which takes no backup: only mass_update "
        "and mass_delete jobs do\n"
    )
    assert revert(capsys, "../x")[0] == 1
    assert not Path("reverts").exists()
    assert revert(capsys, run_id)[0] == 0
    code, _, err = revert(capsys, run_id)
    assert (code, err) == (1, (
        f"zcrm-runner: reverts/{run_id}/revert.yaml exists (a revert made before?); give "
        "--force to replace it, or another --out\n"
    ))  # fmt: skip
    code, out, _ = revert(capsys, run_id, "won", "--force", "--out", "undo")
    assert (code, out) == (0, "undo/revert.yaml\n")
    assert revert(capsys, run_id, "--force")[0] == 0


def test_a_backup_bulk_write_cannot_restore_is_a_note_not_a_job(tmp_path: Path) -> None:
    """Calls are not bulk-writable (API_NOTES §4.2) and an empty backup restores nothing:
    each is a note, and no job or data file is planned for it."""
    subject = [{"name": "Subject", "data_type": "text"}]
    saved = {"path": "backups/calls.csv", "rows": 2, "id_column": "Id", "columns": subject}
    done = {"status": "COMPLETED", "counts": {"succeeded": 2}}
    calls = Backed.of({"name": "calls", "kind": "mass_delete", "module": "Calls", **done,
                       "backup": saved})  # fmt: skip
    nothing = {"path": "backups/none.csv", "rows": 0}
    empty = Backed.of({"name": "none", "kind": "mass_update", "module": "Deals", **done,
                       "backup": nothing})  # fmt: skip
    plan = Revert()
    add_job(plan, calls, tmp_path / "calls.csv")
    add_job(plan, empty, tmp_path / "none.csv")
    assert (plan.jobs, plan.copies) == ([], [])
    assert plan.notes == [
        f"calls: bulk write cannot write Calls records (API_NOTES §4.2), so no job restores "
        f"them; the backup is {tmp_path / 'calls.csv'}; deleted records stay in the Recycle "
        "Bin for 60 days",
        "none: its backup holds no record; nothing to restore",
    ]
