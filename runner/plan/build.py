"""Validated manifests → a Plan: jobs ordered by `needs`, each with steps, scopes, credits."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from runner.errors import ManifestError
from runner.manifest.model import AnyJob, BulkWriteJob, Manifest, MassDeleteJob, MassUpdateJob
from runner.manifest.problems import Problem
from runner.plan.model import JobPlan, OrgFacts, Plan
from runner.plan.scopes import job_scopes
from runner.plan.steps import job_steps, mass_ids
from runner.refs import ManifestRef, sha256_file
from runner.zoho.limits import MASS_MAX_RECORDS


def _ordered(manifests: Sequence[Manifest]) -> list[tuple[Manifest, AnyJob]]:
    """Topological order by `needs`; among ready jobs, the order they were written in."""
    entries = [(m, job) for m in manifests for job in m.jobs]
    index = {job.name: i for i, (_, job) in enumerate(entries)}
    waiting = [sum(1 for n in job.needs if n in index) for _, job in entries]
    dependents: dict[str, list[int]] = {}
    for i, (_, job) in enumerate(entries):
        for need in job.needs:
            dependents.setdefault(need, []).append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    out: list[tuple[Manifest, AnyJob]] = []
    while ready:
        i = heapq.heappop(ready)
        out.append(entries[i])
        for j in dependents.get(entries[i][1].name, ()):
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(out) != len(entries):  # validate.py refuses cycles; this is a guard, not a rule
        stuck = sorted(entries[i][1].name for i, c in enumerate(waiting) if c)
        raise ValueError(f"needs form a cycle among: {', '.join(stuck)}")
    return out


def _refuse_cvid(manifest: Manifest, job: AnyJob, count: int) -> ManifestError:
    loc = job.location
    problem = Problem(
        file=loc.file if loc else str(manifest.path),
        line=loc.line if loc else 1,
        col=loc.col if loc else 1,
        path=f"jobs[{job.index}].cvid",
        message=f"the custom view holds {count:,} records, more than {MASS_MAX_RECORDS:,}",
        rule="cvid-max-50000",
        fix="narrow the view's criteria or split it into several views",
    )
    return ManifestError([problem])


def plan_job(manifest: Manifest, job: AnyJob, *, order: int, facts: OrgFacts | None) -> JobPlan:
    """Plan one job; with facts, a cvid over 50,000 records is refused (seed 002)."""
    cvid = getattr(job, "cvid", None)
    cvid_count = facts.cvid_counts.get((job.module, cvid)) if facts and cvid else None
    if cvid_count is not None and cvid_count > MASS_MAX_RECORDS and job.kind != "bulk_read":
        raise _refuse_cvid(manifest, job, cvid_count)
    read_count = facts.bulk_read_counts.get(job.name) if facts else None
    found = job_steps(job, cvid_count=cvid_count, read_count=read_count)
    polls = any(s.polls for s in found.steps)
    scopes, probable = job_scopes(job, polls=polls)
    return JobPlan(
        name=job.name,
        kind=job.kind,
        module=job.module,
        order=order,
        needs=tuple(job.needs),
        destructive=job.kind == "mass_delete",
        selector=found.selector,
        record_count=found.record_count,
        steps=found.steps,
        scopes=scopes,
        credits=sum(s.credits for s in found.steps if not s.polls),
        warnings=found.warnings,
        notes=found.notes,
        probable_scopes=probable,
        credits_estimated=found.credits_estimated,
        cvid=cvid,
        ids=mass_ids(job) if isinstance(job, (MassUpdateJob, MassDeleteJob)) else (),
        diff=facts.diffs.get(job.name) if facts else None,
    )


def _shown(path: Path) -> str:
    """Relative to the working directory when inside it, as manifests are named: a plan
    made in one checkout still matches in another (CI review, apply elsewhere)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def input_files(manifests: Sequence[Manifest]) -> list[Path]:
    """Data files the jobs read (ids files, bulk write CSVs): a saved plan pins them too."""
    seen: dict[str, Path] = {}
    for m in manifests:
        for job in m.jobs:
            path = job.file if isinstance(job, BulkWriteJob) else getattr(job, "ids_file", None)
            if path is not None:
                seen.setdefault(str(path), path)
    return list(seen.values())


AUTOMATION_RULE = "cvid-skips-automation"


def settled_warnings(
    manifests: Sequence[Manifest], warnings: Sequence[Problem], facts: OrgFacts | None
) -> tuple[Problem, ...]:
    """The manifest warnings an online plan still needs: validate's automation warning
    depends on a view's count, so where the org counted the view it goes, and the
    planner's own warning (steps.py) stays for a view over 1,000 records only."""
    if facts is None:
        return tuple(warnings)
    counted = {
        (job.location.file, f"jobs[{job.index}].cvid")
        for m in manifests
        for job in m.jobs
        if job.location is not None
        and isinstance(job, (MassUpdateJob, MassDeleteJob))
        and job.cvid is not None
        and (job.module, job.cvid) in facts.cvid_counts
    }
    return tuple(
        w for w in warnings if w.rule != AUTOMATION_RULE or (w.file, w.path) not in counted
    )


def build_plan(
    manifests: Sequence[Manifest],
    *,
    warnings: Sequence[Problem] = (),
    facts: OrgFacts | None = None,
    now: datetime | None = None,
) -> Plan:
    """Plan every job of every manifest; offline (`facts` None) cvid counts stay unknown."""
    jobs = tuple(
        plan_job(m, job, order=i, facts=facts) for i, (m, job) in enumerate(_ordered(manifests), 1)
    )
    created = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return Plan(
        created_at=created,
        manifests=tuple(ManifestRef(str(m.path), m.sha256) for m in manifests),
        target=facts.org_id if facts else None,
        jobs=jobs,
        warnings=settled_warnings(manifests, warnings, facts),
        inputs=tuple(ManifestRef(_shown(p), sha256_file(p)) for p in input_files(manifests)),
    )
