"""A validated manifest as frozen dataclasses, one class per job kind.

Only validate.py builds these; the planner, executor and reports read them. Ids are always
digit strings (manifests may write them as integers; 19 digits exceed float precision).
Paths are resolved against the manifest's folder and already checked not to leave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

BulkWriteOperation = Literal["insert", "update", "upsert"]
FileType = Literal["csv", "ics"]


@dataclass(frozen=True)
class Location:
    """Where a node starts in its manifest (1-based line and column)."""

    file: str
    line: int
    col: int


@dataclass(frozen=True)
class Territory:
    """Zoho territory filter; only valid together with a cvid (seed 002)."""

    id: str
    include_child: bool = False


@dataclass(frozen=True, kw_only=True)
class Job:
    """Fields every job kind has. `kind` is a class constant naming the driver."""

    kind: ClassVar[str]
    name: str
    module: str
    custom_module: bool = False
    needs: tuple[str, ...] = ()
    index: int = 0
    location: Location | None = None


@dataclass(frozen=True, kw_only=True)
class MassUpdateJob(Job):
    """Set 1 field (up to 3 in Deals) on records chosen by ids or by cvid (+ territory)."""

    kind: ClassVar[str] = "mass_update"
    values: Mapping[str, Any]
    ids: tuple[str, ...] | None = None
    ids_file: Path | None = None
    cvid: str | None = None
    territory: Territory | None = None
    over_write: bool = False


@dataclass(frozen=True, kw_only=True)
class MassDeleteJob(Job):
    """Delete records chosen by ids (500 a call, at once) or by cvid (a polled job)."""

    kind: ClassVar[str] = "mass_delete"
    ids: tuple[str, ...] | None = None
    ids_file: Path | None = None
    cvid: str | None = None
    territory: Territory | None = None


@dataclass(frozen=True, kw_only=True)
class BulkReadJob(Job):
    """Export a module page by page; `criteria` keeps the manifest form (field as a name)."""

    kind: ClassVar[str] = "bulk_read"
    output: Path
    fields: tuple[str, ...] = ()
    criteria: Mapping[str, Any] | None = None
    cvid: str | None = None
    file_type: FileType = "csv"


@dataclass(frozen=True)
class FieldMapping:
    """One CSV column (by header name) or a default value, mapped to a Zoho field."""

    api_name: str
    column: str | None = None
    default_value: Any = None
    find_by: str | None = None
    format: str | None = None


@dataclass(frozen=True, kw_only=True)
class BulkWriteJob(Job):
    """Import a CSV with insert/update/upsert and collect the per-row result file."""

    kind: ClassVar[str] = "bulk_write"
    operation: BulkWriteOperation
    file: Path
    find_by: str | None = None
    field_mappings: tuple[FieldMapping, ...] = ()
    ignore_empty: bool = False
    character_encoding: str | None = None


AnyJob = MassUpdateJob | MassDeleteJob | BulkReadJob | BulkWriteJob


@dataclass(frozen=True)
class Manifest:
    """One validated, rendered manifest file."""

    path: Path
    sha256: str
    version: int
    jobs: tuple[AnyJob, ...]
    vars: Mapping[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent
