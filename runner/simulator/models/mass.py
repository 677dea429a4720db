"""Mass update and mass delete: ids mode answers per record at once, cvid mode makes a job.

Rules: seed 002 (mass update), seed 000/001 (status), API_NOTES §2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.jobs import SimJob
from runner.simulator.models.org import SimOrg
from runner.simulator.models.schema import ModuleDef, SimField
from runner.simulator.models.store import RecordStore
from runner.simulator.models.values import iso
from runner.simulator.models.views import SimUser
from runner.zoho.limits import MASS_MAX_RECORDS

INVALID_ID = "the id given seems to be invalid"  # seed 002 sample response
_PER_RECORD_TYPES = frozenset({"multiselectpicklist", "ownerlookup"})


@dataclass(slots=True)
class Outcome:
    """One id's result in an ids-mode call: `error` None means it was done."""

    id: str
    error: e.SimError | None = None
    n: int | None = None


def check_values(org: SimOrg, mod: ModuleDef, data: Any) -> dict[str, Any]:
    """The request-level checks of seed 002's INVALID_DATA list, in its order."""
    values = data[0] if isinstance(data, list) and data else None
    if not isinstance(values, dict) or not values:
        raise e.SimInvalidData("No field found", {"api_name": "data"})
    limit = 3 if mod.api_name == "Deals" else 1  # seed 002 note: three in Deals, else one
    if len(values) > limit:
        raise e.SimInvalidData("Max field limit exceeded", {"max_limit": limit})
    for name, value in values.items():
        f = mod.field(name)
        if f is None or not f.mass_updatable:
            raise e.SimInvalidData(
                "This field cannot be updated in the Mass Update", {"api_name": name}
            )
        _check_value(org, f, value)
    return values


def _check_value(org: SimOrg, f: SimField, value: Any) -> None:
    if value is None and not f.mandatory:
        return
    if _valid(org, f, value):
        return
    raise e.SimInvalidData(
        "invalid data", {"api_name": f.api_name, "expected_data_type": f.data_type}
    )


def _valid(org: SimOrg, f: SimField, value: Any) -> bool:
    t = f.data_type
    if t == "picklist":
        return value in f.picklist
    if t == "multiselectpicklist":
        items = value if isinstance(value, list) else [value]
        return bool(items) and all(v in f.picklist for v in items)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "currency":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "boolean":
        return isinstance(value, bool)
    if t in ("date", "datetime"):
        try:
            parse = dt.date.fromisoformat if t == "date" else dt.datetime.fromisoformat
            parse(str(value))
        except ValueError:
            return False
        return True
    if t == "ownerlookup":
        uid = value.get("id") if isinstance(value, dict) else value
        return str(uid) in org.users
    return isinstance(value, str)


def record_error(
    store: RecordStore, n: int, rid: str, fields: set[str], delete: bool = False
) -> e.SimError | None:
    """The state-based refusal for one record (DEMO_ORG "Record states"), if any."""
    state = store.state(n)
    if state is None:  # most records: nothing to refuse
        return None
    details = {"id": rid}
    if state == "locked":
        return e.SimRecordLocked(details=details)
    if state == "not_approved":
        return e.SimNotApproved(details=details)
    if delete:
        return None
    if state == "blueprint" and store.mod.blueprint_field in fields:
        return e.SimRecordInBlueprint(details=details)
    if state == "stop_processing":
        return e.SimCannotProcess(details=details)
    return None


def _apply(
    org: SimOrg, store: RecordStore, n: int, values: dict[str, Any], over_write: bool, at: float
) -> None:
    store.update(n, _change(org, store, n, values, over_write), at)


def _change(
    org: SimOrg, store: RecordStore, n: int, values: dict[str, Any], over_write: bool
) -> dict[str, Any]:
    """The field values record `n` gets (a multi-select adds to its current values)."""
    change: dict[str, Any] = {}
    for name, value in values.items():
        f = store.mod.by_name[name]
        if f.data_type == "multiselectpicklist":
            new = value if isinstance(value, list) else [value]
            if not over_write:  # seed 002: over_write false adds to the current values
                old = list(store.get(n, name) or [])
                new = old + [v for v in new if v not in old]
            value = new
        elif f.data_type == "ownerlookup":
            uid = str(value.get("id") if isinstance(value, dict) else value)
            u = org.user(uid)
            value = {"name": u.full_name, "id": u.id, "email": u.email}
        change[name] = value
    return change


def update_by_ids(
    org: SimOrg,
    mod: ModuleDef,
    values: dict[str, Any],
    ids: list[str],
    over_write: bool,
    now: float,
) -> list[Outcome]:
    store = org.stores[mod.api_name]
    fields = set(values)
    # The same change for every record unless a value is a list or an object (a
    # multi-select adds to the record's own values; no record may share another's
    # object): computed once, not 500 times.
    same = all(mod.by_name[k].data_type not in _PER_RECORD_TYPES for k in values)
    change = _change(org, store, 0, values, over_write) if same else None
    out: list[Outcome] = []
    append = out.append
    done: list[int] = []  # records to get `change`, written in one pass after the checks
    exists, state = store.exists, store.state
    stamp = iso(now)
    for rid, n in zip(ids, mod.record_numbers(ids), strict=True):
        if n is None or not exists(n):
            append(Outcome(rid, e.SimInvalidData(INVALID_ID, {"id": rid})))
            continue
        err = None if state(n) is None else record_error(store, n, rid, fields)
        if err is None:
            if change is None:  # this record's own change, made now (a repeated id adds)
                store.update(n, _change(org, store, n, values, over_write), now, stamp)
            else:
                done.append(n)
        append(Outcome(rid, err, n))
    if change is not None:
        store.update_many(done, change, stamp)
    return out


