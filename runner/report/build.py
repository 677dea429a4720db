"""report.json: a RunResult as plain JSON, valid against schemas/report.schema.json.

Times are ISO 8601 UTC strings (`2026-01-01T00:00:00.000Z`) plus `duration_s`; ids stay
strings; per-record outcomes are not inlined (they may be 50,000 rows): the job's
`files` points at its `<job>.outcomes.csv`, and `failed_records` gives the count.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from runner.results import COUNT_KEYS, JOB_STATUSES, Backup, JobResult, RunResult

FORMAT_VERSION = 1
EXIT_MEANING = {
    0: "all done",
    1: "error",
    3: "some records failed",
    4: "deadline reached, jobs still running",
    130: "interrupted",
}


def iso(ts: float | None) -> str | None:
    """Epoch seconds → `YYYY-MM-DDTHH:MM:SS.mmmZ`, or None."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def resume_command(run: RunResult) -> str | None:
    """The command that finishes a run stopped at its deadline, or None."""
    if not run.running_jobs:
        return None
    return run.resume or f"zcrm-runner resume {run.run_id}"


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy of free-form details (non-JSON values become strings)."""
    return json.loads(json.dumps(value, default=str))


def _duration(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def backup_dict(backup: Backup | None) -> dict[str, Any] | None:
    """A job's backup entry: where its CSV is and what a revert may write back."""
    if backup is None:
        return None
    return {
        "path": backup.path,
        "rows": backup.rows if backup.path else None,
        "source": backup.source or None,
        "id_column": backup.id_column,
        "columns": [{"name": c.name, "data_type": c.data_type} for c in backup.columns],
        "skipped": backup.skipped,
        "withheld": backup.withheld,
    }


def job_dict(job: JobResult) -> dict[str, Any]:
    """One job's entry in report.json."""
    return {
        "name": job.name,
        "kind": job.kind,
        "module": job.module,
        "status": job.status,
        "zoho_job_ids": list(job.zoho_job_ids),
        "counts": {k: int(v) for k, v in job.counts.items()},
        "failed_records": job.records_failed,
        "polls": job.polls,
        "calls": job.calls,
        "started_at": iso(job.started_at),
        "ended_at": iso(job.ended_at),
        "duration_s": _duration(job.duration),
        "errors": [
            {"code": e.code, "message": e.message, "details": _jsonable(dict(e.details))}
            for e in job.errors
        ],
        "files": [{"kind": f.kind, "path": f.path, "rows": f.rows} for f in job.files],
        "skipped_reason": job.skipped_reason,
        "backup": backup_dict(job.backup),
    }


def totals(run: RunResult) -> dict[str, Any]:
    """Jobs per status and records summed over every job's counts."""
    by_status = Counter(j.status for j in run.jobs)
    records: Counter[str] = Counter()
    for job in run.jobs:
        records.update({k: int(v) for k, v in job.counts.items() if k in COUNT_KEYS})
    return {
        "jobs": len(run.jobs),
        "by_status": {s: by_status.get(s, 0) for s in JOB_STATUSES},
        "records": {k: records.get(k, 0) for k in COUNT_KEYS},
    }


def report_dict(run: RunResult) -> dict[str, Any]:
    """The whole report.json document."""
    target: Mapping[str, Any] = {
        "kind": run.target.kind,
        "api_domain": run.target.api_domain,
        "org_id": run.target.org_id,
        "dc": run.target.dc,
    }
    return {
        "format_version": FORMAT_VERSION,
        "run": {
            "run_id": run.run_id,
            "started_at": iso(run.started_at),
            "ended_at": iso(run.ended_at),
            "duration_s": _duration(run.duration),
            "exit_code": run.exit_code,
            "result": EXIT_MEANING.get(run.exit_code, "error"),
            "resume": resume_command(run),
        },
        "target": dict(target),
        "manifests": [{"path": m.path, "sha256": m.sha256} for m in run.manifests],
        "totals": totals(run),
        "jobs": [job_dict(j) for j in run.jobs],
    }


def report_json(run: RunResult) -> str:
    """report.json's text: indented, keys in a stable order, trailing newline."""
    return json.dumps(report_dict(run), indent=2, ensure_ascii=False) + "\n"
