"""After apply or resume: write the run's reports, then print its summary.

Here, in the command layer, and not in the session: `runner.execute` hands back a
`RunResult` and never imports `runner.report` (docs/CONTRIBUTING.md, "Layers"). The
session has finished the journal and released the state lock by then, as before.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from runner.errors import UsageError
from runner.report.write import ReportPaths, summary_lines, write_reports
from runner.results import RunResult


def write_and_summarise(
    run: RunResult, report_dir: Path, *, out: TextIO | None = None
) -> ReportPaths:
    """Write `run`'s reports in `report_dir`, then print its summary and the report's path."""
    out = out or sys.stderr
    try:
        paths = write_reports(run, report_dir)
    except OSError as exc:  # the preflight proved the folder writable; a full disk, say
        raise UsageError(
            f"run {run.run_id} ended with exit {run.exit_code}, but its report could not be "
            f"written in {report_dir}: {exc.strerror or type(exc).__name__}; "
            f"`zcrm-runner runs {run.run_id}` shows its jobs"
        ) from exc
    for line in summary_lines(run):
        print(line, file=out)
    print(f"report: {paths.markdown}", file=out)
    return paths
