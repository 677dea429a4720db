"""write_reports(): every report file of a run in `<report_dir>/<run_id>/`, atomically.

Order: the per-job outcomes CSVs first (their row counts go into the other files), then
report.md and junit.xml, and report.json last, so a report.json on disk means the set
is complete. Each file is replaced atomically (runner.atomic): writing a report
again after `resume` never leaves a mix of half-old, half-new files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from runner.atomic import atomic_write_text
from runner.report.build import report_json
from runner.report.csvs import (
    copy_csv_safely,
    outcomes_csv_name,
    result_csv_name,
    write_outcomes_csv,
)
from runner.report.junit import render_junit
from runner.report.markdown import render_markdown, summary_lines
from runner.results import FileRef, JobResult, RunResult

__all__ = ["ReportPaths", "summary_lines", "write_reports"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ReportPaths:
    """Where each report file went."""

    folder: Path
    json: Path
    markdown: Path
    junit: Path
    csvs: dict[str, Path]


def _with_result_copies(job: JobResult, folder: Path) -> JobResult:
    """Copy Zoho's bulk write result files into the report folder, cells made safe."""
    files: list[FileRef] = []
    for ref in job.files:
        source = Path(ref.path)
        if ref.kind == "bulk_write_result" and source.is_file():
            name = result_csv_name(job.name)
            rows = copy_csv_safely(source, folder / name)
            files.append(FileRef(ref.kind, name, rows))
        else:
            files.append(ref)
    return replace(job, files=tuple(files))


def _with_outcomes_csv(job: JobResult, folder: Path) -> tuple[JobResult, Path | None]:
    """Write the job's outcomes CSV (if it has outcomes) and list it among its files."""
    if not job.outcomes:
        return job, None
    name = outcomes_csv_name(job.name)
    rows = write_outcomes_csv(job.outcomes, folder / name)
    others = tuple(f for f in job.files if not (f.kind == "outcomes" and f.path == name))
    return replace(job, files=(*others, FileRef("outcomes", name, rows))), folder / name


def write_reports(run: RunResult, report_dir: Path) -> ReportPaths:
    """Write report.json, report.md, junit.xml and `<job>.outcomes.csv` for `run`."""
    if not _RUN_ID.match(run.run_id):
        raise ValueError(f"run id {run.run_id!r} is not a safe folder name")
    folder = Path(report_dir) / run.run_id
    folder.mkdir(parents=True, exist_ok=True)
    jobs: list[JobResult] = []
    csvs: dict[str, Path] = {}
    for job in run.jobs:
        updated, csv_path = _with_outcomes_csv(_with_result_copies(job, folder), folder)
        jobs.append(updated)
        if csv_path is not None:
            csvs[job.name] = csv_path
    final = replace(run, jobs=tuple(jobs))
    markdown = atomic_write_text(folder / "report.md", render_markdown(final))
    junit = atomic_write_text(folder / "junit.xml", render_junit(final))
    json_path = atomic_write_text(folder / "report.json", report_json(final))
    return ReportPaths(folder, json_path, markdown, junit, csvs)
