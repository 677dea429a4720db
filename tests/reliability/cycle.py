"""One soak cycle, start to verdict: a fresh simulator and folder, the first apply
interrupted as its scenario says, the user's recovery, then the ground-truth checks.

A cycle never raises: a bug in the harness itself becomes a `harness` finding, so one bad
cycle cannot hide the others' results.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.conftest import sim_serve_process
from tests.e2e.test_apply_cli import cli_env
from tests.reliability.checks import (
    NOTES,
    Finding,
    check_commands,
    check_report,
    check_truth,
    check_zoho_job,
    job_history,
    load_report,
)
from tests.reliability.harness import Command, SimTruth, interrupted_apply
from tests.reliability.recovery import User
from tests.reliability.scenario import IDS_MODULE, Scenario, make_scenario

MANIFEST = "m.yaml"


@dataclass
class CycleResult:
    """What one cycle did and which promises it found broken."""

    scenario: Scenario
    seconds: float = 0.0
    first: Command | None = None
    recovery: list[Command] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    folder: str | None = None  # kept for a post-mortem (ZCRM_SOAK_KEEP=1)

    @property
    def passed(self) -> bool:
        return all(f.category in NOTES for f in self.findings)

    @property
    def kill(self) -> str:
        """The signal the first apply actually got ('none': it ended before, or no kill)."""
        return (self.first.signal_sent if self.first else None) or "none"

    def paragraph(self) -> str:
        """The failure as one paragraph, a line per fact: the scenario, each finding, each
        command (exit code, stderr tail), how to rerun it."""
        s = self.scenario
        kinds = ", ".join(sorted({f.category for f in self.findings} - NOTES))
        steps = [c.describe() for c in ([self.first] if self.first else []) + self.recovery]
        kept = f"\n  journal and reports kept in {self.folder}" if self.folder else ""
        return "\n".join(
            [
                f"Cycle seed {s.seed} FAILED ({kinds}) in {self.seconds:.1f}s: {s.describe()}.",
                *(f"  {finding}" for finding in self.findings),
                *(f"  ({i}) {step}" for i, step in enumerate(steps, 1)),
                f"  rerun alone: ZCRM_SOAK_SEED={s.seed} ZCRM_SOAK_CYCLES=1 "
                f"python -m pytest -m reliability tests/reliability/test_soak.py{kept}",
            ]
        )


def _first_apply(scenario: Scenario, cwd: Path, env: dict[str, str], truth: SimTruth) -> Command:
    """The apply that gets interrupted, on a short-lived token when the scenario says so."""
    if scenario.token_ttl is not None:
        token = truth.mint_token(expires_in=scenario.token_ttl * scenario.speed)
        env = {**env, "ZOHO_ACCESS_TOKEN": token}
    args = ["apply", MANIFEST, "--yes", "--concurrency", str(scenario.concurrency)]
    if scenario.deadline is not None:
        args += ["--deadline", f"{scenario.deadline:.1f}s"]
    i = scenario.interrupt
    return interrupted_apply(args, cwd, env, sig=i.signal, anchor=i.anchor, delay=i.delay)


def _verdict(result: CycleResult, cwd: Path, user: User, truth: SimTruth) -> list[Finding]:
    s = result.scenario
    commands = [c for c in [result.first, *user.commands] if c is not None]
    found = check_commands(commands) + user.findings
    sim_jobs, history = truth.jobs(), job_history(cwd)
    if user.finished is None:  # no final report to compare; doubled jobs still count
        for v in s.views:
            said = check_zoho_job(v.name, v.kind, v.module, None, sim_jobs, history.get(v.name, ""))
            found += [f for f in said if f.category == "doubled job"]
        return found
    run_id = user.finished.run_id or "?"
    report = load_report(cwd, user.finished.run_id)
    if report is None:
        text = f"run {run_id} exited {user.finished.exit_code} but wrote no report.json"
        return [*found, Finding("contract", text)]
    found += check_report(report, s, run_id)
    ids_truth = list(truth.records(IDS_MODULE, s.ids))
    return found + check_truth(s, report, sim_jobs, ids_truth, history)


def _folder(seed: int, keep: bool) -> contextlib.AbstractContextManager[str]:
    prefix = f"zcrm-soak-{seed}-"
    if keep:
        return contextlib.nullcontext(tempfile.mkdtemp(prefix=prefix))
    return tempfile.TemporaryDirectory(prefix=prefix)


def run_cycle(seed: int, *, keep: bool = False) -> CycleResult:
    """Run the cycle of `seed` in a fresh temporary folder against a fresh simulator;
    `keep` leaves the folder (journal, reports, manifest) for a post-mortem."""
    result = CycleResult(make_scenario(seed))
    started = time.monotonic()
    try:
        with _folder(seed, keep) as tmp, sim_serve_process(*result.scenario.sim_args()) as sim:
            result.folder = tmp if keep else None
            cwd = Path(tmp)
            result.scenario.write(cwd)
            env, truth = cli_env(sim), SimTruth(sim)
            result.first = _first_apply(result.scenario, cwd, env, truth)
            user = User(cwd, env, MANIFEST, truth)
            result.recovery = user.commands  # the same list: filled in as the user goes
            user.recover(result.scenario.recovery, result.first)
            result.findings = _verdict(result, cwd, user, truth)
    except Exception as exc:  # a harness bug must not hide the other cycles' results
        where = traceback.format_exc(limit=-3).replace("\n", " ")
        result.findings.append(Finding("harness", f"{exc!r}; {where}"))
    result.seconds = time.monotonic() - started
    return result
