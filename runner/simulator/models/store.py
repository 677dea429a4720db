"""One module's records: generated lazily by n, with only overrides and deletions stored."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.values import ADMIN_ID, ValueGen, created_iso, iso

# DEMO_ORG "Record states": n % 50 → state; only generated records carry one.
STATE_BY_REMAINDER = {7: "locked", 17: "blueprint", 27: "stop_processing", 37: "not_approved"}

# DEMO_ORG territories: n % 4 == 1 North America, 2 South America, 3 EMEA, 0 none.
TERRITORY_BY_REMAINDER = {
    1: "554023000000430411",
    2: "554023000000430412",
    3: "554023000000430410",
}


@dataclass(frozen=True, slots=True)
class Deletion:
    """When (sim clock) and by whom a record was deleted: what `GET /{module}/deleted`
    lists (API_NOTES §13)."""

    at: float
    by: str


class RecordStore:
    """Records 1..generated exist by default; bulk write inserts continue after them."""

    def __init__(self, mod: ModuleDef, gen: ValueGen, generated: int) -> None:
        self.mod = mod
        self.gen = gen
        self.generated = generated
        self.next_n = generated + 1
        self.overrides: dict[int, dict[str, Any]] = {}
        self.inserted: dict[int, dict[str, Any]] = {}
        # record n → its deletion, in the order deletions happened
        self.deleted: dict[int, Deletion] = {}
        self.creators: dict[int, str] = {}  # inserted record n → the user who created it

    def exists(self, n: int) -> bool:
        if n in self.deleted:
            return False
        return 1 <= n <= self.generated or n in self.inserted

    def known(self, n: int) -> bool:
        """Exists now or existed once (deleted records stay visible in ground truth)."""
        return 1 <= n <= self.generated or n in self.inserted

    def count(self) -> int:
        return self.generated + len(self.inserted) - len(self.deleted)

    def numbers(self) -> Iterator[int]:
        """Live record numbers in ascending order (the order jobs and exports use)."""
        deleted = self.deleted
        if deleted:
            yield from (n for n in range(1, self.generated + 1) if n not in deleted)
        else:
            yield from range(1, self.generated + 1)
        yield from (n for n in sorted(self.inserted) if n not in deleted)

    def state(self, n: int) -> str | None:
        if n > self.generated:
            return None
        return STATE_BY_REMAINDER.get(n % 50)

    @staticmethod
    def territory(n: int) -> str | None:
        return TERRITORY_BY_REMAINDER.get(n % 4)

    def get(self, n: int, api_name: str) -> Any:
        """One field's current value: override, else inserted value, else the default."""
        over = self.overrides.get(n)
        if over is not None and api_name in over:
            return over[api_name]
        if n in self.inserted:
            return self.inserted[n].get(api_name)
        f = self.mod.field(api_name)
        return None if f is None else self.gen.value(self.mod, n, f)

    def record(self, n: int, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The record as the records API answers it; `id` always first."""
        names = list(fields) if fields is not None else [f.api_name for f in self.mod.fields]
        body: dict[str, Any] = {"id": self.mod.record_id(n)}
        for name in names:
            if name != "id":
                body[name] = self.get(n, name)
        return body

    def update(self, n: int, values: dict[str, Any], now: float, stamp: str | None = None) -> None:
        """Set fields of record n, stamped modified at `now` (`stamp`: its text, if known)."""
        self.update_many((n,), values, stamp or iso(now))

    def update_many(self, ns: Iterable[int], values: dict[str, Any], stamp: str) -> None:
        """`update` of many records with the same values (a mass update by ids)."""
        overrides = self.overrides
        for n in ns:
            over = overrides.get(n)
            if over is None:
                over = overrides[n] = {}
            over.update(values)
            over["Modified_Time"] = stamp

    def insert(self, values: dict[str, Any], now: float, by: str | None = None) -> int:
        n = self.next_n
        self.next_n += 1
        stamp = iso(now)
        body: dict[str, Any] = {f.api_name: None for f in self.mod.fields}
        body.update(values)
        body.update({"Created_Time": stamp, "Modified_Time": stamp})
        if body.get("Owner") is None:
            body["Owner"] = self.gen.value(self.mod, 1, self.mod.by_name["Owner"])
        self.inserted[n] = body
        if by is not None:
            self.creators[n] = by
        return n

    def delete(self, n: int, at: float, by: str) -> None:
        """Move record n to the recycle bin at clock time `at`, deleted by user `by`."""
        self.deleted[n] = Deletion(at, by)

    def created_by(self, n: int) -> str:
        """Who created record n: generated records are the admin's (DEMO_ORG)."""
        return self.creators.get(n, ADMIN_ID)

    def created_time(self, n: int) -> str:
        if n in self.inserted:
            return str(self.inserted[n]["Created_Time"])
        return created_iso(n)
