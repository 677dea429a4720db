"""The stored form of a batch's outcomes (runs of alike outcomes, order kept, old form read)
and of a job's errors (whole, old pairs read)."""

from __future__ import annotations

import json

from runner.execute.journal_outcomes import (
    pack_errors,
    pack_outcomes,
    unpack_errors,
    unpack_outcomes,
)
from runner.outcome import RecordOutcome, count_succeeded
from runner.results import JobError


def test_alike_outcomes_pack_into_one_run_and_come_back_in_order() -> None:
    """Consecutive detail-less outcomes with one code share a run; failures keep details."""
    outcomes = [
        RecordOutcome("1", "success", "SUCCESS", "record updated", {"Modified_Time": "x"}),
        RecordOutcome("2", "success", "SUCCESS", "record updated"),
        RecordOutcome("3", "error", "RECORD_LOCKED", "locked", {"id": "3"}),
        RecordOutcome("4", "success", "SUCCESS", "record updated"),
        RecordOutcome("5", "error", "OUTCOME_UNKNOWN", "lost"),
        RecordOutcome("6", "error", "OUTCOME_UNKNOWN", "lost"),
    ]
    packed = json.loads(json.dumps(pack_outcomes(outcomes)))
    assert len(packed) == 4
    assert packed[0] == {"ids": ["1", "2"], "status": "success", "code": "SUCCESS",
                         "message": "record updated"}  # fmt: skip
    assert packed[1] == ["3", "error", "RECORD_LOCKED", "locked", {"id": "3"}]
    back = unpack_outcomes(packed)
    assert [o.record_id for o in back] == ["1", "2", "3", "4", "5", "6"]
    assert back[0] == RecordOutcome("1", "success", "SUCCESS", "record updated", {})
    assert back[2:] == outcomes[2:]


def test_a_batch_of_500_successes_is_one_run() -> None:
    """The common answer stores 500 ids once, not 500 five-item lists."""
    outcomes = [RecordOutcome(str(n), "success", "SUCCESS", "record updated") for n in range(500)]
    packed = pack_outcomes(outcomes)
    assert len(packed) == 1
    assert unpack_outcomes(packed) == outcomes


def test_older_journals_five_item_lists_are_still_read() -> None:
    """Rows written before runs existed unpack as before, ids as strings."""
    old = [[1001, "success", "SUCCESS", "ok", {}], ["1002", "error", "X", "no", {"id": "1002"}]]
    assert unpack_outcomes(old) == [
        RecordOutcome("1001", "success", "SUCCESS", "ok", {}),
        RecordOutcome("1002", "error", "X", "no", {"id": "1002"}),
    ]


def test_nothing_packs_to_nothing() -> None:
    """An empty batch is an empty list both ways."""
    assert pack_outcomes([]) == []
    assert unpack_outcomes([]) == []


def test_runs_split_where_status_code_or_message_changes() -> None:
    """Neighbours that differ in any of status, code or message never share a run."""
    outcomes = [
        RecordOutcome("1", "error", "X", "first"),
        RecordOutcome("2", "error", "X", "second"),
        RecordOutcome("3", "success", "X", "second"),
        RecordOutcome("4", "error", "Y", "second"),
        RecordOutcome("5", "error", "Y", "second", {"id": "5"}),
        RecordOutcome("6", "error", "Y", "second"),
    ]
    packed = pack_outcomes(outcomes)
    assert [len(e["ids"]) if isinstance(e, dict) else "one" for e in packed] == [
        1, 1, 1, 1, "one", 1
    ]  # fmt: skip
    assert unpack_outcomes(packed) == outcomes


def test_count_succeeded_counts_only_successes() -> None:
    """The C-level count agrees with counting by hand, empty included."""
    outcomes = [
        RecordOutcome("1", "success", "SUCCESS"),
        RecordOutcome("2", "error", "SUCCESS"),
        RecordOutcome("3", "success", "X"),
    ]
    assert count_succeeded(outcomes) == 2
    assert count_succeeded([]) == 0


def test_job_errors_pack_whole_and_come_back_typed() -> None:
    """An error's code, message and details survive JSON; v2-v3 pairs read without details."""
    errors = [JobError("ALREADY_SCHEDULED", "a job runs", {"job_id": "9"}), JobError("X", "y")]
    packed = json.loads(json.dumps(pack_errors(errors)))
    assert packed[0] == {"code": "ALREADY_SCHEDULED", "message": "a job runs",
                         "details": {"job_id": "9"}}  # fmt: skip
    assert unpack_errors(packed) == tuple(errors)
    assert unpack_errors([["NO_PERMISSION", "denied"]]) == (JobError("NO_PERMISSION", "denied"),)
    assert unpack_errors([]) == ()
