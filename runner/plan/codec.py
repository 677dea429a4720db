"""Plan ⇄ plain dicts in the shape of schemas/plan.schema.json (format_version 1).

Totals (calls, polls, credits, scopes) are written for readers of the JSON and recomputed,
not read back, when a plan is loaded. A plan's identity is the sha256 of its dict in
canonical JSON: a copy or a re-indented file is the same plan, a plan made again (a new
`created_at`) is another one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from typing import Any

from runner.manifest.problems import Problem
from runner.plan.model import (
    FieldDiff,
    JobPlan,
    NamedRecord,
    Plan,
    Step,
    ValueCount,
    ValueDiff,
)
from runner.refs import ManifestRef


def _job_to_dict(job: JobPlan) -> dict[str, Any]:
    # asdict walks every member of a tuple; 50,000 ids are plain strings, copied at once
    out = asdict(replace(job, ids=()))
    out["ids"] = list(job.ids)
    out["needs"] = list(job.needs)
    out["calls"] = job.calls
    out["polls"] = job.polls
    return out


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data, keys in a reading order."""
    return {
        "format_version": plan.format_version,
        "runner_version": plan.runner_version,
        "created_at": plan.created_at,
        "target": plan.target,
        "manifests": [asdict(m) for m in plan.manifests],
        "inputs": [asdict(m) for m in plan.inputs],
        "totals": {
            "jobs": len(plan.jobs),
            "calls": plan.calls,
            "polls": plan.polls,
            "credits": plan.credits,
            "credits_estimated": plan.credits_estimated,
            "destructive_jobs": sum(1 for j in plan.jobs if j.destructive),
        },
        "scopes": list(plan.scopes),
        "probable_scopes": list(plan.probable_scopes),
        "jobs": [_job_to_dict(j) for j in plan.jobs],
        "warnings": [w.to_dict() for w in plan.warnings],
    }


def _step(data: dict[str, Any]) -> Step:
    return Step(**data)


def _diff(data: dict[str, Any] | None) -> ValueDiff | None:
    if data is None:
        return None
    fields = tuple(
        FieldDiff(
            field=f["field"],
            new_value=f["new_value"],
            changes=tuple(ValueCount(**c) for c in f["changes"]),
            unchanged=f["unchanged"],
        )
        for f in data.get("fields", ())
    )
    records = tuple(NamedRecord(**r) for r in data.get("records", ()))
    return ValueDiff(**{**data, "fields": fields, "records": records})


def _job(data: dict[str, Any]) -> JobPlan:
    fields = {k: v for k, v in data.items() if k not in ("calls", "polls")}
    for key in ("needs", "scopes", "warnings", "notes", "probable_scopes", "ids"):
        fields[key] = tuple(fields.get(key, ()))
    fields["steps"] = tuple(_step(s) for s in data["steps"])
    fields["diff"] = _diff(data.get("diff"))
    return JobPlan(**fields)


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a Plan; the caller has checked the data against the schema."""
    return Plan(
        created_at=data["created_at"],
        manifests=tuple(ManifestRef(**m) for m in data["manifests"]),
        target=data["target"],
        jobs=tuple(_job(j) for j in data["jobs"]),
        warnings=tuple(Problem(**w) for w in data["warnings"]),
        inputs=tuple(ManifestRef(**m) for m in data["inputs"]),
        format_version=data["format_version"],
        runner_version=data["runner_version"],
    )


def plan_identity(plan: Plan) -> str:
    """The sha256 that names this plan in the journal once a run applies it (`Plan.identity`:
    worked out once per plan, which is immutable)."""
    return plan.identity


def canonical_sha256(plan: Plan) -> str:
    """The sha256 of the plan's canonical JSON: sorted keys, no spaces."""
    canonical = json.dumps(plan_to_dict(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
