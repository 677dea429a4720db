"""Online facts for a plan: the org id and the size of every custom view a job targets.

Read-only calls only (GET /org, GET /{module}/actions/count?cvid=), so `plan --online`
still writes nothing. A count that cannot be had stays unknown rather than failing the plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from runner.manifest.model import Manifest
from runner.plan.model import OrgFacts
from runner.zoho import metadata
from runner.zoho.client import ZohoClient
from runner.zoho.errors import ZohoError


async def gather_facts(client: ZohoClient, manifests: Sequence[Manifest]) -> OrgFacts:
    """The org id and (module, cvid) → record count for every cvid job."""
    org = await metadata.get_org(client)
    counts: dict[tuple[str, str], int] = {}
    for manifest in manifests:
        for job in manifest.jobs:
            cvid = getattr(job, "cvid", None)
            if cvid is None or (job.module, cvid) in counts:
                continue
            try:
                counts[(job.module, cvid)] = await metadata.record_count(client, job.module, cvid)
            except ZohoError:
                continue  # unknown stays unknown; the plan says so
    return OrgFacts(org_id=org.id, cvid_counts=counts)
