"""The org: modules, records, views, territories, users, jobs and uploaded files.

Pure state and rules, no HTTP (moto's models); every refusal is a raised SimError.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.jobs import SimJob, Timing
from runner.simulator.models.catalog import UNSUPPORTED_IN_API
from runner.simulator.models.schema import ORG_PREFIX, ModuleDef
from runner.simulator.models.store import RecordStore
from runner.simulator.models.values import ValueGen
from runner.simulator.models.views import SimCustomView, SimTerritory, SimUser, territory_closure


@dataclass
class UploadedFile:
    """A bulk write upload: the zip's CSV files as header + rows."""

    id: str
    name: str
    created_at: float
    csvs: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)


class SimOrg:
    """A whole fake org; `reset()` brings back the seeded state."""

    def __init__(
        self,
        *,
        seed: int,
        records: int,
        modules: Iterable[ModuleDef],
        views: Iterable[SimCustomView],
        territories: Iterable[SimTerritory],
        users: Iterable[SimUser],
        org_id: str,
        zgid: str,
        company: str,
    ) -> None:
        self.seed = seed
        self.records = records
        self.modules = {m.api_name: m for m in modules}
        self._by_lower = {name.lower(): m for name, m in self.modules.items()}
        self.views = {v.cvid: v for v in views}
        self.territories = {t.id: t for t in territories}
        self.users = {u.id: u for u in users}
        self.org_id = org_id
        self.zgid = zgid
        self.company = company
        self.timing = Timing()
        self.reset()

    def reset(self) -> None:
        self.gen = ValueGen(self.seed, self.records, self.modules)
        self.stores = {
            name: RecordStore(mod, self.gen, self.records) for name, mod in self.modules.items()
        }
        self.jobs: dict[str, SimJob] = {}
        self._active: list[SimJob] = []
        self.files: dict[str, UploadedFile] = {}
        self.page_tokens: dict[str, dict[str, Any]] = {}
        self.downloads: deque[float] = deque()
        self.fail_next: set[str] = set()
        self._next_id = 0

    # -- lookups ---------------------------------------------------------------------------
    def new_id(self) -> str:
        """Job and file ids: 18 digits in the org's k=000 range, never a record id."""
        self._next_id += 1
        return f"{ORG_PREFIX}000{500_000 + self._next_id:09d}"

    def module(self, name: str) -> ModuleDef:
        """The module for a (case-insensitive) API name; INVALID_MODULE otherwise (seed 000)."""
        mod = self._by_lower.get(name.lower())
        if mod is not None:
            return mod
        if name.lower() in UNSUPPORTED_IN_API:
            raise e.SimInvalidModule(
                "The given module is not supported in API", {"resource_path_index": 0}
            )
        raise e.SimInvalidModule(details={"resource_path_index": 0})

    def store(self, module: str) -> RecordStore:
        return self.stores[self.module(module).api_name]

    def view(self, mod: ModuleDef, cvid: str, message: str, path: str = "$.cvid") -> SimCustomView:
        view = self.views.get(cvid)
        if view is None or view.module != mod.api_name:
            raise e.SimInvalidData(message, {"api_name": "cvid", "json_path": path, "id": cvid})
        return view

    def user(self, user_id: str) -> SimUser:
        return self.users[user_id]

    @property
    def admin(self) -> SimUser:
        return next(u for u in self.users.values() if u.admin)

    # -- jobs ------------------------------------------------------------------------------
    def add_job(self, job: SimJob) -> SimJob:
        if job.kind in self.fail_next:
            self.fail_next.discard(job.kind)
            job.fail = True
        self.jobs[job.id] = job
        self._active.append(job)
        job.advance(job.created_at)
        return job

    def advance(self, now: float) -> None:
        """Move every unfinished job to `now`, oldest first, applying what each reached."""
        still: list[SimJob] = []
        for job in self._active:
            job.advance(now)
            if not job.terminal():
                still.append(job)
        self._active = still

    def running(self, kind: str) -> list[SimJob]:
        return [j for j in self._active if j.kind == kind and not j.terminal()]

    # -- records ---------------------------------------------------------------------------
    def targets(
        self, mod: ModuleDef, view: SimCustomView, territory: str | None, children: bool, limit: int
    ) -> list[int]:
        """Records of a view (and territory), in record order; at most `limit` + 1."""
        store = self.stores[mod.api_name]
        members = view.members(store)
        if territory is not None:
            allowed = territory_closure(self.territories, territory, children)
            members = (n for n in members if store.territory(n) in allowed)
        return list(islice(members, limit + 1))

    def count(self, mod: ModuleDef, cvid: str | None) -> int:
        store = self.stores[mod.api_name]
        if cvid is None:
            return store.count()
        view = self.view(mod, cvid, "the id given seems to be invalid", "cvid")
        return sum(1 for _ in view.members(store))

    def by_ids(
        self, mod: ModuleDef, ids: list[str], fields: list[str] | None
    ) -> list[dict[str, Any]]:
        store = self.stores[mod.api_name]
        rows = []
        for rid in ids:
            n = mod.record_n(rid)
            if n is not None and store.exists(n):
                rows.append(store.record(n, fields))
        return rows

    def check_fields(self, mod: ModuleDef, fields: list[str]) -> None:
        for name in fields:
            if name != "id" and mod.field(name) is None:
                raise e.SimInvalidData(
                    "invalid field name", {"api_name": name, "param_name": "fields"}
                )
