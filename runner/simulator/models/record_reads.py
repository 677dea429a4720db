"""Reading records back (API_NOTES §13): pages by `page` or `page_token`, and the recycle bin.

Pure state and rules, no HTTP; every refusal is a raised SimError. Page tokens live in
`org.page_tokens` next to bulk read's, tagged `kind: "records"` so neither takes the
other's. A token remembers where the next page starts, the user it was made for, what
it is bound to (every other parameter) and when it expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.models.org import SimOrg
from runner.simulator.models.record_order import ordered
from runner.simulator.models.schema import ModuleDef
from runner.simulator.models.values import iso
from runner.simulator.models.views import territory_closure
from runner.zoho.limits import PAGE_TOKEN_REACH, TERRITORY_MODULES

TOKEN_LIFETIME = 24 * 3600.0  # API_NOTES §13: a page_token is valid for 24 h
DAY = 86_400.0
RECYCLE_DAYS = 60  # API_NOTES §13 (RB): the recycle bin keeps a record 60 days
# API_NOTES §13 (GD7): permanently deleted records are listed for 120 days; counted here
# from the deletion itself, which the sources leave open [U].
LISTED_DAYS = 120
DELETED_TYPES = ("all", "recycle", "permanent")  # API_NOTES §13: `type`


@dataclass(frozen=True)
class ReadQuery:
    """One listing's parameters except where it starts: what a page_token is bound to."""

    module: str
    fields: tuple[str, ...]
    cvid: str | None
    sort_by: str
    sort_order: str
    per_page: int
    territory: tuple[str, bool] | None = None  # territory_id, include_child


@dataclass(frozen=True)
class Page:
    """Records `offset`… of a listing; `more` when records follow (up to the limit)."""

    rows: list[dict[str, Any]]
    more: bool
    offset: int


def check_cvid(org: SimOrg, mod: ModuleDef, cvid: str) -> None:
    """A view of this module, else INVALID_DATA naming the parameter (API_NOTES §13)."""
    view = org.views.get(cvid)
    if view is None or view.module != mod.api_name:
        raise e.SimInvalidData("the cvid given seems to be invalid", {"param_name": "cvid"})


def _members(org: SimOrg, mod: ModuleDef, query: ReadQuery) -> Iterator[int]:
    store = org.stores[mod.api_name]
    descending = query.sort_order == "desc"
    if query.cvid is None:
        found = ordered(store, query.sort_by, descending)
    else:
        members = org.views[query.cvid].members(store)  # record order, like the view's jobs
        found = reversed(list(members)) if descending else members
    if query.territory is None:
        return found
    allowed = territory_closure(org.territories, *query.territory)
    return (n for n in found if store.territory(n) in allowed)


def check_territory(org: SimOrg, mod: ModuleDef, territory_id: str) -> None:
    """Territories filter Deals, Contacts and Accounts only (INVALID_MODULE otherwise,
    API_NOTES §13); an unknown territory is INVALID_DATA naming the parameter [U]."""
    if mod.api_name not in TERRITORY_MODULES:
        raise e.SimInvalidModule(details={"param_name": "territory_id"})
    if territory_id not in org.territories:
        raise e.SimInvalidData(
            "the territory_id given seems to be invalid", {"param_name": "territory_id"}
        )


def select(org: SimOrg, mod: ModuleDef, query: ReadQuery, offset: int) -> Page:
    """The page starting at record `offset` (0-based), never past PAGE_TOKEN_REACH."""
    store = org.stores[mod.api_name]
    end = min(offset + query.per_page, PAGE_TOKEN_REACH)
    chosen = list(islice(_members(org, mod, query), offset, end + 1))
    fields = list(query.fields)
    rows = [store.record(n, fields) for n in chosen[: end - offset]]
    return Page(rows, len(chosen) > end - offset, offset)


def issue_token(org: SimOrg, user_id: str, query: ReadQuery, offset: int, now: float) -> str:
    """A page_token for the page starting at `offset`, valid for 24 h of clock time."""
    token = hashlib.sha256(f"{org.seed}:{user_id}:{query}:{offset}:{now}".encode()).hexdigest()
    org.page_tokens[token] = {
        "kind": "records",
        "user_id": user_id,
        "query": query,
        "offset": offset,
        "expires_at": now + TOKEN_LIFETIME,
    }
    return token


def token_expiry(org: SimOrg, token: str) -> str:
    return iso(float(org.page_tokens[token]["expires_at"]))


def resume(org: SimOrg, token: str, user_id: str, query: ReadQuery, now: float) -> int:
    """Where a page_token's page starts; its refusals in API_NOTES §13's terms."""
    saved = org.page_tokens.get(token)
    if saved is None or saved.get("kind") != "records" or saved["user_id"] != user_id:
        # API_NOTES §13: a token is user-specific; another user's is INVALID_DATA.
        raise e.SimInvalidData(
            "the page_token given seems to be invalid", {"param_name": "page_token"}
        )
    if now >= saved["expires_at"]:
        raise e.SimExpiredValue(
            details={"api_name": "page_token", "json_path": "$.query.page_token"}
        )
    if saved["query"] != query:
        raise e.SimTokenBoundDataMismatch(details={"param_name": "page_token"})
    offset = int(saved["offset"])
    if offset >= PAGE_TOKEN_REACH:
        raise e.SimPaginationLimitExceeded(details={"limit": PAGE_TOKEN_REACH})
    return offset


def deleted_page(
    org: SimOrg, mod: ModuleDef, kind: str, page: int, per_page: int, now: float
) -> tuple[list[dict[str, Any]], bool]:
    """Entries of `GET /{module}/deleted`, newest deletion first (API_NOTES §13).

    A deleted record is in the recycle bin for 60 days, then permanently deleted; it is
    listed until 120 days after its deletion. Permanent entries carry no display name and
    no users, as the official sample shows.
    """
    store = org.stores[mod.api_name]
    found: list[tuple[float, int, int, str]] = []
    for seq, (n, gone) in enumerate(store.deleted.items()):
        age = now - gone.at
        if age >= LISTED_DAYS * DAY:
            continue
        state = "recycle" if age < RECYCLE_DAYS * DAY else "permanent"
        if kind in ("all", state):
            found.append((gone.at, seq, n, state))
    found.sort(reverse=True)  # newest first; at the same instant, the later deletion first
    start = (page - 1) * per_page
    rows = [
        _deleted_entry(org, mod, n, state) for _, _, n, state in found[start : start + per_page]
    ]
    return rows, len(found) > start + per_page


def _user(org: SimOrg, user_id: str) -> dict[str, str]:
    user = org.users.get(user_id)
    return {"name": user.full_name if user else user_id, "id": user_id}


def _deleted_entry(org: SimOrg, mod: ModuleDef, n: int, state: str) -> dict[str, Any]:
    store = org.stores[mod.api_name]
    gone = store.deleted[n]
    recycled = state == "recycle"
    name = store.get(n, mod.name_field) if recycled else None
    return {
        "id": mod.record_id(n),
        "display_name": None if name is None else str(name),
        "type": state,
        "deleted_time": iso(gone.at),
        "deleted_by": _user(org, gone.by) if recycled else None,
        "created_by": _user(org, store.created_by(n)) if recycled else None,
    }
