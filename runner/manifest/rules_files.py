"""Files a job names (ids_file, file, output): inside the manifest's folder, and there.

Paths are relative to the manifest's folder; absolute paths, `..` that climbs out and
symlinks pointing out are all refused, so a manifest can only touch its own tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, jobs_of
from runner.manifest.rules_bulk import check_bulk_read, check_csv
from runner.manifest.rules_ids import check_id_value, check_ids, read_ids_file

Resolved = dict[int, dict[str, Any]]


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
            if isinstance(value, str) and value:
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
    folder = r.folder.resolve()
    target = (folder / raw).resolve()
    if not target.is_relative_to(folder):
        why = "a symlink on it points" if ".." not in raw.parts else "it climbs"
        r.add(parts, f"{value} leaves the manifest's folder ({why} out)", "path-inside", fix)
        return None
    return target


def _exists(path: Path, value: str, parts: list[PathPart], r: Reporter) -> bool:
    if path.is_file():
        return True
    where = r.folder / value
    msg = f"{value} not found (looked for {where})"
    r.add(parts, msg, "file-exists", "create it, or fix the path (relative to the manifest)")
    return False
