"""`zcrm-runner revert RUN_ID [JOB...]`: a manifest that undoes a run's destructive jobs.

It reads the run's report (`<report-dir>/RUN_ID/report.json`) and the backups it names
(issue 12), and writes `DIR/revert.yaml` with a copy of each backup beside it (default
DIR: `reverts/RUN_ID/`): an ordinary manifest, to validate, plan and apply like any other
(runner/commands/_revert.py says what each job does). Nothing is sent. The notes go to
stderr, the manifest's path to stdout, last.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from runner.atomic import atomic_write_text
from runner.commands._revert import Backed, Revert, add_job
from runner.errors import ManifestError, UsageError
from runner.manifest.validate import check_files

MANIFEST = "revert.yaml"
COMMENT_WIDTH = 88
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # runner/report/write.py


def _report(report_dir: Path, run_id: str) -> dict[str, Any]:
    if not _RUN_ID.match(run_id):
        raise UsageError(f"{run_id!r} is not a run id: `zcrm-runner runs` lists them")
    path = report_dir / run_id / "report.json"
    if not path.is_file():
        raise UsageError(
            f"no run {run_id} in {report_dir}: {path} does not exist; `zcrm-runner runs` lists "
            "runs, and --report-dir names the folder a run wrote its reports in"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path} cannot be read as a report: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise UsageError(f"{path} is not a zcrm-runner report (no jobs)")
    return data


def _chosen(jobs: list[Backed], names: list[str], run_id: str) -> list[Backed]:
    """The named jobs (each must have a backup), or every job that has one."""
    by_name = {j.name: j for j in jobs}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        listed = ", ".join(by_name) or "none"
        raise UsageError(f"run {run_id} has no job {', '.join(unknown)}; its jobs: {listed}")
    if names:
        missing = [by_name[n].why_none(run_id) for n in dict.fromkeys(names) if not by_name[n].file]
        if missing:
            raise UsageError("; ".join(missing))
        return [by_name[n] for n in dict.fromkeys(names)]
    found = [j for j in jobs if j.file]
    if not found:
        why = [j.why_none(run_id) for j in jobs if j.kind in ("mass_update", "mass_delete")]
        detail = "; ".join(why) if why else "it has no mass_update or mass_delete job"
        raise UsageError(f"run {run_id} has no backup to revert: {detail}")
    return found


def _yaml(run_id: str, revert: Revert) -> str:
    lines = [
        f"# Made by `zcrm-runner revert {run_id}`: restores what the backups of run",
        f"# {run_id} saved. Review it, then plan and apply it like any manifest.",
        "version: 1",
        "jobs:",
    ]
    for comment, body in revert.jobs:
        for paragraph in comment:  # one line each: no newline reaches the YAML from a name
            text = " ".join(paragraph.split())
            lines += [f"  # {line}" for line in textwrap.wrap(text, COMMENT_WIDTH)]
        dumped = yaml.safe_dump([body], sort_keys=False, allow_unicode=True, width=1000)
        lines += [f"  {line}" for line in dumped.splitlines()]
    return "\n".join(lines) + "\n"


def run(
    *,
    run_id: str,
    jobs: list[str] | None = None,
    out: Path | None = None,
    report_dir: Path = Path("reports"),
    force: bool = False,
) -> int:
    """Write the revert manifest; 0, or 1 (a usage error) with nothing written."""
    report = _report(report_dir, run_id)
    folder = report_dir / run_id
    entries = [Backed.of(j) for j in report["jobs"] if isinstance(j, dict)]
    chosen = _chosen(entries, list(jobs or ()), run_id)
    target = out if out is not None else Path("reverts") / run_id
    manifest = target / MANIFEST
    if manifest.exists() and not force:
        raise UsageError(
            f"{manifest} exists (a revert made before?); give --force to replace it, or "
            "another --out"
        )
    revert = Revert()
    for job in chosen:
        source = folder / str(job.file)
        if not source.is_file():
            raise UsageError(f"job {job.name}: its backup {source} is missing")
        add_job(revert, job, source)
    if not revert.jobs:
        raise UsageError("nothing to revert: " + "; ".join(revert.notes))
    try:
        target.mkdir(parents=True, exist_ok=True)
        for source, name in revert.copies:
            shutil.copyfile(source, target / name)
        atomic_write_text(manifest, _yaml(run_id, revert))  # last: its presence means done
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    checked = check_files([manifest])
    if checked.errors:  # a bug of ours, not the user's: say so, with the problems
        raise ManifestError(checked.errors)
    for note in revert.notes:
        print(note, file=sys.stderr)
    print(manifest)
    return 0
