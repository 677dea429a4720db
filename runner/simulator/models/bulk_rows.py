"""One bulk write resource: its checked field mappings, and the import of one CSV row.

Result per row: STATUS (ADDED / UPDATED / SKIPPED), RECORD_ID, ERRORS in `CODE-column`
form, several columns comma-joined and several codes colon-joined (API_NOTES §4.5).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from runner.simulator import exceptions as e
from runner.simulator.models.org import SimOrg
from runner.simulator.models.schema import ModuleDef, SimField
from runner.simulator.models.store import RecordStore
from runner.zoho.limits import BULK_WRITE_MAX_MAPPINGS

DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d")  # API_NOTES §4.2: default MM/dd/yyyy
DATETIME_FORMATS = ("%m/%d/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S")


@dataclass
class Mapping:
    api_name: str
    index: int | None
    default: Any = None


@dataclass
class Resource:
    """A checked `resource[]` entry with its CSV rows and per-row results."""

    mod: ModuleDef
    spec: dict[str, Any]
    file_name: str
    header: list[str]
    rows: list[list[str]]
    mappings: list[Mapping]
    find_by: str | None
    ignore_empty: bool
    results: list[tuple[str, str, str]] = field(default_factory=list)
    index: dict[str, dict[str, int]] = field(default_factory=dict)
    added: int = 0
    updated: int = 0
    skipped: int = 0

    @classmethod
    def parse(cls, org: SimOrg, spec: Any, operation: str, i: int, ignore: Any) -> Resource:
        if not isinstance(spec, dict):
            raise e.SimInvalidData("invalid data", {"api_name": "resource", "index": i})
        if spec.get("type", "data") != "data":
            raise e.SimInvalidData("invalid data", {"api_name": "type"})
        name = spec.get("module", {})
        name = name.get("api_name") if isinstance(name, dict) else name
        try:
            mod = org.module(str(name))
        except e.SimError:
            raise e.SimModuleNotAvailable(
                f"Requested module '{name}' is not available.", {"api_name": "module"}
            ) from None
        up = org.files.get(str(spec.get("file_id", "")))
        if up is None:
            raise e.SimInvalidFileId(details={"api_name": "file_id"})
        wanted = spec.get("file_names") or list(up.csvs)[:1]
        file_name = str(wanted[0])
        if file_name not in up.csvs:
            raise e.SimInvalidFileId("file not found in the upload", {"api_name": "file_names"})
        header, rows = up.csvs[file_name]
        find_by = spec.get("find_by")
        if operation != "insert" and not find_by:
            raise e.SimMandatoryNotFound(
                "Required key find_by is not available", {"api_name": "find_by"}
            )
        if find_by and find_by != "id":
            f = mod.field(str(find_by))
            if f is None or not f.unique:
                raise e.SimInvalidData("invalid find_by", {"api_name": "find_by"})
        mappings = _mappings(mod, spec.get("field_mappings"), header)
        mapped = {m.api_name for m in mappings}
        if find_by and find_by not in mapped:
            raise e.SimMandatoryNotFound("the find_by field is not mapped", {"api_name": find_by})
        if operation == "insert":
            missing = [f.api_name for f in mod.fields if f.mandatory and f.api_name not in mapped]
            if missing:
                raise e.SimMandatoryFieldsNotMapped(details={"api_names": missing})
        ignore_empty = bool(spec.get("ignore_empty", ignore))
        res = cls(mod, spec, file_name, header, rows, mappings, find_by, ignore_empty)
        res.build_index(org)
        return res

    def build_index(self, org: SimOrg) -> None:
        """Value → record number for find_by and unique fields (DUPLICATE_DATA)."""
        store = org.stores[self.mod.api_name]
        names = {
            m.api_name for m in self.mappings if (f := self.mod.field(m.api_name)) and f.unique
        }
        if self.find_by and self.find_by != "id":
            names.add(self.find_by)
        for name in names:
            self.index[name] = {
                str(v).lower(): n for n in store.numbers() if (v := store.get(n, name))
            }

    def column(self, api_name: str) -> str:
        for m in self.mappings:
            if m.api_name == api_name and m.index is not None and m.index < len(self.header):
                return self.header[m.index]
        return api_name

    def result_columns(self) -> list[int]:
        """The first three mapped CSV columns (API_NOTES §4.5)."""
        return [m.index for m in self.mappings if m.index is not None][:3]


def _mappings(mod: ModuleDef, raw: Any, header: list[str]) -> list[Mapping]:
    if raw is None:  # API_NOTES §4.3: omitted = auto-map by header name
        raw = [{"api_name": h, "index": i} for i, h in enumerate(header)]
    if not isinstance(raw, list):
        raise e.SimInvalidData("invalid data", {"api_name": "field_mappings"})
    if len(raw) > BULK_WRITE_MAX_MAPPINGS:
        raise e.SimHeaderLimitExceeded(details={"max_limit": BULK_WRITE_MAX_MAPPINGS})
    out = []
    for m in raw:
        name = m.get("api_name") if isinstance(m, dict) else None
        f = mod.field(str(name)) if name else None
        if name != "id" and (f is None or f.read_only):
            raise e.SimInvalidField(f"invalid mapping. invalid api_name {name}", {"api_name": name})
        index, default = m.get("index"), m.get("default_value")
        if index is None and not isinstance(default, dict):
            raise e.SimMandatoryNotFound(
                f"required key index for field {name} is not available", {"api_name": name}
            )
        if index is not None and (
            isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(header)
        ):
            raise e.SimColumnIndexNotFound(details={"api_name": name, "index": index})
        out.append(Mapping(str(name), index, default.get("value") if default else None))
    return out


def _convert(org: SimOrg, f: SimField, raw: str) -> Any:
    """The stored value for a CSV cell; ValueError means INVALID_DATA."""
    t = f.data_type
    if t == "picklist":
        if raw not in f.picklist:
            raise ValueError(raw)
        return raw
    if t == "multiselectpicklist":
        items = [v for v in raw.split(";") if v]
        if not all(v in f.picklist for v in items):
            raise ValueError(raw)
        return items
    if t == "integer":
        return int(raw)
    if t == "currency":
        return float(raw)
    if t == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.lower() == "true"
    if t in ("date", "datetime"):
        for fmt in DATE_FORMATS if t == "date" else DATETIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(raw, fmt)
            except ValueError:
                continue
            return parsed.date().isoformat() if t == "date" else parsed.isoformat()
        raise ValueError(raw)
    if t == "email" and "@" not in raw:
        raise ValueError(raw)
    if t == "ownerlookup":
        user = org.users.get(raw)
        if user is None:
            raise ValueError(raw)
        return {"name": user.full_name, "id": user.id, "email": user.email}
    if t in ("lookup", "layout"):
        return {"id": raw}
    return raw


def _find(res: Resource, store: RecordStore, key: str) -> int | None:
    if res.find_by == "id":
        n = res.mod.record_n(key)
        return n if n is not None and store.exists(n) else None
    n = res.index.get(str(res.find_by), {}).get(key.lower())
    return n if n is not None and store.exists(n) else None


def import_row(
    org: SimOrg, res: Resource, operation: str, i: int, at: float, by: str | None = None
) -> str:
    """Import CSV row `i` at clock time `at` for user `by`; records its (STATUS, RECORD_ID,
    ERRORS) and returns STATUS. Inserts and updates stamp Modified_Time with `at`."""
    store = org.stores[res.mod.api_name]
    row = res.rows[i]
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    key = ""
    for m in res.mappings:
        raw = row[m.index] if m.index is not None and m.index < len(row) else ""
        if raw == "" and m.default is not None:
            raw = str(m.default)
        if m.api_name == res.find_by:
            key = raw
        if m.api_name == "id" or (raw == "" and res.ignore_empty):
            continue
        f = res.mod.by_name[m.api_name]
        try:
            values[m.api_name] = _convert(org, f, raw) if raw != "" else None
        except ValueError:
            errors.setdefault("INVALID_DATA", []).append(res.column(m.api_name))
    n = _find(res, store, key) if res.find_by and key else None
    status, rid = _decide(res, store, operation, n, values, errors)
    if status == "ADDED":
        n = store.insert(values, at, by)
        rid = res.mod.record_id(n)
        res.added += 1
    elif status == "UPDATED" and n is not None:
        store.update(n, values, at)
        res.updated += 1
    else:
        res.skipped += 1
    if status != "SKIPPED" and n is not None:
        for name, idx in res.index.items():
            if values.get(name):
                idx[str(values[name]).lower()] = n
    text = ":".join(f"{code}-{','.join(cols)}" for code, cols in errors.items())
    res.results.append((status, rid, text))
    return status


def _decide(
    res: Resource, store: RecordStore, operation: str, n: int | None,
    values: dict[str, Any], errors: dict[str, list[str]],
) -> tuple[str, str]:  # fmt: skip
    if errors:
        return "SKIPPED", ""
    if n is None and operation == "update":
        errors["RESOURCE_NOT_FOUND"] = [res.column(str(res.find_by))]
        return "SKIPPED", ""
    if n is not None and operation == "insert":
        errors["DUPLICATE_DATA"] = [res.column(str(res.find_by))]
        return "SKIPPED", ""
    if n is None:
        missing = [
            res.column(f.api_name)
            for f in res.mod.fields
            if f.mandatory and not values.get(f.api_name)
        ]
        if missing:
            errors["MANDATORY_NOT_FOUND"] = missing
        for name, idx in res.index.items():
            v = values.get(name)
            if v and str(v).lower() in idx and store.exists(idx[str(v).lower()]):
                errors.setdefault("DUPLICATE_DATA", []).append(res.column(name))
        return ("SKIPPED", "") if errors else ("ADDED", "")
    rid = res.mod.record_id(n)
    state = store.state(n)
    code = {"locked": "BLOCKED_RECORD", "not_approved": "NOT_APPROVED",
            "stop_processing": "CANNOT_PROCESS"}.get(state or "")  # fmt: skip
    if code:
        errors[code] = [res.column(str(res.find_by))]
        return "SKIPPED", rid
    return "UPDATED", rid
