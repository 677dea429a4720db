"""apply and resume as a user runs them: the CLI as a subprocess, `sim serve` on 127.0.0.1.

The simulator's ground truth (/__sim__/) is checked against the report: counts, record
values, files; a SIGKILL mid-run is followed by `resume`, and no Zoho job is made twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ROOT, SimProcess, sim_serve_process

pytestmark = pytest.mark.e2e

EXAMPLE_JOBS = {
    "deals-close-won", "education-accounts", "export-junk-leads",
    "delete-junk-leads", "import-leads",
}  # fmt: skip


def cli_env(sim: SimProcess, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOHO_")}
    env.update({k: v for k, v in sim.env.items() if k != "ZOHO_ACCESS_TOKEN"})
    env.update(ZOHO_ACCESS_TOKEN=sim.env["ZOHO_ACCESS_TOKEN"], PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def cli(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args], cwd=cwd, env=env, text=True,
        capture_output=True, timeout=timeout, check=False,
    )  # fmt: skip


def start_cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 60) -> list[str]:
    """Read stderr lines until one contains `needle`."""
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"never saw {needle!r}; stderr so far: {''.join(seen)}")


def kill_hard(process: subprocess.Popen[str]) -> None:
    """SIGKILL, as a crash or an OOM killer would: no cleanup runs in the runner."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def sim_get(sim: SimProcess, path: str, **params: str) -> Any:
    r = httpx.get(sim.base_url + path, params=params, timeout=30)
    r.raise_for_status()
    return r.json()


def copy_example(dest: Path) -> Path:
    shutil.copy(ROOT / "jobs.example.yaml", dest / "jobs.yaml")
    shutil.copytree(ROOT / "examples", dest / "examples")
    return dest / "jobs.yaml"


def report_of(folder: Path) -> dict[str, Any]:
    (run_dir,) = [p for p in (folder / "reports").iterdir() if p.is_dir()]
    return dict(json.loads((run_dir / "report.json").read_text()))


def test_example_applies_and_the_org_agrees(tmp_path: Path) -> None:
    """jobs.example.yaml over a real socket: exit 0, every job COMPLETED, ground truth agrees."""
    copy_example(tmp_path)
    with sim_serve_process("--speed", "50") as sim:
        done = cli(["apply", "jobs.yaml", "--yes"], tmp_path, cli_env(sim))
        assert done.returncode == 0, done.stderr + "\nsim stderr:\n" + sim.stderr()
        report = report_of(tmp_path)
        deal_ids = [
            line.split(",")[0]
            for line in (tmp_path / "examples/deal_ids.csv").read_text().splitlines()[1:]
        ]
        deals = sim_get(sim, "/__sim__/records/Deals", ids=",".join(deal_ids))
        jobs = sim_get(sim, "/__sim__/jobs")
    by_name = {j["name"]: j for j in report["jobs"]}
    assert set(by_name) == EXAMPLE_JOBS
    assert {j["status"] for j in report["jobs"]} == {"COMPLETED"}
    assert [d["record"]["Stage"] for d in deals] == ["Closed Won"] * len(deal_ids)
    assert by_name["deals-close-won"]["counts"]["succeeded"] == len(deal_ids)
    exported = (tmp_path / "exports/junk-leads.csv").read_text().splitlines()
    assert len(exported) - 1 == by_name["export-junk-leads"]["counts"]["total"] == 30
    deleted = next(j for j in jobs if j["kind"] == "mass_delete")
    assert deleted["counts"]["total"] == by_name["delete-junk-leads"]["counts"]["total"]
    assert "report:" in done.stderr


def test_sigkill_while_polling_then_resume_makes_no_second_job(tmp_path: Path) -> None:
    """kill -9 during polling; resume polls the same Zoho job to the end, creating none."""
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  - name: all-leads\n    kind: mass_update\n    module: Leads\n"
        '    cvid: "554023000000092002"\n    values: {City: Pune}\n'
    )
    # 300 records at 100 a second of sim time take 0.75 s here: still running at the
    # signal, which comes as "scheduled" is printed, and done by resume's first poll.
    with sim_serve_process("--speed", "4") as sim:
        env = cli_env(sim)
        process = start_cli(["apply", "jobs.yaml", "--yes"], tmp_path, env)
        wait_for_line(process, "scheduled")
        kill_hard(process)
        runs = cli(["runs"], tmp_path, env)
        assert "RUNNING" in runs.stdout
        resumed = cli(["resume", "--yes"], tmp_path, env)
        everything = sim_get(sim, "/__sim__/jobs")
    jobs = [j for j in everything if j["kind"] != "bulk_read"]  # the backup's export is apart
    assert resumed.returncode in (0, 3), resumed.stderr
    assert len(jobs) == 1
    assert len(everything) == 2  # the backup was taken once, before the kill
    report = report_of(tmp_path)
    (job,) = report["jobs"]
    assert job["zoho_job_ids"] == [jobs[0]["id"]]
    assert job["counts"]["total"] == jobs[0]["counts"]["total"] == 300
    assert job["status"] in ("COMPLETED", "PARTIAL")


