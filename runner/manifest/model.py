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


KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, kw_only=True)
class Job:
    """Fields every job kind has. `kind` is a class constant naming the driver.

    `from_env` maps the key path (inside the job: `("values", "Industry")`) of every value
    a template built from ZCRM_VAR_* variables to their names; plans and messages show
    those names instead of the value (runner/manifest/render.py).
    """

    kind: ClassVar[str]
    name: str
    module: str
    custom_module: bool = False
    needs: tuple[str, ...] = ()
    index: int = 0
    location: Location | None = None
    from_env: Mapping[KeyPath, tuple[str, ...]] = field(default_factory=dict)

    def env_names(self, *prefix: str | int) -> tuple[str, ...]:
        """The ZCRM_VAR_* names anything under this key path was built from, sorted."""
        n = len(prefix)
        return tuple(
            sorted({x for p, names in self.from_env.items() if p[:n] == prefix for x in names})
        )


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
    backup: bool = True  # the targeted fields' current values, before the first request


@dataclass(frozen=True, kw_only=True)
class MassDeleteJob(Job):
    """Delete records chosen by ids (500 a call, at once) or by cvid (a polled job)."""

    kind: ClassVar[str] = "mass_delete"
    ids: tuple[str, ...] | None = None
    ids_file: Path | None = None
    cvid: str | None = None
    territory: Territory | None = None
    backup: bool = True  # the whole records, exported before the first request


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
    """One validated, rendered manifest file.

    `env_values`: the ZCRM_VAR_* values its templates read and every string built from
    them, for the journal to redact wherever an answer might echo one. Never printed.
    """

    path: Path
    sha256: str
    version: int
    jobs: tuple[AnyJob, ...]
    vars: Mapping[str, Any] = field(default_factory=dict)
    env_values: tuple[str, ...] = field(default=(), repr=False)

    @property
    def folder(self) -> Path:
        return self.path.parent
