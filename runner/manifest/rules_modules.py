"""Module support per job kind, fields mass update refuses, and the two warnings."""

from __future__ import annotations

from typing import Any

from runner.manifest import catalog
from runner.manifest.load import PathPart
from runner.manifest.rules import Reporter, closest, jobs_of, text
from runner.zoho.limits import AUTOMATION_MAX_RECORDS


def check_modules(data: dict[str, Any], r: Reporter) -> None:
    """Each job's module is supported by its kind's API; mass update fields can be set."""
    for i, job in jobs_of(data):
        kind, module = text(job.get("kind")), text(job.get("module"))
        if kind not in catalog.MODULES_BY_KIND or kind is None or module is None:
            continue
        _check_module(i, kind, module, job.get("custom_module") is True, r)
        if kind == "mass_update":
            _check_values(i, job, module, r)
            _warn_mass_update(i, job, module, r)


def _check_module(i: int, kind: str, module: str, custom: bool, r: Reporter) -> None:
    parts: list[PathPart] = ["jobs", i, "module"]
    if module in catalog.UNSUPPORTED_MODULES:
        msg = f"{module}: {catalog.UNSUPPORTED_MESSAGE} (seed 000)"
        r.add(parts, msg, "module-unsupported", "change these records in the Zoho UI instead")
    elif custom:
        if module in catalog.STANDARD_MODULES:
            msg = f"{module} is a standard module, not a custom one"
            r.add(parts, msg, "custom-module", "remove custom_module: true")
    elif module in catalog.STANDARD_MODULES:
        supported = catalog.MODULES_BY_KIND[kind]
        if module not in supported:
            msg = f"{kind} does not support {module} ({catalog.SOURCES[kind]})"
            r.add(parts, msg, "module-kind", _kind_fix(kind, module, supported))
    else:
        guess = closest(module, catalog.STANDARD_MODULES)
        if guess:
            fix = f"did you mean {guess!r}? A custom module needs custom_module: true"
        else:
            fix = "use a module API name, or add custom_module: true for a custom module"
        r.add(parts, f"unknown module {module!r}", "unknown-module", fix)


def _kind_fix(kind: str, module: str, supported: frozenset[str]) -> str:
    if kind == "mass_update" and module in {"Tasks", "Calls", "Meetings", "Events"}:
        return "use module Activities (seed 002 lists Activities, not its parts)"
    if kind == "mass_delete" and module == "Activities":
        return "use Tasks, Calls or Meetings (seed 001 lists them, not Activities)"
    return f"use one of {', '.join(sorted(supported))}, or a custom module"


def _check_values(i: int, job: dict[str, Any], module: str, r: Reporter) -> None:
    values = job.get("values")
    if not isinstance(values, dict):
        return
    scope = "" if job.get("custom_module") is True else module  # custom: every-module rows
    for field in values:
        why = catalog.not_mass_updatable(scope, str(field))
        if why is None:
            continue
        msg = f"{field} is {why}, which mass update cannot set (seed 002)"
        fix = "use a bulk_write update job for this field"
        r.add(["jobs", i, "values", field], msg, "field-not-mass-updatable", fix, key=True)


def _warn_mass_update(i: int, job: dict[str, Any], module: str, r: Reporter) -> None:
    if "cvid" in job:
        # seed 002 / API_NOTES §2.3: scheduler jobs over 1,000 records fire no automation.
        # Offline the count is unknown; `plan --online` counts the view and keeps this
        # warning only above the limit (runner/plan/build.py settles it).
        msg = (
            f"whether workflows, approvals and blueprints run depends on the view's count: "
            f"a cvid job over {AUTOMATION_MAX_RECORDS:,} records runs none"
        )
        fix = "plan --online counts the view; use ids when automation must run"
        r.warn(["jobs", i, "cvid"], msg, "cvid-skips-automation", fix)
    values = job.get("values")
    if job.get("over_write") is True and isinstance(values, dict) and values:
        known = catalog.MULTI_SELECT_FIELDS.get(module, frozenset())
        if not any(f in known or isinstance(v, list) for f, v in values.items()):
            names = ", ".join(str(f) for f in values)
            which = f"{names} is not one" if len(values) == 1 else f"none of {names} is one"
            msg = f"over_write only affects multi-select picklists, and {which}"
            fix = "remove over_write, unless that field is a multi-select picklist"
            r.warn(["jobs", i, "over_write"], msg, "over-write-no-multi-select", fix)
