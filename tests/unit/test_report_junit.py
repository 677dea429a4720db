"""junit.xml: a testcase per job, failures with codes, skips with reasons, always valid XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from runner.report.junit import render_junit, xml_text
from runner.results import JobError, JobResult, RecordOutcome
from tests.unit.test_report import failed_records, sample_run


def cases(xml: str) -> dict[str, ET.Element]:
    """Parse junit.xml (proving it is well-formed) and index testcases by name."""
    root = ET.fromstring(xml)
    return {c.attrib["name"]: c for c in root.iter("testcase")}


def test_one_testcase_per_job_with_totals() -> None:
    """The suite counts tests, failures and skips; every job has its testcase."""
    xml = render_junit(sample_run())
    assert xml.startswith("<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "3", "2")
    assert suite.get("timestamp") == "2026-01-01T00:00:00.000Z"
    assert list(cases(xml)) == [
        "deals-source",
        "education-accounts",
        "junk-leads",
        "export-leads",
        "import-leads",
        "old-job",
    ]


def test_failures_carry_codes_and_skips_their_reason() -> None:
    """PARTIAL and FAILED fail with their codes, RUNNING with the resume hint; skips say why."""
    got = cases(render_junit(sample_run()))
    partial = got["deals-source"].find("failure")
    assert partial is not None
    assert partial.get("type") == "PARTIAL"
    assert partial.get("message") == "2 record(s) failed (RECORD_LOCKED x1, INVALID_DATA x1)"
    assert "100 RECORD_LOCKED record 0 locked" in (partial.text or "")
    failed = got["junk-leads"].find("failure")
    assert failed is not None
    assert failed.get("message") == "ALREADY_SCHEDULED: a job already runs (job_id: 9)"
    running = got["export-leads"].find("failure")
    assert running is not None
    assert "zcrm-runner resume 20260101T000000-abcd" in (running.get("message") or "")
    assert got["education-accounts"].find("failure") is None
    assert got["education-accounts"].get("classname") == "zcrm-runner.mass_update.Accounts"
    skipped = got["old-job"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "UNCHANGED: applied in run 20251231-aaaa"


def test_control_characters_and_markup_stay_valid_xml() -> None:
    """A Zoho message with control characters and XML syntax still yields parseable XML."""
    nasty = RecordOutcome("1", "error", "INVALID_DATA", "bad\x00\x1b value </failure><x a='")
    job = JobResult(
        name="x", kind="mass_update", module="Deals", status="PARTIAL", outcomes=(nasty,)
    )
    failure = cases(render_junit(replace(sample_run(), jobs=(job,))))["x"].find("failure")
    assert failure is not None
    assert failure.text == "1 INVALID_DATA bad value </failure><x a='"
    assert xml_text("a\x07b\tc") == "ab\tc"


def test_failure_body_is_capped() -> None:
    """The failure body lists at most 50 records and says how many more there are."""
    job = JobResult(
        name="x", kind="mass_update", module="Deals", status="PARTIAL", outcomes=failed_records(75)
    )
    failure = cases(render_junit(replace(sample_run(), jobs=(job,))))["x"].find("failure")
    assert failure is not None
    body = (failure.text or "").splitlines()
    assert len(body) == 51
    assert body[-1] == "... 25 more in the outcomes CSV"


def test_failure_text_carries_zoho_details() -> None:
    """The failure message and each record line carry Zoho's details (no repeated id)."""
    refused = RecordOutcome(
        "7", "error", "INVALID_DATA", "invalid data",
        {"id": "7", "api_name": "Email", "expected_data_type": "email"},
    )  # fmt: skip
    error = JobError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "Last_Name"})
    job = JobResult(name="x", kind="mass_update", module="Leads", status="FAILED",
                    outcomes=(refused,), errors=(error,))  # fmt: skip
    failure = cases(render_junit(replace(sample_run(), jobs=(job,))))["x"].find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "MANDATORY_NOT_FOUND: required field not found (api_name: Last_Name); "
        "1 record(s) failed (INVALID_DATA x1)"
    )
    assert (
        failure.text == "7 INVALID_DATA invalid data (api_name: Email, expected_data_type: email)"
    )


def test_xml_text_drops_exactly_what_xml_1_0_forbids() -> None:
    """Over every code point: kept iff XML 1.0's Char production allows it (§2.2)."""
    allowed = re.compile("[\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    everything = "".join(map(chr, range(0x110000)))
    assert xml_text(everything) == "".join(allowed.findall(everything))
