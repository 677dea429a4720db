"""OAuth scopes per job kind, from the seeds and API_NOTES §7.4 (credits: zoho/limits.py)."""

from __future__ import annotations

from runner.manifest.model import AnyJob, BulkWriteJob, MassDeleteJob, MassUpdateJob


def scope_module(module: str, *, custom: bool = False) -> str:
    """The module part of a scope: the seeds' lower-case plural names.

    Seeds 000-002 list `pricebooks, salesorders, purchaseorders, …, and custom`: the API
    name lower-cased without underscores, and one name `custom` for every custom module.
    """
    if custom:
        return "custom"
    return module.replace("_", "").replace(" ", "").lower()


def job_scopes(job: AnyJob, *, polls: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(scopes the job's calls need, scopes probably needed too) for one job.

    Status scopes are listed only when the job polls (cvid jobs): ids calls answer at once.
    """
    m = scope_module(job.module, custom=job.custom_module)
    if isinstance(job, MassUpdateJob):
        # seed 002 (UPDATE); seed 000 (status READ)
        scopes = [f"ZohoCRM.mass_update.{m}.UPDATE"]
        if polls:
            scopes.append(f"ZohoCRM.mass_update.{m}.READ")
        return tuple(scopes), ()
    if isinstance(job, MassDeleteJob):
        # API_NOTES §2.1 (DELETE); seed 001 (status READ)
        scopes = [f"ZohoCRM.mass_delete.{m}.DELETE"]
        if polls:
            scopes.append(f"ZohoCRM.mass_delete.{m}.READ")
        return tuple(scopes), ()
    if isinstance(job, BulkWriteJob):
        # seed 003 (bulk.CREATE); API_NOTES §4.1 (upload), §6 (org zgid for X-CRM-ORG)
        certain = ("ZohoCRM.bulk.CREATE", "ZohoFiles.files.ALL", "ZohoCRM.org.READ")
        # API_NOTES §7.4 [U]: module write scopes are probably needed too
        ops = {"insert": ("CREATE",), "update": ("UPDATE",), "upsert": ("CREATE", "UPDATE")}
        probable = tuple(f"ZohoCRM.modules.{m}.{op}" for op in ops[job.operation])
        return certain, probable
    # bulk read: seed 004 and API_NOTES §3.1 need both
    return ("ZohoCRM.bulk.read", f"ZohoCRM.modules.{m}.READ"), ()
