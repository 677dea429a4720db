"""Where a run writes: each bulk_read `output` clear of everything the run reads or keeps.

An output is replaced when its job ends, so before anything is sent it must not be, sit
inside or sit above the state dir (the journal), the report dir, a manifest or a data file
of the run (ids_file, bulk_write file) or another job's output; nor be a folder, nor lie
under a file. `validate` checks against the default dirs (`.zcrm` and `reports`, from the
current directory); `plan`, `apply` and `resume` against the dirs their options name.
Checks run file by file over one shared `Claims`, so a clash between two manifests is
reported once, in the later file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, format_path, jobs_of
from runner.manifest.rules_files import Resolved, named

INPUT_KEYS = ("ids_file", "file")
OUTPUT_FIX = "write the output to a file of its own, e.g. exports/NAME.csv"


@dataclass(frozen=True)
class RunDirs:
    """The folders a run keeps its state and reports in, as the user wrote them."""

    state_dir: Path = Path(".zcrm")
    report_dir: Path = Path("reports")


def resolved_or_none(path: Path) -> Path | None:
    """The absolute path with symlinks followed, or None when it cannot name a file."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # NUL, symlink loop, unencodable name
        return None


@dataclass
class Claims:
    """What the files of one run read and write: resolved path → where it is named."""

    dirs: RunDirs
    manifests: dict[Path, str] = field(default_factory=dict)
    inputs: dict[Path, str] = field(default_factory=dict)
    outputs: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def of(cls, paths: Sequence[Path], dirs: RunDirs | None = None) -> Claims:
        claims = cls(dirs or RunDirs())
        for path in paths:
            full = resolved_or_none(Path(path))
            if full is not None:
                claims.manifests.setdefault(full, str(path))
        return claims


def _where(r: Reporter, job: dict[str, Any], parts: list[PathPart]) -> str:
    """`the ids_file of job purge (m.yaml:9:15)`: a job and key another message points at."""
    line, col = r.locator.mark(parts)
    name = job.get("name")
    whose = f"job {name}" if isinstance(name, str) else format_path(parts[:2])
    return f"the {parts[-1]} of {whose} ({r.display}:{line}:{col})"


def check_outputs(data: dict[str, Any], resolved: Resolved, r: Reporter, claims: Claims) -> None:
    """Report every output that would overwrite, or be blocked by, something else."""
    for i, job in jobs_of(data):
        for key in INPUT_KEYS:
            path = resolved.get(i, {}).get(key)
            if path is None:
                continue
            writer = claims.outputs.get(path)
            if writer is not None:
                msg = f"{job[key]} is {writer}, which the run overwrites"
                r.add(["jobs", i, key], msg, "output-clobbers-input", "read a file no job writes")
            claims.inputs.setdefault(path, _where(r, job, ["jobs", i, key]))
    for i, job in jobs_of(data):
        target = resolved.get(i, {}).get("output")
        if target is None or job.get("kind") != "bulk_read":
            continue
        parts: list[PathPart] = ["jobs", i, "output"]
        found = _clash(str(job["output"]), target, r, claims)
        if found is not None:
            r.add(parts, *found)
        claims.outputs.setdefault(target, _where(r, job, parts))


def _clash(value: str, target: Path, r: Reporter, claims: Claims) -> tuple[str, str, str] | None:
    """(message, rule, fix) for the first thing wrong with writing `target`, or None."""
    dirs = claims.dirs
    kept = (
        (dirs.state_dir, resolved_or_none(dirs.state_dir), "the state dir", "output-state-dir"),
        (dirs.report_dir, resolved_or_none(dirs.report_dir), "the report dir", "output-report-dir"),
    )
    for folder, full, what, rule in kept:
        if target == full:
            return f"{value} is {what} {folder}", rule, OUTPUT_FIX
    disk = _on_disk(value, target, r.folder)
    if disk is not None:
        return disk
    for folder, full, what, rule in kept:
        if full is None:
            continue
        if target.is_relative_to(full):
            keeps = "the journal, state.db, is" if rule == "output-state-dir" else "reports go"
            return f"{value} is inside {what} {folder} ({keeps} there)", rule, OUTPUT_FIX
        if full.is_relative_to(target):
            return f"{value} is a folder above {what} {folder}", rule, OUTPUT_FIX
    if target in claims.manifests:
        msg = f"{value} is the manifest {claims.manifests[target]}, which the run reads"
        return msg, "output-clobbers-input", OUTPUT_FIX
    if target in claims.inputs:
        msg = f"{value} is read by {claims.inputs[target]}"
        return msg, "output-clobbers-input", OUTPUT_FIX
    for other, where in claims.outputs.items():
        if other == target:
            return f"{value} is also {where}", "output-unique", OUTPUT_FIX
        if target.is_relative_to(other) or other.is_relative_to(target):
            msg = f"{value} and {where} would be a file and a folder at once"
            return msg, "output-unique", OUTPUT_FIX
    return None


def _on_disk(value: str, target: Path, folder: Path) -> tuple[str, str, str] | None:
    """What the file system says: a folder there, a file on the way, or no access."""
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        msg = f"{named(value, folder)} cannot be used: {exc.strerror or type(exc).__name__}"
        return msg, "path-usable", "write a path to a file you may write"
    if mode is not None and stat.S_ISDIR(mode):
        msg = f"{named(value, folder)} is a folder, not a file"
        return msg, "path-not-file", f"name a file, e.g. {value.rstrip('/')}/NAME.csv"
    if mode is not None and not stat.S_ISREG(mode):
        msg = f"{named(value, folder)} is a FIFO, device or socket, not a file"
        return msg, "path-not-file", OUTPUT_FIX
    root = folder.resolve()
    for parent in target.parents:
        if not parent.is_relative_to(root) or parent == root:
            break
        try:
            mode = parent.stat().st_mode
        except OSError:
            continue
        if not stat.S_ISDIR(mode):
            inner = os.path.normpath(folder / os.path.relpath(parent, root))
            msg = f"{value} lies under {inner}, which is a file, so no folder can hold it"
            return msg, "output-under-file", OUTPUT_FIX
    return None


def shown_path(path: Path) -> str:
    """A path as the user would write it: relative to the current directory when inside."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def replaces(output: Path) -> str | None:
    """`replaces exports/x.csv (12,345 bytes, kept in the run's backups)` when an output file
    is there, else None (an export keeps the file it replaces: `keep_replaced` in
    runner/execute/drivers/bulk_read.py; an empty one is not kept)."""
    try:
        info = output.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    kept = ", kept in the run's backups" if info.st_size else ""
    return f"replaces {shown_path(output)} ({info.st_size:,} bytes{kept})"
