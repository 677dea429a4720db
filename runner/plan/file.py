"""Saved plans: written with the sha256 of every manifest and data file, so that
`apply --plan` can refuse a plan whose inputs moved since it was reviewed (DESIGN)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from runner.errors import StalePlanError
from runner.manifest.model import Manifest
from runner.manifest.schema import validator
from runner.plan.build import sha256_file
from runner.plan.codec import plan_from_dict
from runner.plan.model import FORMAT_VERSION, OrgFacts, Plan
from runner.plan.render_json import render_json


def save_plan(plan: Plan, path: Path) -> None:
    """Write the plan's JSON; a half-written file never replaces a good one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_json(plan), encoding="utf-8")
    tmp.replace(path)


def load_plan(path: Path) -> Plan:
    """Read a saved plan, refusing files that are not plans of a known format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StalePlanError(f"{path}: cannot read the plan: {exc}") from exc
    if isinstance(data, dict) and data.get("format_version") != FORMAT_VERSION:
        found = data.get("format_version")
        raise StalePlanError(
            f"{path}: plan format_version {found!r}, this runner reads {FORMAT_VERSION}; "
            "make the plan again with this version"
        )
    errors = sorted(validator("plan").iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(top)"
        raise StalePlanError(f"{path}: not a valid plan at {where}: {errors[0].message}")
    return plan_from_dict(data)


def _same(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def check_fresh(
    plan: Plan, manifests: Sequence[Manifest], *, facts: OrgFacts | None = None
) -> list[str]:
    """What moved since the plan was made; an empty list means the plan still holds.

    Compares the manifests as loaded now, the data files on disk and, when online facts
    are given, the target org and the cvid counts the plan saw.
    """
    moved: list[str] = []
    for ref in plan.manifests:
        now = next((m for m in manifests if _same(str(m.path), ref.path)), None)
        if now is None:
            gone = not Path(ref.path).exists()
            moved.append(f"{ref.path}: {'missing' if gone else 'not given to apply'}")
        elif now.sha256 != ref.sha256:
            moved.append(f"{ref.path}: changed since the plan (sha256 differs)")
    for m in manifests:
        if not any(_same(str(m.path), ref.path) for ref in plan.manifests):
            moved.append(f"{m.path}: not in the plan")
    for ref in plan.inputs:
        path = Path(ref.path)
        if not path.is_file():
            moved.append(f"{ref.path}: missing")
        elif sha256_file(path) != ref.sha256:
            moved.append(f"{ref.path}: changed since the plan (sha256 differs)")
    if facts is not None:
        if plan.target != facts.org_id:
            moved.append(f"target: plan made for {plan.target or 'no org'}, now {facts.org_id}")
        for job in plan.jobs:
            if job.selector == "cvid" and job.cvid is not None:
                count = facts.cvid_counts.get((job.module, job.cvid))
                if count != job.record_count:
                    moved.append(
                        f"{job.name}: custom view {job.cvid} held {job.record_count} records "
                        f"at plan time, now {count}"
                    )
    return moved


def ensure_fresh(
    plan: Plan, manifests: Sequence[Manifest], *, facts: OrgFacts | None = None
) -> None:
    """Raise StalePlanError naming everything that moved."""
    moved = check_fresh(plan, manifests, facts=facts)
    if moved:
        raise StalePlanError("the saved plan is stale: " + "; ".join(moved))
