"""Before the first request: every folder a command writes in can be made and written.

`apply` and `resume` load their manifests against the state and report dirs they use
(runner.manifest.rules_paths: no output there, nor on a manifest or data file), then call
`preflight`: both dirs and each bulk_read output's folder are made if missing and proven
writable by creating and deleting a probe file (as root, permission bits prove nothing),
all before the org is asked anything. `plan --out` makes its folder the same way. Folders
made only for the probe are removed again (the state dir and --out's stay), so a run
refused later leaves nothing behind. Every refusal names the option or the job; exit 1.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from runner.errors import ManifestError, UsageError
from runner.manifest.model import BulkReadJob, Manifest
from runner.manifest.problems import Problem
from runner.manifest.rules_paths import replaces, resolved_or_none, shown_path


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def existing_file_problem(path: Path) -> str | None:
    """Why `path` cannot be replaced by a new file: a folder or a device there, or None."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"{shown_path(path)} cannot be used: {_why(exc)}"
    if stat.S_ISREG(mode):
        return None
    what = "a folder" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
    return f"{shown_path(path)} is {what}, not a file"


def _blocker(path: Path) -> tuple[Path, str] | None:
    """The nearest existing entry on `path` (itself or a parent) that is not a folder."""
    for entry in (path, *path.parents):
        try:
            mode = entry.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            return entry, _why(exc)
        return None if stat.S_ISDIR(mode) else (entry, "a file")
    return None


def existing_dir_problem(path: Path) -> str | None:
    """Why `path` cannot be a folder, checked without creating anything, or None."""
    if "\0" in str(path):
        return "a path cannot hold a NUL byte"
    blocker = _blocker(path)
    if blocker is None:
        return None
    entry, what = blocker
    if what != "a file":
        return f"{shown_path(entry)} cannot be used: {what}"
    if entry == path:
        return f"{shown_path(path)} is a file, not a folder"
    return f"{shown_path(entry)} is a file, so no folder can be made under it"


def dir_problem(path: Path, *, keep: bool = False) -> str | None:
    """Why no file can be written in folder `path`, or None: it was made (if missing) and
    took a probe file. Folders made here are removed again unless `keep`: whoever writes
    later makes them, and a run refused further on leaves nothing behind."""
    why = existing_dir_problem(path)
    if why is not None:
        return why
    made = [p for p in (path, *path.parents) if not os.path.lexists(p)]
    try:
        path.mkdir(parents=True, exist_ok=True)
        try:
            fd, probe = tempfile.mkstemp(dir=path, prefix=".zcrm-probe-")
        except OSError as exc:
            return f"cannot write in the folder {shown_path(path)}: {_why(exc)}"
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    except OSError as exc:
        return f"cannot create the folder {shown_path(path)}: {_why(exc)}"
    finally:
        for folder in made if not keep else ():
            with contextlib.suppress(OSError):
                folder.rmdir()  # deepest first; only ever empty folders made above
    return None


def prepare_dir(
    path: Path, label: str, *, keep: bool = False, fix: str = "name a folder you may write in"
) -> None:
    """Prove `path` can be made and written in (`dir_problem`), or raise UsageError."""
    why = dir_problem(path, keep=keep)
    if why is not None:
        raise UsageError(f"{label}: {why}; {fix}")


def preflight(manifests: Sequence[Manifest], *, state_dir: Path, report_dir: Path) -> list[str]:
    """The state and report dirs made and writable, then the outputs (`outputs_ready`)."""
    prepare_dir(state_dir, f"--state-dir {state_dir}", keep=True)  # the lock goes there next
    prepare_dir(report_dir, f"--report-dir {report_dir}")
    return outputs_ready(manifests)


def outputs_ready(manifests: Sequence[Manifest]) -> list[str]:
    """Each bulk_read output's folder made and writable; one line per file it replaces.

    Raises ManifestError with a problem located at each job whose output cannot be made.
    """
    problems: list[Problem] = []
    lines: list[str] = []
    for manifest in manifests:
        for job in manifest.jobs:
            if not isinstance(job, BulkReadJob):
                continue
            why = dir_problem(job.output.parent) or existing_file_problem(job.output)
            if why is not None:
                problems.append(_problem(manifest, job, why))
                continue
            note = replaces(job.output)
            if note is not None:
                lines.append(f"{job.name}: {note}")
    if problems:
        raise ManifestError(problems)
    return lines


def _problem(manifest: Manifest, job: BulkReadJob, why: str) -> Problem:
    where = job.location
    file, line, col = (where.file, where.line, where.col) if where else (str(manifest.path), 1, 1)
    fix = "make the folder writable, or write the output elsewhere in the manifest's folder"
    return Problem(file, line, col, f"jobs[{job.index}].output", why, "output-writable", fix)


def run_files(manifests: Sequence[Manifest]) -> dict[Path, str]:
    """Every file the manifests' jobs read or write, resolved, with what it is to them."""
    found: dict[Path, str] = {}
    for manifest in manifests:
        found[manifest.path.resolve()] = f"the manifest {manifest.path}"
        for job in manifest.jobs:
            for key in ("ids_file", "file", "output"):
                path = getattr(job, key, None)
                if isinstance(path, Path):
                    found.setdefault(path, f"the {key} of job {job.name}")
    return found


def prepare_out(out: Path, manifests: Sequence[Manifest], *, state_dir: Path) -> None:
    """`plan --out`: a file of its own, outside the state dir, in a folder made now."""
    why = "a path cannot hold a NUL byte" if "\0" in str(out) else existing_file_problem(out)
    target, kept, taken = resolved_or_none(out), resolved_or_none(state_dir), run_files(manifests)
    if why is None and target is not None:
        if kept is not None and target.is_relative_to(kept):
            why = f"{out} is inside the state dir {state_dir}, where the journal is"
        elif target in taken:
            why = f"{out} is {taken[target]}"
    if why is None:
        why = dir_problem(out.parent, keep=True)
    if why is not None:
        raise UsageError(f"--out {out}: {why}; name a new .json file in a folder you may write")
