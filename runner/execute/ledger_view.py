"""The apply-once ledger as `plan` shows it: which jobs apply would leave alone, and why.

`plan` reads the journal without writing to it. A job the ledger has APPLIED on the org
sends nothing (and says which run applied it, and what `--retry-failed` would resend);
an UNKNOWN one will be refused by apply until `--replace`.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.execute.journal_read import JournalReader
from runner.execute.journal_schema import Ledger
from runner.execute.ledger import counts_text, unknown_hint
from runner.execute.retry_failed import failed_codes
from runner.manifest.model import AnyJob


def plan_ledger(
    reader: JournalReader,
    jobs: Mapping[str, tuple[AnyJob, str]],
    *,
    org_id: str | None = None,
    api_domain: str | None = None,
) -> dict[str, tuple[Ledger, str]]:
    """Job name → (ledger entry, a line for the plan), for the jobs (with their content
    fingerprints) the ledger knows.

    The org is the online plan's `org_id`, else the runs against `api_domain` (the
    environment's target), else any run against a real org or `sim serve`.
    """
    out: dict[str, tuple[Ledger, str]] = {}
    for name, (job, fingerprint) in jobs.items():
        entries = [
            (row, run)
            for row, run in reader.ledger_entries(fingerprint)
            if run.target.get("kind") != "sim"
            and (org_id is None or run.org_id == org_id)
            and (org_id is not None or not api_domain or run.target.get("api_domain") == api_domain)
        ]
        if not entries:
            continue
        row, run = entries[0]
        if row.ledger == "UNKNOWN":
            out[name] = ("UNKNOWN", unknown_hint(name, row))
            continue
        where = run.org_id or run.target.get("api_domain")
        line = (
            f"unchanged: applied in run {row.run_id} on org {where} ({row.status}, "
            f"{counts_text(row.counts)}); apply sends nothing for it (--replace {name} to "
            "run it again"
        )
        codes = failed_codes(job, [r for r, _ in entries], reader)
        if codes:
            line += f"; --retry-failed {name} would resend {codes}"
        out[name] = ("APPLIED", line + ")")
    return out
