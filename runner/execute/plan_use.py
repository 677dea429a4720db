"""A saved plan is applied once: the run that starts from it records the plan's identity.

`apply --plan` writes `{"plan": {"id", "path"}}` into the run's options when the journal
records the run, before anything is sent, so a crash afterwards still leaves the plan
marked. A second `apply --plan` of the same plan (a copy or a re-indented file too: the
identity is the plan's canonical content, runner/plan/codec.py) is refused, naming that
run. `resume` finishes the run itself and does not start from the plan, so it is not
refused; the options it reopens keep the mark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from runner.errors import StalePlanError
from runner.execute.journal_read import JournalReader
from runner.execute.journal_schema import UNFINISHED_RUN_STATUSES, RunRow
from runner.execute.unfinished import resume_command


@dataclass(frozen=True)
class PlanUse:
    """The plan a run starts from: its identity, the file it was read from, and the advice
    for a refusal (the `zcrm-runner plan ... --out` that makes a new one)."""

    identity: str
    path: str
    hint: str = "make a new plan and review it"

    def as_option(self) -> dict[str, str]:
        return {"id": self.identity, "path": self.path}


def run_of_plan(reader: JournalReader, identity: str) -> RunRow | None:
    """The newest run that started from this plan, if any."""
    for run in reader.list_runs():
        plan = run.options.get("plan")
        if isinstance(plan, dict) and plan.get("id") == identity:
            return run
    return None


def ensure_unused(reader: JournalReader, use: PlanUse, *, where: str) -> None:
    """Raise StalePlanError naming the run that already applied this plan (`where`: the
    state dir, or the PostgreSQL URL masked, for the message)."""
    run = run_of_plan(reader, use.identity)
    if run is None:
        return
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(run.started_at))
    fact = (
        f"{use.path}: this plan was already applied by run {run.run_id} (started {started}, "
        f"{run.status}, journal {where}); a saved plan is applied once"
    )
    if run.status in UNFINISHED_RUN_STATUSES and run.target.get("kind") != "sim":
        raise StalePlanError(
            f"{fact}: finish that run with `{resume_command(run.run_id, run.options)}`, "
            f"or {use.hint}"
        )
    raise StalePlanError(f"{fact}: {use.hint}")