def test_sigkill_after_a_batch_then_resume_sends_only_the_rest(tmp_path: Path) -> None:
    """kill -9 after the first of four batches; resume never sends an acknowledged batch."""
    ids = [f"554023001{n:09d}" for n in range(1, 2001)]
    (tmp_path / "ids.csv").write_text("id\n" + "\n".join(ids) + "\n")
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  - name: leads-city\n    kind: mass_update\n    module: Leads\n"
        "    ids_file: ids.csv\n    values: {City: Lyon}\n"
        "    backup: false\n"  # 21 reads at 400 ms each would only slow this test down
    )
    with sim_serve_process("--records", "2000", "--faults", "latency=400ms") as sim:
        env = cli_env(sim)
        process = start_cli(["apply", "jobs.yaml", "--yes", "--concurrency", "1"], tmp_path, env)
        wait_for_line(process, "500/2000")
        kill_hard(process)
        resumed = cli(["resume", "--yes"], tmp_path, env)
        calls = sim_get(sim, "/__sim__/calls")
        truth = sim_get(sim, "/__sim__/records/Leads", ids=",".join(ids))
    assert resumed.returncode in (0, 3), resumed.stderr
    posts = [c for c in calls if c["method"] == "POST" and c["path"].endswith("/mass_update")]
    assert 4 <= len(posts) <= 5  # four batches, plus at most the one in flight at the kill
    report = report_of(tmp_path)
    (job,) = report["jobs"]
    assert job["counts"]["total"] == 2000
    updated = {t["id"] for t in truth if t["record"] and t["record"].get("City") == "Lyon"}
    assert job["counts"]["succeeded"] == len(updated)


def test_no_secret_in_any_output_or_file(tmp_path: Path) -> None:
    """A planted access token, refresh token and client secret appear in nothing written."""
    token = "1000.planted0123456789abcdef.0123456789abcdefplanted"
    copy_example(tmp_path)
    with sim_serve_process("--speed", "50", "--token", token) as sim:
        first = cli(["apply", "jobs.yaml", "--yes"], tmp_path, cli_env(sim))
        refresh_env = cli_env(sim)
        del refresh_env["ZOHO_ACCESS_TOKEN"]
        refresh_env.update(
            ZOHO_CLIENT_ID="1000.SIMCLIENT", ZOHO_CLIENT_SECRET="sim-client-secret",
            ZOHO_REFRESH_TOKEN="1000.sim-refresh-admin",
        )  # fmt: skip
        second = cli(["apply", "jobs.yaml", "--yes", "--replace", "deals-close-won"],
                     tmp_path, refresh_env)  # fmt: skip
        runs = cli(["runs"], tmp_path, refresh_env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    planted = [token, "sim-client-secret", "1000.sim-refresh-admin"]
    outputs = [first.stdout, first.stderr, second.stdout, second.stderr, runs.stdout, runs.stderr]
    for text in outputs:
        assert not any(p in text for p in planted)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and "examples" not in p.parts]
    assert any(p.name == "state.db" for p in files)
    for path in files:
        data = path.read_bytes()
        assert not any(p.encode() in data for p in planted), path


@pytest.mark.parametrize("seed", ["3", "7", "11"])
def test_faults_every_job_still_completes(tmp_path: Path, seed: str) -> None:
    """10% 5xx, 5% 429 and 1% dropped connections: every job ends with the right counts."""
    copy_example(tmp_path)
    spec = "5xx=0.10,429=0.05,drop=0.01"
    with sim_serve_process("--speed", "50", "--seed", seed, "--faults", spec) as sim:
        done = cli(["apply", "jobs.yaml", "--yes"], tmp_path, cli_env(sim), timeout=170)
        jobs = sim_get(sim, "/__sim__/jobs")
    assert done.returncode == 0, done.stderr
    report = report_of(tmp_path)
    assert {j["status"] for j in report["jobs"]} == {"COMPLETED"}
    by_name = {j["name"]: j for j in report["jobs"]}
    assert by_name["export-junk-leads"]["counts"]["total"] == 30
    assert by_name["deals-close-won"]["counts"]["succeeded"] == 12
    assert len([j for j in jobs if j["kind"] == "mass_update"]) == 1


def test_ctrl_c_stops_cleanly_and_resume_finishes(tmp_path: Path) -> None:
    """^C while polling: exit 130, a resume hint and no traceback; resume ends the run."""
    (tmp_path / "jobs.yaml").write_text(
        "version: 1\njobs:\n  - name: all-leads\n    kind: mass_update\n    module: Leads\n"
        '    cvid: "554023000000092002"\n    values: {City: Pune}\n'
    )
    # 300 records at 100 a second of sim time take 0.75 s here: still running at the
    # signal, which comes as "scheduled" is printed, and done by resume's first poll.
    with sim_serve_process("--speed", "4") as sim:
        env = cli_env(sim)
        process = start_cli(["apply", "jobs.yaml", "--yes"], tmp_path, env)
        wait_for_line(process, "scheduled")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        resumed = cli(["resume", "--yes"], tmp_path, env)
        jobs = sim_get(sim, "/__sim__/jobs")
    assert process.returncode == 130
    assert "interrupted; resume with: zcrm-runner resume" in err
    assert "Traceback" not in err
    assert resumed.returncode in (0, 3), resumed.stderr
    assert sorted(j["kind"] for j in jobs) == ["bulk_read", "mass_update"]  # backup, then job
