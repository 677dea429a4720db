"""Default record values: a pure function of (seed, module, n, field), so nothing is stored.

Only overrides and deletions live in memory (records.py); a million records cost nothing
until read. The few fields the demo views filter on follow DEMO_ORG.md's rules by n.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from runner.simulator.models.schema import ORG_PREFIX, ModuleDef, SimField

ADMIN_ID = f"{ORG_PREFIX}000000235011"
ADMIN_NAME = "Patricia Boyle"
ADMIN_EMAIL = "patricia.boyle@zylker.example"
LAYOUT_NAME = "Standard"
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
_DAY0 = dt.date(2026, 1, 1)
_UNIX_DAY0 = dt.date(1970, 1, 1)

LAST_NAMES = (
    "Boyle", "Smith", "Sanchez", "Schmidt", "Stone", "Garcia", "Kim", "Nakamura", "Okafor",
    "Rossi", "Dubois", "Novak", "Silva", "Khan", "Larsen", "Murphy", "Ivanova", "Chen",
)  # fmt: skip
FIRST_NAMES = (
    "Patricia", "John", "Maria", "Ahmed", "Yuki", "Olga", "Lars", "Chen", "Ana", "Kofi",
    "Lucia", "Marc", "Sara", "Ivan", "Nina", "Omar",
)  # fmt: skip
CITIES = ("Austin", "Berlin", "Chennai", "Lima", "Madrid", "Osaka", "Toronto", "Sydney")


def mix(seed: int, k: int, n: int, salt: int) -> int:
    """A cheap, well-spread 32-bit hash: far faster than a Random per record."""
    x = (seed * 0x9E3779B1 + k * 0x85EBCA77 + n * 0xC2B2AE3D + salt * 0x27D4EB2F) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    return x ^ (x >> 15)


def iso(ts: float) -> str:
    """Zoho's ISO 8601 with offset; the demo org runs on GMT (DEMO_ORG)."""
    return _iso_seconds(int(ts))


@functools.lru_cache(maxsize=1024)
def _iso_seconds(seconds: int) -> str:
    # Cached: a 500-record update stamps every record with the same "now". The date part
    # is cached too, the time of day plain arithmetic: the same text as
    # `datetime.isoformat()` in UTC, ~5x faster.
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    return f"{_iso_day(days)}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00:00"


@functools.lru_cache(maxsize=4096)
def _iso_day(days: int) -> str:
    return (_UNIX_DAY0 + dt.timedelta(days=days)).isoformat()


_EPOCH_DAYS = (_EPOCH.date() - _UNIX_DAY0).days
_EPOCH_SECONDS = _EPOCH.timestamp()
_MINUTE_TEXT = tuple(f"T{m // 60:02d}:{m % 60:02d}:00+00:00" for m in range(1440))


def created_iso(n: int) -> str:
    """When generated record n was created: n minutes after the demo epoch (DEMO_ORG),
    from a table, as every record of an answer has its own."""
    days, minute = divmod(n, 1440)
    return _iso_day(_EPOCH_DAYS + days) + _MINUTE_TEXT[minute]


def created_epoch(n: int) -> float:
    """`created_iso(n)` as epoch seconds (orders records by creation without text)."""
    return _EPOCH_SECONDS + 60.0 * n


@functools.lru_cache(maxsize=4096)
def instant(text: str) -> float:
    """Epoch seconds of an ISO 8601 time with offset (API_NOTES §13: compare instants)."""
    return dt.datetime.fromisoformat(text).timestamp()


def owner() -> dict[str, str]:
    return {"name": ADMIN_NAME, "id": ADMIN_ID, "email": ADMIN_EMAIL}


