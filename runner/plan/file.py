"""Saved plans: written with the sha256 of every manifest and data file, so that
`apply --plan` can refuse a plan whose inputs moved since it was reviewed (DESIGN), and
with the runner's version and the time it was made, so that it refuses a plan made by
another version or older than --max-plan-age. That a plan is applied once is the
journal's to know (runner/execute/plan_use.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from runner import __version__
from runner.atomic import atomic_write_text
from runner.errors import StalePlanError
from runner.manifest.model import Manifest
from runner.manifest.schema import validator
from runner.plan.codec import plan_from_dict
from runner.plan.model import FORMAT_VERSION, OrgFacts, Plan
from runner.plan.render_json import render_json
from runner.refs import sha256_file

DEFAULT_MAX_PLAN_AGE = 24 * 3600.0  # apply --max-plan-age
_CLOCK_SKEW = 300.0  # seconds a plan may seem to come from the future (another machine)


def save_plan(plan: Plan, path: Path) -> None:
    """Write the plan's JSON; a half-written file never replaces a good one."""
    atomic_write_text(path, render_json(plan))


def new_plan_hint(path: Path, manifests: Sequence[str] = ()) -> str:
    """What to do about a plan that cannot be applied: make a new one and review it."""
    files = " ".join(manifests) or "MANIFEST..."
    return f"make a new plan and review it: zcrm-runner plan {files} --out {path}"


def _manifest_paths(data: dict[str, Any]) -> list[str]:
    refs = data.get("manifests")
    if not isinstance(refs, list):
        return []
    return [str(r["path"]) for r in refs if isinstance(r, dict) and isinstance(r.get("path"), str)]


def load_plan(path: Path) -> Plan:
    """Read a saved plan, refusing files that are not plans of this runner's version.

    The version is checked first, from the raw JSON: a plan made by another version may
    also fail the schema, and its version is the fact the user can act on."""
    make = "make one with: zcrm-runner plan MANIFEST... --out PLAN.json"
    if path.is_dir():
        raise StalePlanError(f"{path}: is a folder, not a saved plan; {make}")
    if not path.exists():
        raise StalePlanError(f"{path}: no such file; {make}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise StalePlanError(f"{path}: not a saved plan (not UTF-8 text); {make}") from exc
    except ValueError as exc:
        raise StalePlanError(f"{path}: not a saved plan (not JSON: {exc}); {make}") from exc
    except OSError as exc:
        raise StalePlanError(f"{path}: cannot read the plan ({exc.strerror})") from exc
    if isinstance(data, dict) and data.get("runner_version") != __version__:
        found = data.get("runner_version")
        made = f"zcrm-runner {found}" if isinstance(found, str) else "an unknown zcrm-runner"
        raise StalePlanError(
            f"{path}: the plan was made by {made}, this is zcrm-runner {__version__}, and "
            f"a plan is applied by the version that made it; "
            f"{new_plan_hint(path, _manifest_paths(data))}"
        )
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


def ensure_recent(plan: Plan, path: Path, *, max_age: float, now: datetime | None = None) -> None:
    """Refuse a plan whose age has reached `max_age` seconds (what was reviewed then may
    no longer be what the org holds), or one dated in the future (a wrong clock)."""
    try:
        created = datetime.fromisoformat(plan.created_at)
    except ValueError as exc:
        raise StalePlanError(f"{path}: created_at {plan.created_at!r} is not a time") from exc
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    age = ((now or datetime.now(timezone.utc)) - created).total_seconds()
    hint = new_plan_hint(path, [m.path for m in plan.manifests])
    if age < -_CLOCK_SKEW:
        raise StalePlanError(
            f"{path}: the plan was made at {plan.created_at}, {human_duration(-age)} in the "
            f"future: the clock that made it is wrong; {hint}"
        )
    if age >= max_age:
        raise StalePlanError(
            f"{path}: the plan is {human_duration(age)} old (made {plan.created_at}), "
            f"--max-plan-age is {human_duration(max_age)}; {hint}, or give a larger "
            "--max-plan-age"
        )


def human_duration(seconds: float) -> str:
    """`1d2h`, `3h5m`, `42s`: the two largest units, as --deadline is written."""
    left = max(0, int(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts[:2])


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
