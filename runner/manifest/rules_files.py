"""Files a job names (ids_file, file, output): inside the manifest's folder, and there.

Paths are relative to the manifest's folder; absolute paths, `..` that climbs out and
symlinks pointing out are all refused, so a manifest can only touch its own tree.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, jobs_of, shown
from runner.manifest.rules_bulk import check_bulk_read, check_csv
from runner.manifest.rules_ids import check_id_value, check_ids, read_ids_file

Resolved = dict[int, dict[str, Any]]
NAME_MAX = 255  # bytes in one file name on Linux and macOS file systems


def check_files_and_ids(data: dict[str, Any], r: Reporter) -> Resolved:
    """Per job index: normalised `ids`, resolved `ids_file`, `file` and `output` paths."""
    resolved: Resolved = {}
    for i, job in jobs_of(data):
        out: dict[str, Any] = resolved.setdefault(i, {})
        ids = job.get("ids")
        if isinstance(ids, list) and ids:
            out["ids"] = check_ids(ids, ["jobs", i, "ids"], r)
        if "cvid" in job:
            check_id_value(job["cvid"], ["jobs", i, "cvid"], r)
        territory = job.get("territory")
        if isinstance(territory, dict) and "id" in territory:
            check_id_value(territory["id"], ["jobs", i, "territory", "id"], r)
        for key in ("ids_file", "file", "output"):
            value = job.get(key)
            if isinstance(value, str) and value and usable(value, ["jobs", i, key], r):
                out[key] = inside_folder(value, ["jobs", i, key], r)
        ids_file = out.get("ids_file")
        if ids_file is not None and _exists(ids_file, job["ids_file"], ["jobs", i, "ids_file"], r):
            shown_name = str(r.folder / job["ids_file"])
            out["ids"] = read_ids_file(ids_file, shown_name, ["jobs", i, "ids_file"], r)
        kind = job.get("kind")
        csv_path = out.get("file") if kind == "bulk_write" else None
        if csv_path is not None and _exists(csv_path, job["file"], ["jobs", i, "file"], r):
            check_csv(i, job, csv_path, str(r.folder / job["file"]), r)
        if kind == "bulk_read":
            check_bulk_read(i, job, r)
    return resolved


def inside_folder(value: str, parts: list[PathPart], r: Reporter) -> Path | None:
    """The resolved path, or None after reporting that it leaves the manifest's folder."""
    raw = Path(value)
    fix = "write a path relative to the manifest's folder, inside it"
    if raw.is_absolute() or value.startswith("~"):
        r.add(parts, f"{value} is an absolute path", "path-inside", fix)
        return None
    try:
        folder = r.folder.resolve()
        target = (folder / raw).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        why = getattr(exc, "strerror", None) or str(exc)
        r.add(parts, f"{value} cannot be resolved: {why}", "path-usable", fix)
        return None
    if not target.is_relative_to(folder):
        why = "a symlink on it points" if ".." not in raw.parts else "it climbs"
        r.add(parts, f"{value} leaves the manifest's folder ({why} out)", "path-inside", fix)
        return None
    return target


def usable(value: str, parts: list[PathPart], r: Reporter) -> bool:
    """False after reporting a path no file system takes: a NUL byte, an overlong name."""
    fix = "write a path of plain file names, each at most 255 bytes"
    if "\0" in value:
        r.add(parts, f"{shown(value)} contains a NUL byte, which no path can hold", "path-nul", fix)
        return False
    try:
        longest = max((len(os.fsencode(part)) for part in Path(value).parts), default=0)
    except UnicodeEncodeError:
        r.add(parts, f"{shown(value)} cannot be encoded as a file name", "path-usable", fix)
        return False
    if longest > NAME_MAX:
        msg = f"a name in {shown(value)} is {longest} bytes, over the {NAME_MAX} a file name takes"
        r.add(parts, msg, "path-usable", fix)
        return False
    return True


def _exists(path: Path, value: str, parts: list[PathPart], r: Reporter) -> bool:
    """True when `path` is a regular file; else reports what is there instead."""
    where = r.folder / value
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        msg = f"{value} not found (looked for {where})"
        r.add(parts, msg, "file-exists", "create it, or fix the path (relative to the manifest)")
        return False
    except OSError as exc:
        msg = f"{value} cannot be read ({where}): {exc.strerror or type(exc).__name__}"
        r.add(parts, msg, "path-usable", "give a file you may read")
        return False
    if stat.S_ISREG(mode):
        return True
    what = "a folder" if stat.S_ISDIR(mode) else "a FIFO, device or socket"
    msg = f"{named(value, r.folder)} is {what}, not a file"
    r.add(parts, msg, "path-not-file", "name a file inside the manifest's folder")
    return False


def named(value: str, folder: Path) -> str:
    """`value` as written, with the path it names when the manifest's folder is elsewhere."""
    full = os.path.normpath(folder / value)
    return value if full == os.path.normpath(value) else f"{value} ({full})"
