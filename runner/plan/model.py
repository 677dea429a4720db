"""A plan as frozen dataclasses: what apply would call, in which order, at what cost.

The planner builds these, the renderers and the plan file read them. A plan names the API
paths only for the reviewer to see; the executor builds its own calls through runner/zoho/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from runner import __version__
from runner.manifest.problems import Problem
from runner.refs import ManifestRef

FORMAT_VERSION = 1

Selector = Literal["ids", "cvid", "query", "file"]
Host = Literal["api", "upload", "download"]


@dataclass(frozen=True)
class Step:
    """One API call; a step with `polls` is repeated until the job reaches a final state.

    `batch` numbers ids batches, bulk read pages and bulk write parts (1-based);
    `batch_size` is how many records that batch carries when known. `host` says which
    server the path belongs to (the upload and download hosts differ: API_NOTES §4.1, §4.5).
    """

    seq: int
    method: str
    path: str
    purpose: str
    batch: int | None = None
    batch_size: int | None = None
    polls: bool = False
    body_summary: str = ""
    host: Host = "api"
    credits: int = 1


@dataclass(frozen=True)
class ValueCount:
    """How many of the records read hold one current value (as shown: `(empty)` for none)."""

    value: str
    records: int


@dataclass(frozen=True)
class FieldDiff:
    """One field a mass update sets: the current values it replaces, most common first,
    and how many records already hold the new value (no change for them)."""

    field: str
    new_value: str  # as the plan shows it: a value built from ZCRM_VAR_* by its names only
    changes: tuple[ValueCount, ...]
    unchanged: int


@dataclass(frozen=True)
class NamedRecord:
    """A record a mass delete removes: its id and the module's name field."""

    id: str
    name: str | None


@dataclass(frozen=True)
class ValueDiff:
    """What `plan --online` read of the records a mass job changes (runner/plan/diffs.py).

    `asked` records were asked for (ids, or the view read up to `--diff-limit`) of `total`
    the job targets (None: unknown); `found` came back. `sampled` when `asked` < `total`.
    `scope` says what a view read covers when a territory narrows the job; `error` why
    nothing could be read. `calls` and `credits` are the plan's own reads, not apply's.
    """

    asked: int
    found: int
    total: int | None
    sampled: bool
    fields: tuple[FieldDiff, ...] = ()
    records: tuple[NamedRecord, ...] = ()  # mass delete: the first DELETE_SHOWN
    name_field: str | None = None
    scope: str = ""
    calls: int = 0
    credits: int = 0
    error: str | None = None


@dataclass(frozen=True)
class JobPlan:
    """Every call one job makes, with what it needs (scopes) and costs (credits)."""

    name: str
    kind: str
    module: str
    order: int
    needs: tuple[str, ...]
    destructive: bool
    selector: Selector
    record_count: int | None
    steps: tuple[Step, ...]
    scopes: tuple[str, ...]
    credits: int
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    probable_scopes: tuple[str, ...] = ()
    credits_estimated: bool = False
    cvid: str | None = None
    # The apply-once ledger's word on this job (state dir): APPLIED sends nothing (no
    # steps), UNKNOWN stops it until `--replace`; None: not applied before.
    ledger: str | None = None
    ids: tuple[str, ...] = ()  # ids jobs: every id, in manifest order
    # plan --online, mass jobs: the records' current values; None offline (unknown)
    diff: ValueDiff | None = None

    @property
    def changes(self) -> bool:
        """Whether apply would change the org for this job (bulk reads change nothing)."""
        return self.kind != "bulk_read" and self.ledger != "APPLIED"

    @property
    def calls(self) -> int:
        """Calls made once each; polls repeat an unknown number of times."""
        return sum(1 for s in self.steps if not s.polls)

    @property
    def polls(self) -> int:
        """Poll loops: each one calls until the job is final."""
        return sum(1 for s in self.steps if s.polls)

    @property
    def batches(self) -> int:
        """Distinct batches (ids batches, pages or parts); 1 for a single-shot job."""
        return len({s.batch for s in self.steps if s.batch is not None}) or 1


@dataclass(frozen=True)
class OrgFacts:
    """What an online plan learnt from the org; offline plans have none.

    `cvid_counts` maps (module, cvid) to the view's record count; `bulk_read_counts`
    maps a bulk_read job name to the number of records its query matches; `diffs` maps a
    mass job's name to the current values of its records.
    """

    org_id: str
    cvid_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    bulk_read_counts: Mapping[str, int] = field(default_factory=dict)
    diffs: Mapping[str, ValueDiff] = field(default_factory=dict)  # by job name


@dataclass(frozen=True)
class Plan:
    """A reviewed preview: bound to its manifests' hashes and, online, to one org."""

    created_at: str
    manifests: tuple[ManifestRef, ...]
    target: str | None
    jobs: tuple[JobPlan, ...]
    warnings: tuple[Problem, ...] = ()
    inputs: tuple[ManifestRef, ...] = ()
    format_version: int = FORMAT_VERSION
    runner_version: str = __version__  # apply --plan takes only plans of its own version

    @cached_property
    def identity(self) -> str:
        """The sha256 of the plan's canonical JSON (codec.plan_identity), worked out once:
        a plan of millions of ids takes seconds to serialise, and a pull request's
        Markdown, its marker and the journal each ask for it."""
        from runner.plan.codec import canonical_sha256  # codec imports this module

        return canonical_sha256(self)

    @property
    def calls(self) -> int:
        return sum(j.calls for j in self.jobs)

    @property
    def polls(self) -> int:
        return sum(j.polls for j in self.jobs)

    @property
    def credits(self) -> int:
        return sum(j.credits for j in self.jobs)

    @property
    def credits_estimated(self) -> bool:
        return any(j.credits_estimated for j in self.jobs)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every scope the plan's calls need, sorted, without duplicates."""
        return tuple(sorted({s for j in self.jobs for s in j.scopes}))

    @property
    def probable_scopes(self) -> tuple[str, ...]:
        """Scopes probably needed too (API_NOTES §7.4 [U]), minus the certain ones."""
        certain = set(self.scopes)
        return tuple(sorted({s for j in self.jobs for s in j.probable_scopes} - certain))
