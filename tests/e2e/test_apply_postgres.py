"""Two people, one PostgreSQL journal (ZCRM_STATE_URL), one org: `apply` as a subprocess
against `sim serve` on 127.0.0.1, each from a state dir of its own.

The simulator's ground truth (/__sim__/jobs) must show each job once: the org lock lets
one apply run and refuses the other, naming the holder (or, if the first one is done by
then, the ledger makes the jobs UNCHANGED); a killed holder leaves no lock behind.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runner.execute.state_url import url_secrets
from tests.e2e.conftest import sim_serve_process
from tests.e2e.test_apply_cli import cli, cli_env, kill_hard, sim_get, start_cli, wait_for_line

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MANIFEST = """\
version: 1
jobs:
  - name: leads-city
    kind: mass_update
    module: Leads
    cvid: "554023000000092002"
    values: {City: Pune}
  - name: accounts-rating
    kind: mass_update
    module: Accounts
    cvid: "554023000000091515"
    values: {Phone: "555-0100"}
"""


def desk(root: Path, name: str) -> Path:
    """A person's folder: the manifest, and later their own .zcrm and reports."""
    folder = root / name
    folder.mkdir()
    (folder / "jobs.yaml").write_text(MANIFEST)
    return folder


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    """Wait for an apply; its exit code and everything it wrote."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def reports(folder: Path) -> list[dict[str, Any]]:
    found = sorted((folder / "reports").glob("*/report.json"))
    return [json.loads(p.read_text()) for p in found]


def test_two_concurrent_applies_never_run_a_job_twice(tmp_path: Path, postgres_url: str) -> None:
    """Started together: one applies, the other is refused naming it (or finds the jobs
    UNCHANGED); a third apply afterwards sends nothing; each job exists once at Zoho."""
    ana, ben = desk(tmp_path, "ana"), desk(tmp_path, "ben")
    with sim_serve_process("--speed", "2") as sim:
        env = cli_env(sim, ZCRM_STATE_URL=postgres_url)
        first = start_cli(["apply", "jobs.yaml", "--yes"], ana, env)
        second = start_cli(["apply", "jobs.yaml", "--yes"], ben, env)
        results = {"ana": finish(first), "ben": finish(second)}
        pids = {"ana": first.pid, "ben": second.pid}
        again = cli(["apply", "jobs.yaml", "--yes"], ben, env)
        jobs = sim_get(sim, "/__sim__/jobs")
        listed = cli(["runs"], ana, env)
        as_json = cli(["runs", "--format", "json"], ana, env)
    # bulk reads: the jobs' backups (issue 12), which change nothing
    assert sorted((j["kind"], j["module"]) for j in jobs if j["kind"] != "bulk_read") == [
        ("mass_update", "Accounts"),
        ("mass_update", "Leads"),
    ], json.dumps(results)
    # exit 3: the demo org has locked records (DEMO_ORG.md), which fail in any run
    ran = [
        who for who, (code, text) in results.items() if code in (0, 3) and "UNCHANGED" not in text
    ]
    assert len(ran) == 1, results
    (other,) = {"ana", "ben"} - set(ran)
    code, text = results[other]
    if code == 1:  # refused: the holder is named, and nothing was recorded or sent
        assert f"is in use by pid {pids[ran[0]]} of user " in text, text
        assert "wait for it to finish" in text
    else:  # the first was done before the second asked: apply-once kept it from resending
        assert code == 0, text
        assert text.count("UNCHANGED") == 2, text
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("UNCHANGED") == 2, again.stderr
    assert ("PARTIAL" in listed.stdout) or ("COMPLETED" in listed.stdout), listed.stdout
    shown = "".join(t for _, t in results.values()) + again.stderr + listed.stdout
    shown += "".join(json.dumps(r) for folder in (ana, ben) for r in reports(folder))
    assert "journal: postgresql://" in listed.stdout
    started = set(re.findall(r"^run (\S+) on org ", shown, re.MULTILINE))
    assert {r["run_id"] for r in json.loads(as_json.stdout)["runs"]} == started  # JSON alone
    assert all(secret not in shown for secret in url_secrets(postgres_url))


def test_a_killed_apply_leaves_no_lock_and_resume_finishes_its_job(
    tmp_path: Path, postgres_url: str
) -> None:
    """kill -9 while polling: the org is free at once (no force-unlock), a new apply is
    refused for the unfinished run, and `resume` from another desk finishes it, no second job."""
    ana, ben = desk(tmp_path, "ana"), desk(tmp_path, "ben")
    with sim_serve_process("--speed", "4") as sim:
        env = cli_env(sim, ZCRM_STATE_URL=postgres_url)
        process = start_cli(["apply", "jobs.yaml", "--yes"], ana, env)
        wait_for_line(process, "scheduled")
        kill_hard(process)
        refused = cli(["apply", "jobs.yaml", "--yes"], ben, env)
        resumed = cli(["resume", "--yes"], ben, env)
        jobs = sim_get(sim, "/__sim__/jobs")
    assert refused.returncode == 1
    assert "zcrm-runner resume" in refused.stderr, refused.stderr
    assert "in use by" not in refused.stderr
    assert resumed.returncode in (0, 3), resumed.stderr
    assert sorted((j["kind"], j["module"]) for j in jobs if j["kind"] != "bulk_read") == [
        ("mass_update", "Accounts"),
        ("mass_update", "Leads"),
    ]
    (report,) = reports(ben)
    assert {j["status"] for j in report["jobs"]} <= {"COMPLETED", "PARTIAL"}
