"""A run's backups (report.json's `backup` entries, issue 12) → the jobs of a revert manifest.

An update's backup becomes a `bulk_write` update by record id (`find_by: id`) that maps the
backed-up fields; a delete's becomes a `bulk_write` insert of the exported records, with
`find_by: id` so that a row whose record still exists (not deleted, or restored from the
Recycle Bin meanwhile) is skipped as a duplicate instead of doubled (API_NOTES §4.3: on
insert, rows matching existing records are skipped). Dates and datetimes are written as a
bulk read exports them (ISO 8601), so their mappings name that format; lookups hold ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.manifest import catalog
from runner.zoho.bulk_write import ISO_FORMATS, LOOKUP_TYPES

UPDATE_KINDS = frozenset({"mass_update"})
DELETE_KINDS = frozenset({"mass_delete"})
MAX_NAME = 100  # schemas/jobs.schema.json: a job name's maxLength
#: API_NOTES §13: the Recycle Bin keeps deleted records 60 days.
RECYCLE_BIN_DAYS = 60


@dataclass(frozen=True)
class Backed:
    """One job of the run, as report.json tells it, with the backup it took (if any)."""

    name: str
    kind: str
    module: str
    status: str
    counts: Mapping[str, int]
    backup: Mapping[str, Any] | None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> Backed:
        backup = entry.get("backup")
        return cls(
            name=str(entry.get("name", "")),
            kind=str(entry.get("kind", "")),
            module=str(entry.get("module", "")),
            status=str(entry.get("status", "")),
            counts=dict(entry.get("counts") or {}),
            backup=backup if isinstance(backup, Mapping) else None,
        )

    @property
    def file(self) -> str | None:
        path = self.backup.get("path") if self.backup else None
        return str(path) if path else None

    @property
    def rows(self) -> int:
        return int((self.backup or {}).get("rows") or 0)

    def why_none(self, run_id: str) -> str:
        """Why this job has no backup to revert, as a sentence (the file's check is apart)."""
        if self.kind not in UPDATE_KINDS | DELETE_KINDS:
            return (
                f"job {self.name} is a {self.kind} job, which takes no backup: only "
                "mass_update and mass_delete jobs do"
            )
        skipped = (self.backup or {}).get("skipped")
        if skipped:
            return f"job {self.name} took no backup in run {run_id}: {skipped}"
        if self.status in ("SKIPPED", "UNCHANGED"):
            return f"job {self.name} did not run in run {run_id} ({self.status}): no backup"
        return (
            f"job {self.name} took no backup in run {run_id} (it ended {self.status} before "
            "taking one)"
        )


@dataclass
class Revert:
    """The revert manifest's jobs (as YAML data), their comments, and what to print."""

    jobs: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    copies: list[tuple[Path, str]] = field(default_factory=list)  # backup → file name


def _name(prefix: str, job: str) -> str:
    return f"{prefix}-{job}"[:MAX_NAME]


def _mapping(column: Mapping[str, Any]) -> dict[str, Any]:
    name, data_type = str(column["name"]), str(column.get("data_type") or "")
    out: dict[str, Any] = {"api_name": name, "column": name}
    if data_type in ISO_FORMATS:
        out["format"] = ISO_FORMATS[data_type]
    if data_type in LOOKUP_TYPES:
        out["find_by"] = "id"
    return out


def _module_keys(module: str) -> dict[str, Any]:
    return {} if module in catalog.STANDARD_MODULES else {"custom_module": True}


def add_job(revert: Revert, job: Backed, source: Path) -> None:
    """Add the job that restores `job`'s backup (at `source`), or a note why none can;
    its comment is a list of paragraphs."""
    columns: Sequence[Mapping[str, Any]] = list((job.backup or {}).get("columns") or ())
    id_column = str((job.backup or {}).get("id_column") or "Id")
    module = job.module
    withheld = int((job.backup or {}).get("withheld") or 0)
    if withheld:
        revert.notes.append(
            f"{job.name}: {withheld:,} records were left out of its backup (a field held a "
            "value built from a ZCRM_VAR_* variable, which no file may hold): no job restores "
            "them"
        )
    if job.rows == 0:
        revert.notes.append(f"{job.name}: its backup holds no record; nothing to restore")
        return
    if module in catalog.STANDARD_MODULES and module not in catalog.BULK_WRITE_MODULES:
        revert.notes.append(
            f"{job.name}: bulk write cannot write {module} records (API_NOTES §4.2), so no job "
            f"restores them; the backup is {source}"
            + (f"; deleted records stay in the Recycle Bin for {RECYCLE_BIN_DAYS} days"
               if job.kind in DELETE_KINDS else "")
        )  # fmt: skip
        return
    if not columns:
        revert.notes.append(f"{job.name}: its backup has no field a bulk write can set")
        return
    data = f"{job.name}.csv"
    mappings = [{"api_name": "id", "column": id_column}, *(_mapping(c) for c in columns)]
    fields = ", ".join(str(c["name"]) for c in columns)
    base = {"kind": "bulk_write", "module": module, **_module_keys(module)}
    if job.kind in UPDATE_KINDS:
        comment = [
            f"{job.name} (mass_update of {module}): sets {fields} back to what its backup "
            f"saved before the job, on its {job.rows:,} records, by record id."
        ]
        body = {"name": _name("revert", job.name), **base, "operation": "update",
                "file": data, "find_by": "id", "field_mappings": mappings}  # fmt: skip
    else:
        deleted = job.counts.get("succeeded")
        told = f", {deleted:,} of them deleted" if isinstance(deleted, int) else ""
        note = (
            f"{job.name}: Zoho keeps deleted records in the Recycle Bin for "
            f"{RECYCLE_BIN_DAYS} days: restore them there first (same ids, owners, notes, "
            f"attachments and links). The job reinsert-{job.name} is a last resort: it inserts "
            "the exported records as NEW records with NEW ids (links to the old ids are lost); "
            "rows whose id still exists are skipped as DUPLICATE_DATA."
        )
        revert.notes.append(note)
        comment = [
            f"NOTE: {job.name} (mass_delete of {module}): its backup holds {job.rows:,} "
            f"records{told}.",
            f"Deleted records stay in Zoho's Recycle Bin for {RECYCLE_BIN_DAYS} days: restore "
            "them there first; that keeps their ids, owners, notes, attachments and the "
            "records linking to them.",
            "The job below is a LAST RESORT: it inserts the exported records as NEW records "
            "with NEW ids (links to the old ids are not restored). A row whose id still exists "
            "(not deleted, or restored from the Recycle Bin) is skipped as DUPLICATE_DATA.",
        ]
        body = {"name": _name("reinsert", job.name), **base, "operation": "insert",
                "file": data, "find_by": "id", "field_mappings": mappings}  # fmt: skip
    if withheld:
        comment.append(f"{withheld:,} records are not here: see the note printed by revert.")
    revert.jobs.append((comment, body))
    revert.copies.append((source, data))
