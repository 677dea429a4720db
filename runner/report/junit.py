"""junit.xml: one testsuite per run, one testcase per job, for CI dashboards.

COMPLETED passes; PARTIAL and FAILED are failures listing their codes; RUNNING is a
failure too (the job is not done; the message says how to resume); SKIPPED and UNCHANGED
are skipped with their reason. Built with ElementTree, so the XML is well-formed;
characters XML 1.0 forbids (control characters in a Zoho message) are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

from runner.report.build import iso, resume_command
from runner.results import JobResult, RunResult, record_details, with_details

MAX_RECORDS = 50
# What XML 1.0 forbids, listed as it is (controls but tab, LF and CR; lone surrogates;
# U+FFFE, U+FFFF): the same set as the complement of its Char production, compiled in a
# tenth of the time (~5 ms at every apply's start, issue 13).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text with the characters XML 1.0 cannot hold removed."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _failure_text(job: JobResult) -> tuple[str, str]:
    """(message, body) for a failed testcase: codes counted, then the first records."""
    codes = Counter(o.code for o in job.failed_outcomes)
    parts = [e.text for e in job.errors]
    if job.records_failed:
        by_code = ", ".join(f"{code} x{n}" for code, n in codes.most_common())
        parts.append(
            f"{job.records_failed} record(s) failed" + (f" ({by_code})" if by_code else "")
        )
    message = "; ".join(parts) or f"job {job.status}"
    body = [
        f"{o.record_id} {o.code} {with_details(o.message, record_details(o))}"
        for o in job.failed_outcomes[:MAX_RECORDS]
    ]
    if len(job.failed_outcomes) > MAX_RECORDS:
        body.append(f"... {len(job.failed_outcomes) - MAX_RECORDS} more in the outcomes CSV")
    return message, "\n".join(body)


def _testcase(suite: ET.Element, run: RunResult, job: JobResult) -> str | None:
    """Add the job's testcase; returns "failure", "skipped" or None (passed)."""
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_text(f"zcrm-runner.{job.kind}.{job.module}"),
        name=xml_text(job.name),
        time=f"{job.duration or 0.0:.3f}",
    )
    if job.status in ("PARTIAL", "FAILED"):
        message, body = _failure_text(job)
        node = ET.SubElement(case, "failure", message=xml_text(message), type=job.status)
        node.text = xml_text(body)
        return "failure"
    if job.status == "RUNNING":
        hint = f"still running on Zoho at the deadline; {resume_command(run)}"
        ET.SubElement(case, "failure", message=xml_text(hint), type="RUNNING")
        return "failure"
    if job.status in ("SKIPPED", "UNCHANGED"):
        reason = job.skipped_reason or job.status.lower()
        ET.SubElement(case, "skipped", message=xml_text(f"{job.status}: {reason}"))
        return "skipped"
    return None


def render_junit(run: RunResult) -> str:
    """The whole junit.xml, with an XML declaration."""
    root = ET.Element("testsuites", name="zcrm-runner")
    suite = ET.SubElement(
        root,
        "testsuite",
        name=xml_text(f"zcrm-runner run {run.run_id}"),
        timestamp=iso(run.started_at) or "",
        time=f"{run.duration or 0.0:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("run_id", run.run_id),
        ("target", run.target.kind),
        ("api_domain", run.target.api_domain),
        ("org_id", run.target.org_id or ""),
        ("exit_code", str(run.exit_code)),
    ):
        ET.SubElement(props, "property", name=key, value=xml_text(value))
    results = Counter(_testcase(suite, run, job) for job in run.jobs)
    for node in (root, suite):
        node.set("tests", str(len(run.jobs)))
        node.set("failures", str(results["failure"]))
        node.set("errors", "0")
        node.set("skipped", str(results["skipped"]))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
