"""Custom views (criteria over records), territories (a tree) and users, as DEMO_ORG defines."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from runner.simulator.models.criteria import Predicate
from runner.simulator.models.store import RecordStore


@dataclass(frozen=True)
class SimCustomView:
    """A view: `criteria` in bulk-read grammar; None means every record, `empty` none."""

    cvid: str
    module: str
    name: str
    criteria: dict[str, Any] | None = None
    empty: bool = False
    predicate: Predicate | None = field(default=None, compare=False, repr=False)

    def members(self, store: RecordStore) -> Iterator[int]:
        if self.empty:
            return
        pred = self.predicate
        for n in store.numbers():
            if pred is None or pred(store, n):
                yield n

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.cvid,
            "name": self.name,
            "display_value": self.name,
            "system_name": self.name.upper().replace(" ", ""),
            "category": "public_views",
            "default": False,
            "module": {"api_name": self.module},
        }
        if self.criteria is not None:
            body["criteria"] = self.criteria
        return body


@dataclass(frozen=True)
class SimTerritory:
    id: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class SimUser:
    """A CRM user; `admin` has every permission, others cannot mass update or delete."""

    id: str
    full_name: str
    email: str
    profile: str
    role: str
    admin: bool

    def to_json(self) -> dict[str, Any]:
        first, _, last = self.full_name.partition(" ")
        return {
            "id": self.id,
            "email": self.email,
            "full_name": self.full_name,
            "first_name": first,
            "last_name": last,
            "status": "active",
            "confirm": True,
            "role": {"name": self.role, "id": f"{self.id[:12]}006049"},
            "profile": {"name": self.profile, "id": f"{self.id[:12]}00605{int(self.admin)}"},
        }

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.full_name}


def territory_closure(territories: dict[str, SimTerritory], root: str, children: bool) -> set[str]:
    """The territory, plus every descendant when `include_child` (seed 002)."""
    found = {root}
    if not children:
        return found
    grew = True
    while grew:
        grew = False
        for t in territories.values():
            if t.parent in found and t.id not in found:
                found.add(t.id)
                grew = True
    return found