class ValueGen:
    """Computes default values for one org seed; `lookup_name` resolves lookup targets."""

    def __init__(self, seed: int, records: int, modules: dict[str, ModuleDef]) -> None:
        self.seed = seed
        self.records = records
        self.modules = modules
        self._special: dict[tuple[str, str], Callable[[int, int], Any]] = {
            ("Leads", "Lead_Status"): self._lead_status,
            ("Accounts", "Industry"): self._industry,
        }

    def value(self, mod: ModuleDef, n: int, f: SimField) -> Any:
        h = mix(self.seed, mod.k, n, f.seq)
        special = self._special.get((mod.api_name, f.api_name))
        if special is not None:
            return special(n, h)
        return self._by_type(mod, n, f, h)

    # DEMO_ORG: cvid 554023000000091999 "Lead_Status = Junk Lead" holds n % 10 == 0 exactly.
    @staticmethod
    def _lead_status(n: int, h: int) -> str:
        if n % 10 == 0:
            return "Junk Lead"
        return ("Not Contacted", "Contacted", "Qualified")[h % 3]

    # DEMO_ORG: cvid 554023000000091515 "Industry is not Education" holds most Accounts.
    @staticmethod
    def _industry(n: int, h: int) -> str:
        if n % 5 == 3:
            return "Education"
        return ("Government", "Manufacturing", "Technology", "Retail")[h % 4]

    def _by_type(self, mod: ModuleDef, n: int, f: SimField, h: int) -> Any:
        t = f.data_type
        if f.api_name == mod.name_field:
            return self._name(mod, n, h)
        if f.api_name == "First_Name":
            return FIRST_NAMES[h % len(FIRST_NAMES)]
        if f.api_name in ("City", "Mailing_City", "Venue"):
            return CITIES[h % len(CITIES)]
        if t == "picklist":
            return f.picklist[h % len(f.picklist)]
        if t == "multiselectpicklist":
            return [f.picklist[h % len(f.picklist)]]
        if t == "email":
            first = FIRST_NAMES[mix(self.seed, mod.k, n, 0) % len(FIRST_NAMES)].lower()
            return f"{first}.{n}@{mod.api_name.lower()}.zylker.example"
        if t == "phone":
            return f"+1-555-{h % 10000:04d}"
        if t == "website":
            return f"https://www{n}.zylker.example"
        if t == "integer":
            return h % 1000
        if t == "currency":
            return round((h % 10_000_000) / 100, 2)
        if t == "boolean":
            return bool(h & 1)
        if t == "date":
            return (_DAY0 + dt.timedelta(days=h % 365)).isoformat()
        if t == "datetime":
            return created_iso(n)
        if t == "textarea":
            return f"Demo {mod.api_name} record {n}"
        if t == "ownerlookup":
            return owner()
        if t == "layout":
            return {"name": LAYOUT_NAME, "id": f"{ORG_PREFIX}000000167{mod.k:03d}"}
        if t == "lookup":
            return self._lookup(f.lookup_module or mod.api_name, h)
        if t == "subform":
            return self._line_items(n, h)
        return f"{f.label} {n}"

    def _name(self, mod: ModuleDef, n: int, h: int) -> str:
        if mod.name_field == "Last_Name":
            return LAST_NAMES[h % len(LAST_NAMES)]
        return f"{mod.api_name.replace('_', ' ').rstrip('s')} {n}"

    def name_of(self, module: str, n: int) -> str:
        mod = self.modules[module]
        return self._name(mod, n, mix(self.seed, mod.k, n, 1))

    def _lookup(self, module: str, h: int) -> dict[str, str]:
        m = h % self.records + 1
        return {"name": self.name_of(module, m), "id": self.modules[module].record_id(m)}

    def _line_items(self, n: int, h: int) -> list[dict[str, Any]]:
        products = self.modules["Products"]
        m = h % self.records + 1
        return [
            {
                "id": f"{ORG_PREFIX}900{n:09d}",
                "Product_Name": {"name": self.name_of("Products", m), "id": products.record_id(m)},
                "Quantity": 1 + h % 5,
                "List_Price": round((h % 100_000) / 100, 2),
            }
        ]
