"""`zcrm-runner validate FILE...`: check manifests offline; 0 valid, 1 invalid."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from runner.manifest.validate import Checked, check_files


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(checked: Checked, files: int) -> str:
    """'2 files valid, 1 warning' or '3 errors in 1 file'."""
    errors, warnings = checked.errors, checked.warnings
    if errors:
        bad = max(1, files - len(checked.manifests))  # ids-file problems count for their manifest
        line = f"{_plural(len(errors), 'error')} in {_plural(bad, 'file')}"
    else:
        line = f"{_plural(files, 'file')} valid"
    if warnings:
        line += f", {_plural(len(warnings), 'warning')}"
    return line


def check_each(files: list[Path]) -> Checked:
    """Each file as a run of its own: job names and outputs may repeat across files. The
    pre-commit hook's way: which files a commit hands it together is chance."""
    parts = [check_files([path]) for path in files]
    return Checked(
        tuple(m for part in parts for m in part.manifests),
        tuple(p for part in parts for p in part.problems),
    )


def run(*, files: list[Path], format: str = "text", each: bool = False) -> int:
    checked = check_each(files) if each else check_files(files)
    if format == "json":
        json.dump([p.to_dict() for p in checked.problems], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in checked.problems:
            print(problem, file=sys.stderr)
        print(summary(checked, len(files)), file=sys.stderr)
    return 1 if checked.errors else 0
