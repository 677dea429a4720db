"""Field rules that need the org's metadata: checked by `plan --online`, read-only calls.

Offline, validate knows only the standard fields (catalog.py). Online, every field a
mass update sets is looked up in `GET /settings/fields?module=` (API_NOTES §6): it must
exist, be of a type mass update can set (seed 002 note: no email, lookup, layout,
multi-line or line-item fields), not be read only, and a picklist value must be one of
the field's values (the official SDK refuses unknown values before sending, wire README).
A problem is located at the field's own key (`values.Stage`), the manifest read again for
it by `locator_for`, or at its job when the file changed since it was validated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from runner.manifest.load import Locator, PathPart, locator_for
from runner.manifest.model import Manifest, MassUpdateJob
from runner.manifest.problems import Problem
from runner.manifest.template_env import from_env_label
from runner.zoho import metadata
from runner.zoho.client import ZohoClient
from runner.zoho.errors import ZohoError

# data_type → what the message calls it (seed 002: "You cannot mass update Email, lookup
# fields, layout fields, multi line fields, and line items").
REFUSED_TYPES = {
    "email": "an email field",
    "lookup": "a lookup field",
    "ownerlookup": "a lookup (owner) field",
    "userlookup": "a lookup (user) field",
    "multiselectlookup": "a lookup field",
    "layout": "the layout field",
    "textarea": "a multi-line field",
    "subform": "a line-item (subform) field",
    "lineitem": "a line-item field",
}
PICKLIST_TYPES = frozenset({"picklist", "multiselectpicklist"})


async def check_fields_online(client: ZohoClient, manifests: Sequence[Manifest]) -> list[Problem]:
    """Problems with the fields every mass update job sets, per the org's metadata."""
    problems: list[Problem] = []
    cache: dict[str, dict[str, metadata.Field]] = {}
    locators: dict[Path, Locator | None] = {}

    def locate(manifest: Manifest, parts: Sequence[PathPart]) -> tuple[int, int] | None:
        # The file is read again only when a problem needs a mark, once per manifest.
        if manifest.path not in locators:
            locators[manifest.path] = locator_for(manifest.path, manifest.sha256)
        found = locators[manifest.path]
        return None if found is None else found.mark(parts, key=True)

    for manifest in manifests:
        for job in manifest.jobs:
            if not isinstance(job, MassUpdateJob):
                continue
            if job.module not in cache:
                try:
                    fields = await metadata.list_fields(client, job.module)
                except ZohoError:
                    cache[job.module] = {}
                    continue
                cache[job.module] = {f.api_name: f for f in fields}
            known = cache[job.module]
            if known:
                problems.extend(_job_problems(manifest, job, known, locate))
    return problems


Locate = Callable[[Manifest, Sequence[PathPart]], tuple[int, int] | None]


def _job_problems(
    manifest: Manifest, job: MassUpdateJob, known: dict[str, metadata.Field], locate: Locate
) -> list[Problem]:
    out: list[Problem] = []
    loc = job.location
    job_line, job_col = (loc.line, loc.col) if loc else (1, 1)

    def problem(name: str, message: str, rule: str, fix: str) -> None:
        # At the field's own key (`values.Stage`); the job's line if the file changed since.
        line, col = locate(manifest, ["jobs", job.index, "values", name]) or (job_line, job_col)
        path = f"jobs[{job.index}].values.{name}"
        out.append(Problem(str(manifest.path), line, col, path, message, rule, fix))

    for name, value in job.values.items():
        field = known.get(name)
        if field is None:
            problem(name, f"{job.module} has no field {name!r} in this org", "field-exists-online",
                    "use a field API name from Setup > Developer Space > APIs")  # fmt: skip
            continue
        refused = REFUSED_TYPES.get(field.data_type)
        if refused is not None or field.read_only:
            why = refused or "a read-only field"
            message = f"{name} is {why}, which mass update cannot set (seed 002)"
            fix = "use a bulk_write update job for this field"
            problem(name, message, "field-not-mass-updatable", fix)
            continue
        if field.data_type in PICKLIST_TYPES and field.picklist_values:
            bad = [v for v in _values(value) if v not in field.picklist_values]
            if bad:
                allowed = ", ".join(field.picklist_values)
                names = job.env_names("values", name)  # never the value itself (issue 9)
                shown = f"the value {from_env_label(names)}" if names else repr(bad[0])
                problem(name, f"{shown} is not a value of picklist {name} ({allowed})",
                        "picklist-value-online", "use one of the picklist's values")  # fmt: skip
    return out


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
