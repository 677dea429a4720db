"""How the journal stores what a job got back: per-record outcomes and job errors.

A batch's per-record outcomes are a JSON list in `results.outcomes`. An entry is either
one outcome, `[record_id, status, code, message, details]` (the only form journals
before this one wrote, so it is still read), or a run of consecutive outcomes that differ
only by id and carry no details, `{"ids": [...], "status", "code", "message"}`. A
500-record batch where every record succeeded is one run: encoded ~8x faster and ~4x
smaller than 500 five-item lists, which matters because the answer is committed while
the next requests wait.

A success's details (modified time, by whom) are not kept: no report shows them, and
they are most of a 500-record answer.

A job's request-level errors are a JSON list in `jobs.errors`: `{"code", "message",
"details"}` each (journal v4), or `[code, message]` in journals v2-v3, still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from runner.outcome import RecordOutcome
from runner.results import JobError

_KIND = itemgetter(1, 2, 3)  # status, code, message


def pack_outcomes(outcomes: Sequence[RecordOutcome]) -> list[Any]:
    """The JSON value to store for these outcomes, in their order."""
    packed: list[Any] = []
    for (status, code, message), alike in groupby(outcomes, key=_KIND):
        if status == "success":  # a success's details are never kept
            packed.append(_run([o.record_id for o in alike], status, code, message))
            continue
        run: dict[str, Any] | None = None
        for o in alike:  # failures keep their details, so only detail-less ones share a run
            if o.details:
                packed.append([o.record_id, status, code, message, dict(o.details)])
                run = None
            elif run is not None:
                run["ids"].append(o.record_id)
            else:
                run = _run([o.record_id], status, code, message)
                packed.append(run)
    return packed


def _run(ids: list[str], status: str, code: str, message: str) -> dict[str, Any]:
    return {"ids": ids, "status": status, "code": code, "message": message}


def unpack_outcomes(entries: Iterable[Any]) -> list[RecordOutcome]:
    """The outcomes a `pack_outcomes` value (or an older journal's list) stands for."""
    out: list[RecordOutcome] = []
    for entry in entries:
        if isinstance(entry, dict):
            status, code, message = entry["status"], entry["code"], entry["message"]
            out.extend(RecordOutcome(str(i), status, code, message) for i in entry["ids"])
        else:
            record_id, status, code, message, details = entry
            out.append(RecordOutcome(str(record_id), status, code, message, details))
    return out


def pack_errors(errors: Iterable[JobError]) -> list[dict[str, Any]]:
    """The JSON value to store for these errors, details included."""
    return [{"code": e.code, "message": e.message, "details": dict(e.details)} for e in errors]


def unpack_errors(value: Iterable[Any]) -> tuple[JobError, ...]:
    """The errors a `pack_errors` value (or an older journal's pairs) stands for."""
    out = []
    for entry in value:
        if isinstance(entry, Mapping):
            details = entry.get("details")
            details = dict(details) if isinstance(details, Mapping) else {}
            out.append(JobError(str(entry["code"]), str(entry["message"]), details))
        else:
            code, message = entry
            out.append(JobError(str(code), str(message)))
    return tuple(out)
