"""apply, revert, apply the revert manifest, as a user runs them: the CLI as subprocesses,
`sim serve` on 127.0.0.1; the org's ground truth (/__sim__/records) holds every value it
held before the first apply (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import SimProcess, sim_serve_process
from tests.e2e.test_apply_cli import cli, cli_env, sim_get

pytestmark = pytest.mark.e2e

ACCOUNTS = [f"554023002{n:09d}" for n in range(1, 301)]  # DEMO_ORG.md: 300 a module
DEALS = [f"554023004{n:09d}" for n in range(1, 41)]
MANIFEST = """\
version: 1
jobs:
  - name: education-accounts
    kind: mass_update
    module: Accounts
    cvid: "554023000000091515"
    values: {Industry: Education}
  - name: deals-won
    kind: mass_update
    module: Deals
    ids_file: ids.csv
    values: {Stage: Closed Won, Type: New Business}
"""


def test_apply_revert_apply_restores_every_value(tmp_path: Path) -> None:
    """A mass update by view and one by ids, reverted: every Account's Industry and every
    Deal's Stage and Type is back; the revert's last line is the manifest's path."""
    (tmp_path / "jobs.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "ids.csv").write_text("id\n" + "\n".join(DEALS) + "\n", encoding="utf-8")

    def truth(sim: SimProcess) -> dict[str, object]:
        accounts = sim_get(sim, "/__sim__/records/Accounts", ids=",".join(ACCOUNTS))
        deals = sim_get(sim, "/__sim__/records/Deals", ids=",".join(DEALS))
        found = {a["id"]: a["record"]["Industry"] for a in accounts}
        found.update({d["id"]: (d["record"]["Stage"], d["record"]["Type"]) for d in deals})
        return found

    with sim_serve_process("--speed", "50") as sim:
        env = cli_env(sim)
        before = truth(sim)
        applied = cli(["apply", "jobs.yaml", "--yes"], tmp_path, env)
        changed = truth(sim)
        (run_id,) = [p.name for p in (tmp_path / "reports").iterdir()]
        made = cli(["revert", run_id], tmp_path, env)
        manifest = made.stdout.splitlines()[-1]
        undone = cli(["apply", manifest, "--yes"], tmp_path, env)
        after = truth(sim)
    assert applied.returncode == 3, applied.stderr  # locked records fail (DEMO_ORG.md)
    assert sum(before[k] != changed[k] for k in before) > 200
    assert made.returncode == 0, made.stderr
    assert manifest == f"reverts/{run_id}/revert.yaml"
    assert undone.returncode in (0, 3), undone.stderr
    assert after == before
