"""`zcrm-runner resume [RUN_ID]`: finish an interrupted run from its journal.

The run's manifests are loaded again from the paths it recorded and must be unchanged;
the org must be the same one. Jobs the run finished keep their results; steps the
journal has answers for are not sent again.
"""

from __future__ import annotations

import os
from pathlib import Path

from runner.clock import SystemClock
from runner.commands._preflight import existing_dir_problem, preflight
from runner.commands._reports import write_and_summarise
from runner.commands._target import confirm
from runner.errors import StalePlanError, TargetError, UsageError
from runner.execute.journal_schema import UNFINISHED_RUN_STATUSES, RunRow
from runner.execute.session import SessionOptions, run_session, run_to_end
from runner.execute.state_store import StateStore
from runner.execute.target import env_connection
from runner.heap import run_gc
from runner.manifest.rules_paths import RunDirs
from runner.manifest.validate import load_manifests


def _find(store: StateStore, run_id: str | None) -> RunRow:
    why = existing_dir_problem(store.state_dir)
    if why is not None:
        raise UsageError(f"--state-dir {store.state_dir}: {why}; name the folder of the journal")
    if not store.exists():
        raise UsageError(f"no journal in {store.where}: nothing to resume")
    with store.journal() as journal:
        row = journal.get_run(run_id) if run_id else journal.latest_unfinished_run()
    if row is None:
        raise UsageError(f"no run {run_id!r} in {store.where}" if run_id else "no unfinished run")
    return row


def run(
    *,
    run_id: str | None = None,
    yes: bool = False,
    report_dir: Path | None = None,
    state_dir: Path = Path(".zcrm"),
    concurrency: int | None = None,
    deadline: float | None = None,
) -> int:
    """Resume; the same exit codes as apply. Options not given are the run's own."""
    store = StateStore.from_env(state_dir, os.environ)
    row = _find(store, run_id)
    if row.target.get("kind") == "sim":
        raise TargetError(
            f"run {row.run_id} ran against the in-process simulator (--sim), which ended "
            "with its process; run apply again, or use `sim serve` for runs to resume"
        )
    if row.status not in UNFINISHED_RUN_STATUSES:
        raise UsageError(f"run {row.run_id} is {row.status}: there is nothing to resume")
    connection = env_connection(os.environ)
    recorded = str(row.target.get("api_domain", ""))
    if recorded and recorded != connection.target.api_domain:
        raise TargetError(
            f"run {row.run_id} ran against {recorded}, the environment now names "
            f"{connection.target.api_domain}; point ZOHO_API_DOMAIN back at it"
        )
    used = row.options
    reports = report_dir or Path(str(used.get("report_dir", "reports")))
    paths = [Path(str(m["path"])) for m in row.manifests]
    checked = load_manifests(paths, dirs=RunDirs(state_dir=state_dir, report_dir=reports))
    for manifest, ref in zip(checked.manifests, row.manifests, strict=True):
        if manifest.sha256 != ref.get("sha256"):
            raise StalePlanError(
                f"{manifest.path} changed since run {row.run_id} started; restore it to "
                f"resume, or check the org and apply the new version with --abandon "
                f"{row.run_id}"
            )
    # Outputs a finished job already wrote stay as they are, so no "replaces" lines here.
    preflight(checked.manifests, state_dir=state_dir, report_dir=reports)
    confirm(connection, yes=yes, action=f"resume run {row.run_id}")
    options = SessionOptions(
        report_dir=reports,
        state_dir=state_dir,
        concurrency=concurrency or int(used.get("concurrency", 5)),
        deadline=deadline or float(used.get("deadline", 7200.0)),
        retry_failed=frozenset(str(n) for n in used.get("retry_failed", ())),
        state_url=store.url,
    )
    with run_gc():  # through the reports, as apply does
        result = run_to_end(
            run_session(
                list(checked.manifests), connection, SystemClock(), options, run_id=row.run_id
            )
        )
        write_and_summarise(result, reports)
    return result.exit_code