def delete_by_ids(
    org: SimOrg, mod: ModuleDef, user: SimUser, ids: list[str], now: float
) -> list[Outcome]:
    """Delete at once; each record remembers when and by whom (API_NOTES §13 deleted)."""
    store = org.stores[mod.api_name]
    out = []
    for rid in ids:
        n = mod.record_n(rid)
        if n is None or not store.exists(n):
            out.append(Outcome(rid, e.SimInvalidData(INVALID_ID, {"id": rid})))
            continue
        err = record_error(store, n, rid, set(), delete=True)
        if err is None:
            store.delete(n, now, user.id)
        out.append(Outcome(rid, err, n))
    return out


@dataclass
class SimMassUpdateJob(SimJob):
    targets: list[int] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    over_write: bool = False
    cvid: str = ""
    org: SimOrg | None = field(default=None, repr=False, compare=False)

    def step(self, index: int, at: float) -> bool:
        assert self.org is not None
        store = self.org.stores[self.module]
        n = self.targets[index]
        rid = store.mod.record_id(n)
        if not store.exists(n) or record_error(store, n, rid, set(self.values)) is not None:
            return False
        _apply(self.org, store, n, self.values, self.over_write, at)
        return True


@dataclass
class SimMassDeleteJob(SimJob):
    targets: list[int] = field(default_factory=list)
    cvid: str = ""
    org: SimOrg | None = field(default=None, repr=False, compare=False)

    def step(self, index: int, at: float) -> bool:
        assert self.org is not None
        store = self.org.stores[self.module]
        n = self.targets[index]
        rid = store.mod.record_id(n)
        if not store.exists(n) or record_error(store, n, rid, set(), delete=True) is not None:
            return False
        store.delete(n, at, self.user_id)  # deleted when the job reached it
        return True


def _targets(
    org: SimOrg, mod: ModuleDef, cvid: str, territory: Any, invalid_cvid: str
) -> list[int]:
    view = org.view(mod, cvid, invalid_cvid)
    tid: str | None = None
    children = False
    if territory is not None:
        tid = str(territory.get("id")) if isinstance(territory, dict) else None
        if tid is None or tid not in org.territories:
            raise e.SimInvalidData(
                INVALID_ID, {"api_name": "territory", "json_path": "$.territory.id", "id": tid}
            )
        children = bool(territory.get("include_child", False))
    found = org.targets(mod, view, tid, children, MASS_MAX_RECORDS)
    if not found:
        raise e.SimNoRecordsFound()  # seed 002 / API_NOTES §2.2: "no record found to update"
    if len(found) > MASS_MAX_RECORDS:
        raise e.SimLimitExceeded(details={"max_limit": MASS_MAX_RECORDS})
    return found


def schedule_update(
    org: SimOrg, mod: ModuleDef, user: SimUser, values: dict[str, Any], over_write: bool,
    cvid: str, territory: Any, now: float,
) -> SimJob:  # fmt: skip
    org.view(mod, cvid, INVALID_ID)
    if any(j.extra.get("cvid") == cvid for j in org.running("mass_update")):
        # seed 002: ALREADY_SCHEDULED is HTTP 202 for mass update, per custom view.
        raise e.SimAlreadyScheduled(details={"api_name": "cvid"})
    targets = _targets(org, mod, cvid, territory, INVALID_ID)
    job = SimMassUpdateJob(
        id=org.new_id(), kind="mass_update", module=mod.api_name, created_at=now,
        total=len(targets), rate=org.timing.mass_rate, dwell=org.timing.dwell,
        user_id=user.id, targets=targets, values=values, over_write=over_write, cvid=cvid,
        org=org, extra={"cvid": cvid},
    )  # fmt: skip
    return org.add_job(job)


def schedule_delete(
    org: SimOrg, mod: ModuleDef, user: SimUser, cvid: str, territory: Any, now: float
) -> SimJob:
    message = "the cvid given seems to be invalid"  # API_NOTES §2.2
    org.view(mod, cvid, message)
    if org.running("mass_delete"):
        # API_NOTES §2.2/§8: only one mass delete job at a time, HTTP 400.
        raise e.SimAlreadyScheduled(
            "a mass delete job is already running", {"api_name": "cvid"}, http_status=400
        )
    targets = _targets(org, mod, cvid, territory, message)
    job = SimMassDeleteJob(
        id=org.new_id(), kind="mass_delete", module=mod.api_name, created_at=now,
        total=len(targets), rate=org.timing.mass_rate, dwell=org.timing.dwell,
        user_id=user.id, targets=targets, cvid=cvid, org=org, extra={"cvid": cvid},
    )  # fmt: skip
    return org.add_job(job)


def status(org: SimOrg, mod: ModuleDef, kind: str, job_id: str) -> SimJob:
    job = org.jobs.get(job_id)
    if job is None or job.kind != kind or job.module != mod.api_name:
        raise e.SimNotFound(details={"api_name": "job_id"})  # seed 000: NOT_FOUND 404
    return job
