"""The promise under test, "applied exactly once, counts true", checked against the
simulator's ground truth: one Zoho job per view job, every plain record of the ids job
holding its value, and report counts equal to what the org says happened.

Each broken promise is a `Finding` with a category (the summary counts them) and one
sentence saying what was expected and what was found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.manifest.schema import validator
from tests.reliability.harness import Command
from tests.reliability.scenario import IDS_FIELD, IMPORT_MODULE, Scenario

CATEGORIES = (
    "doubled job",
    "missing job",
    "wrong count",
    "lost update",
    "stuck run",
    "crash",
    "contract",
    "harness",
    "reported unknown",
)
#: Categories that are told, not failed: the runner said plainly what it could not know.
NOTES = frozenset({"reported unknown"})
BLOCKED_STATES = frozenset({"locked", "stop_processing", "not_approved"})  # DEMO_ORG states
REPORTED_UNKNOWN = "OUTCOME_UNKNOWN"  # the runner says it cannot know
EVIDENCE_KEY = "sampled"  # counts of a job settled from the view's records (evidence.py)


@dataclass(frozen=True)
class Finding:
    """One broken promise: its category and what was expected versus found."""

    category: str
    text: str

    def __str__(self) -> str:
        return f"[{self.category}] {self.text}"


def load_report(cwd: Path, run_id: str | None) -> dict[str, Any] | None:
    """`reports/<run_id>/report.json`, or None if that run wrote none."""
    path = cwd / "reports" / str(run_id) / "report.json"
    if run_id is None or not path.exists():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def job_history(cwd: Path) -> dict[str, str]:
    """Per job, what every report in `cwd` said of it, oldest run first: which run made
    which Zoho job, and which lost one (a doubled job's story)."""
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in cwd.glob("reports/*/report.json")]
    said: dict[str, list[str]] = {}
    for report in sorted(reports, key=lambda r: str(r["run"]["started_at"])):
        for job in report["jobs"]:
            errors = ",".join(e["code"] for e in job["errors"])
            entry = f"run {report['run']['run_id']} {job['status']} {job['zoho_job_ids']}"
            said.setdefault(job["name"], []).append(f"{entry} {errors}".strip())
    return {name: "; ".join(entries) for name, entries in said.items()}


def check_commands(commands: Iterable[Command]) -> list[Finding]:
    """A bug surfacing as 'internal error' or a traceback is a crash, whatever came after;
    a command that outlived its time bound (or ignored ^C) is stuck."""
    found = []
    for command in commands:
        if "internal error" in command.stderr or "Traceback" in command.stderr:
            found.append(Finding("crash", command.describe()))
        if command.exit_code is None:
            found.append(Finding("stuck run", f"killed after its time bound: {command.describe()}"))
    return found


def check_report(report: dict[str, Any], scenario: Scenario, run_id: str) -> list[Finding]:
    """The final report is valid, names every job once, and leaves none unfinished."""
    found = []
    errors = sorted(validator("report").iter_errors(report), key=str)
    if errors:
        where = list(errors[0].absolute_path)
        text = f"report of run {run_id} breaks report.schema.json: {errors[0].message} at {where}"
        found.append(Finding("contract", text))
    names = [j["name"] for j in report["jobs"]]
    wanted = [j["name"] for j in scenario.manifest()["jobs"]]
    if sorted(names) != sorted(wanted):
        text = f"report of run {run_id} lists jobs {names}, the manifest has {wanted}"
        found.append(Finding("contract", text))
    for job in report["jobs"]:
        if job["status"] == "RUNNING":
            text = f"job {job['name']} is still RUNNING in the report of run {run_id}"
            found.append(Finding("stuck run", f"{text}, which exited {report['run']['exit_code']}"))
    return found


def _counts(job: dict[str, Any]) -> str:
    c = job.get("counts") or {}
    return "/".join(str(c.get(k, "-")) for k in ("total", "succeeded", "failed"))


def check_zoho_job(
    name: str,
    kind: str,
    module: str,
    report_job: dict[str, Any] | None,
    sim_jobs: list[dict[str, Any]],
    history: str = "",
) -> list[Finding]:
    """Exactly one Zoho job of (kind, module), and the report's counts equal its counts.
    `history` (job_history) is appended to every finding, to tell whose job is whose."""
    found = _zoho_job(name, kind, module, report_job, sim_jobs)
    story = f" Reports said: {history}." if history else ""
    return [Finding(f.category, f.text + story) for f in found]


