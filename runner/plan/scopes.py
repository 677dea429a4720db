"""OAuth scopes per job kind, from the seeds and API_NOTES §7.4 (credits: zoho/limits.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from runner.manifest.model import AnyJob, BulkWriteJob, MassDeleteJob, MassUpdateJob


@dataclass(frozen=True)
class KindScopes:
    """The scopes of one job kind, as templates: `{m}` is the scope's module part."""

    needed: tuple[str, ...]
    when_polled: tuple[str, ...] = ()  # status reads: only jobs by cvid poll
    probable: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by operation


# One entry per job kind: tests/unit/test_contracts.py checks these keys against the others.
SCOPES_BY_KIND: Mapping[str, KindScopes] = {
    # seed 002 (UPDATE); seed 000 (status READ)
    "mass_update": KindScopes(
        ("ZohoCRM.mass_update.{m}.UPDATE",), when_polled=("ZohoCRM.mass_update.{m}.READ",)
    ),
    # API_NOTES §2.1 (DELETE); seed 001 (status READ)
    "mass_delete": KindScopes(
        ("ZohoCRM.mass_delete.{m}.DELETE",), when_polled=("ZohoCRM.mass_delete.{m}.READ",)
    ),
    # seed 004 and API_NOTES §3.1 need both
    "bulk_read": KindScopes(("ZohoCRM.bulk.read", "ZohoCRM.modules.{m}.READ")),
    # seed 003 (bulk.CREATE); API_NOTES §4.1 (upload), §6 (org zgid for X-CRM-ORG); §7.4 [U]:
    # the module's write scopes are probably needed too
    "bulk_write": KindScopes(
        ("ZohoCRM.bulk.CREATE", "ZohoFiles.files.ALL", "ZohoCRM.org.READ"),
        probable={
            "insert": ("ZohoCRM.modules.{m}.CREATE",),
            "update": ("ZohoCRM.modules.{m}.UPDATE",),
            "upsert": ("ZohoCRM.modules.{m}.CREATE", "ZohoCRM.modules.{m}.UPDATE"),
        },
    ),
}


#: A mass job's backup (issue 12, plan/backup_steps.py): the module's fields (API_NOTES
#: §7.4), then its records read by id (§13: the module's READ) or exported (§3.1).
BACKUP_READS = ("ZohoCRM.settings.fields.READ", "ZohoCRM.modules.{m}.READ")
BACKUP_EXPORT = ("ZohoCRM.bulk.read",)


def _backup(job: AnyJob) -> tuple[str, ...]:
    if not isinstance(job, (MassUpdateJob, MassDeleteJob)) or not job.backup:
        return ()
    by_id = isinstance(job, MassUpdateJob) and job.cvid is None
    return BACKUP_READS + (() if by_id else BACKUP_EXPORT)


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

    Status scopes are listed only when the job polls (cvid jobs): ids calls answer at once;
    a backup's reads need theirs.
    """
    m = scope_module(job.module, custom=job.custom_module)
    kind = SCOPES_BY_KIND[job.kind]
    needed = kind.needed + (kind.when_polled if polls else ()) + _backup(job)
    operation = job.operation if isinstance(job, BulkWriteJob) else ""
    probable = kind.probable.get(operation, ())
    return tuple(s.format(m=m) for s in needed), tuple(s.format(m=m) for s in probable)
