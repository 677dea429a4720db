"""An unfinished run is never silently replaced (DESIGN §CLI contract).

Before `apply` records a new run, it looks for runs on the same org that `resume` could
still finish (crashed, interrupted, stopped at the deadline, paused on a refused token)
and that share a manifest or a job with this one. Such a run may have Zoho jobs in flight
or requests whose answers were lost, so applying again could schedule them twice: the
apply is refused with the run, its jobs in flight and the exact `resume` command. A run
that never recorded a request (a backup's reads aside) is closed quietly, since nothing
of it can have changed the org. `--abandon RUN_ID` closes one after the user has checked the org.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from runner.errors import UnfinishedRunError, UsageError
from runner.execute.drivers.backup import is_backup_step
from runner.execute.executor import ENDED
from runner.execute.journal import Journal
from runner.execute.journal_schema import UNFINISHED_RUN_STATUSES, RunRow

DEFAULTS: dict[str, Any] = {
    "state_dir": ".zcrm",
    "report_dir": "reports",
    "concurrency": 5,
    "deadline": 7200.0,
}


def resume_command(run_id: str, options: Mapping[str, Any]) -> str:
    """`zcrm-runner resume RUN_ID` with every option the run used that is not the default."""
    words = ["zcrm-runner", "resume", run_id]
    for key, flag in (("state_dir", "--state-dir"), ("report_dir", "--report-dir")):
        value = options.get(key)
        if value is not None and str(value) != DEFAULTS[key]:
            words += [flag, str(value)]
    concurrency = options.get("concurrency")
    if concurrency is not None and concurrency != DEFAULTS["concurrency"]:
        words += ["--concurrency", str(concurrency)]
    deadline = options.get("deadline")
    if deadline is not None and float(deadline) != DEFAULTS["deadline"]:
        words += ["--deadline", f"{float(deadline):g}s"]
    return shlex.join(words)


@dataclass(frozen=True)
class Mine:
    """What identifies the jobs of the apply about to start."""

    manifest_paths: Collection[str]
    names: Collection[str]
    fingerprints: Collection[str]


def _shares(journal: Journal, run: RunRow, mine: Mine) -> bool:
    if any(str(m.get("path")) in mine.manifest_paths for m in run.manifests):
        return True
    return any(
        j.name in mine.names or j.fingerprint in mine.fingerprints for j in journal.jobs(run.run_id)
    )


def in_flight(journal: Journal, run: RunRow) -> list[str]:
    """One line per job of the run that is not finished: its Zoho job ids, lost answers."""
    lines = []
    ended = {j.name for j in journal.jobs(run.run_id) if j.status in ENDED}
    by_job: dict[str, list[Any]] = {}
    for intent in journal.intents(run.run_id):
        # A backup's export changes nothing on the org: it is no job in flight.
        if intent.job not in ended and not is_backup_step(intent.step_key):
            by_job.setdefault(intent.job, []).append(intent)
    for job, intents in by_job.items():
        ids = list(dict.fromkeys(i.zoho_job_id for i in intents if i.zoho_job_id))
        lost = sum(
            1 for i in intents if i.state in ("PENDING", "UNKNOWN") and i.request.method == "POST"
        )
        parts = [f"Zoho job {', '.join(ids)} in flight"] if ids else []
        if lost:
            parts.append(f"{lost} request(s) whose answer was lost")
        if parts:
            lines.append(f"  {job}: {'; '.join(parts)}")
    return lines


def settle_unfinished(
    journal: Journal, org_id: str | None, mine: Mine, *, abandon: str | None, out: TextIO
) -> None:
    """Close what `--abandon` names and what never sent anything; refuse on any other."""
    if abandon is not None:
        row = journal.get_run(abandon)
        if row is None or row.status not in UNFINISHED_RUN_STATUSES:
            state = "no such run" if row is None else f"it is {row.status}"
            raise UsageError(f"--abandon {abandon}: not an unfinished run ({state})")
        journal.abandon_run(abandon)
        print(f"run {abandon} abandoned; its jobs are not resumed", file=out)
    for run in journal.unfinished_runs(org_id):
        if run.target.get("kind") == "sim" or not _shares(journal, run, mine):
            continue
        # A backup's reads (its export included) change nothing: a run with no other
        # journaled request sent nothing a resume would have to settle.
        if all(is_backup_step(i.step_key) for i in journal.intents(run.run_id)):
            journal.abandon_run(run.run_id)
            print(f"run {run.run_id} ended before sending anything; closed", file=out)
            continue
        lines = in_flight(journal, run) or ["  (no job in flight; every answer was recorded)"]
        raise UnfinishedRunError(
            "\n".join(
                [
                    f"run {run.run_id} of these jobs on org {org_id} is unfinished "
                    f"({run.status}); applying again could send its jobs twice:",
                    *lines,
                    f"finish it: {resume_command(run.run_id, run.options)}",
                    f"or, once you have checked the org, drop it: add --abandon {run.run_id} "
                    "to this apply",
                ]
            )
        )