def _zoho_job(
    name: str,
    kind: str,
    module: str,
    report_job: dict[str, Any] | None,
    sim_jobs: list[dict[str, Any]],
) -> list[Finding]:
    mine = [j for j in sim_jobs if (j["kind"], j["module"]) == (kind, module)]
    said = report_job or {}
    errors = [e["code"] for e in said.get("errors", [])]
    job = f"job {name} ({kind} {module})"
    if len(mine) > 1:
        made = ", ".join(f"{j['id']} ({j['state']}, created {j['created_at']})" for j in mine)
        text = (
            f"{job} made {len(mine)} Zoho jobs: {made}; the report names {said.get('zoho_job_ids')}"
        )
        return [Finding("doubled job", text)]
    if not mine:
        if said.get("status") in ("FAILED", "SKIPPED") and errors:
            return []  # said so explicitly: never created, and why
        text = f"{job} made no Zoho job, yet the report says {said.get('status')} {_counts(said)}"
        return [Finding("missing job", f"{text} errors {errors}")]
    (zoho,) = mine
    if REPORTED_UNKNOWN in errors:  # an answer was lost and the runner says so: honest
        text = f"{job}: the report says {said.get('status')} {REPORTED_UNKNOWN}; the org made"
        return [Finding("reported unknown", f"{text} {zoho['id']} {zoho['counts']}")]
    found = []
    counts = said.get("counts") or {}
    # Settled from evidence after a lost schedule answer: the Zoho job id was in that
    # answer, so the report cannot name it; it counts from the records (when it read the
    # whole view) or says the counts are unknown, with the view's size.
    settled = EVIDENCE_KEY in counts
    if settled and "succeeded" not in counts:
        if counts.get("total") in (None, zoho["counts"]["total"]):  # claims no total, or the job's
            text = f"{job}: settled from evidence, counts unknown; the org made"
            return [Finding("reported unknown", f"{text} {zoho['id']} {zoho['counts']}")]
        text = f"{job}: settled from evidence with total {counts.get('total')}, the org made"
        return [Finding("wrong count", f"{text} {zoho['id']} {zoho['counts']}")]
    if not settled and said.get("zoho_job_ids") != [zoho["id"]]:
        text = f"{job}: the report names Zoho jobs {said.get('zoho_job_ids')}, the org made"
        found.append(Finding("wrong count", f"{text} {zoho['id']}"))
    theirs = {k: counts.get(k) for k in ("total", "succeeded", "failed")}
    want = {k: zoho["counts"][k] for k in ("total", "succeeded", "failed")}
    if theirs != want or zoho["state"] not in ("COMPLETED", "FAILED"):
        text = f"{job}: report says {said.get('status')} {theirs}, Zoho job {zoho['id']} is"
        found.append(Finding("wrong count", f"{text} {zoho['state']} {want}"))
    return found


def check_ids_job(
    scenario: Scenario, report_job: dict[str, Any] | None, truth: list[dict[str, Any]]
) -> list[Finding]:
    """Every plain record holds the value; succeeded/failed equal holding/not holding,
    which equal what a clean run reports (failed: only the locked/stopped/unapproved)."""
    name, value = scenario.ids_job, scenario.ids_value
    holding = [t for t in truth if t["record"] and t["record"].get(IDS_FIELD) == value]
    plain_missed = [t["id"] for t in truth if t.get("state") is None and t not in holding]
    blocked = [t for t in truth if t.get("state") in BLOCKED_STATES]
    found = []
    if plain_missed:
        text = f"job {name}: {len(plain_missed)} plain records do not hold {IDS_FIELD}={value!r}"
        found.append(Finding("lost update", f"{text}, e.g. {plain_missed[:3]}"))
    counts = (report_job or {}).get("counts") or {}
    total = len(scenario.ids)
    want = {"total": total, "succeeded": len(holding), "failed": total - len(holding)}
    clean = {"total": total, "succeeded": total - len(blocked), "failed": len(blocked)}
    theirs = {k: counts.get(k) for k in want}
    if theirs != want or want != clean or counts.get("not_processed", 0):
        text = f"job {name}: report says {(report_job or {}).get('status')} {counts}"
        found.append(Finding("wrong count", f"{text}, the org holds {want}, a clean run {clean}"))
    return found


def check_truth(
    scenario: Scenario,
    report: dict[str, Any],
    sim_jobs: list[dict[str, Any]],
    ids_truth: list[dict[str, Any]],
    history: dict[str, str],
) -> list[Finding]:
    """Ground truth against the final report, for every job of the manifest."""
    by_name = {j["name"]: j for j in report["jobs"]}
    found = check_ids_job(scenario, by_name.get(scenario.ids_job), ids_truth)
    jobs = [(v.name, v.kind, v.module) for v in scenario.views]
    if scenario.import_job:
        jobs.append((scenario.import_job, "bulk_write", IMPORT_MODULE))
    for name, kind, module in jobs:
        said = by_name.get(name)
        found += check_zoho_job(name, kind, module, said, sim_jobs, history.get(name, ""))
    return found
