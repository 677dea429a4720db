"""Every Zoho path the runner calls, in one place (API_NOTES §1.1, §6, §13; wire/README.md).

Paths are relative to a base URL (api domain or upload domain); path segments taken from
data (module names, job ids) are percent-encoded so they can never add a segment. The
planner shows these same paths, with `JOB_ID` where Zoho's job id will go.
"""

from __future__ import annotations

from urllib.parse import quote

API_VERSION = "v8"
_CRM = f"/crm/{API_VERSION}"
_BULK = f"/crm/bulk/{API_VERSION}"  # API_NOTES §1.1: /crm/bulk/{v}, not /crm/{v}/bulk


class Placeholder(str):
    """A segment shown as written, not encoded: a plan names `{job_id}` before Zoho gives it."""


JOB_ID = Placeholder("{job_id}")


def _seg(value: str) -> str:
    if isinstance(value, Placeholder):
        return str(value)
    return quote(str(value), safe="")


def org() -> str:
    return f"{_CRM}/org"  # wire 00


def users() -> str:
    return f"{_CRM}/users"  # wire 00, ?type=CurrentUser


def fields() -> str:
    return f"{_CRM}/settings/fields"  # wire 01, ?module=


def modules() -> str:
    return f"{_CRM}/settings/modules"  # API_NOTES §9.2


def custom_views() -> str:
    return f"{_CRM}/settings/custom_views"  # API_NOTES §6, ?module=


def record_count(module: str) -> str:
    return f"{_CRM}/{_seg(module)}/actions/count"  # API_NOTES §6, ?cvid=


def records(module: str) -> str:
    return f"{_CRM}/{_seg(module)}"  # API_NOTES §13, ?fields=&ids= | page | page_token


def deleted_records(module: str) -> str:
    return f"{_CRM}/{_seg(module)}/deleted"  # API_NOTES §13, ?type=&page=&per_page=


def mass_update(module: str) -> str:
    return f"{_CRM}/{_seg(module)}/actions/mass_update"  # seed 002, seed 000 (?job_id=)


def mass_delete(module: str) -> str:
    return f"{_CRM}/{_seg(module)}/actions/mass_delete"  # API_NOTES §2.1, seed 001


def bulk_read() -> str:
    return f"{_BULK}/read"  # wire 06


def bulk_read_job(job_id: str) -> str:
    return f"{_BULK}/read/{_seg(job_id)}"  # seed 004, wire 07


def bulk_read_result(job_id: str) -> str:
    return f"{_BULK}/read/{_seg(job_id)}/result"  # wire 08: built, download_url ignored


def bulk_write() -> str:
    return f"{_BULK}/write"  # wire 10


def bulk_write_job(job_id: str) -> str:
    return f"{_BULK}/write/{_seg(job_id)}"  # seed 003, wire 11


def upload() -> str:
    return f"{_CRM}/upload"  # on the upload host (wire 09, API_NOTES §4.1)
