"""Org, user, modules, fields, custom views and counts: the online pre-checks (API_NOTES §6)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runner.zoho import endpoints
from runner.zoho.client import ZohoClient, ZohoResponse
from runner.zoho.errors import ZohoError
from runner.zoho.records import as_id, as_int


@dataclass(frozen=True)
class Org:
    """The org; `zgid` is the X-CRM-ORG value for uploads (API_NOTES §6)."""

    id: str
    zgid: str
    company_name: str = ""
    time_zone: str = ""
    currency: str = ""


@dataclass(frozen=True)
class User:
    """The user the token belongs to."""

    id: str
    email: str
    full_name: str
    profile: str = ""


@dataclass(frozen=True)
class Field:
    """One field's metadata, enough for the mass-update field rules."""

    api_name: str
    data_type: str
    json_type: str = ""
    read_only: bool = False
    system_mandatory: bool = False
    custom_field: bool = False
    picklist_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Module:
    """One module as listed by settings/modules."""

    api_name: str
    module_name: str = ""
    api_supported: bool = True
    generated_type: str = ""


@dataclass(frozen=True)
class CustomView:
    """One custom view (cvid) of a module."""

    id: str
    name: str
    display_value: str = ""


def _list(resp: ZohoResponse, key: str) -> list[Mapping[str, Any]]:
    items = resp.body.get(key) if isinstance(resp.body, Mapping) else None  # 204: None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _name(value: Any) -> str:
    return str(value.get("name") or "") if isinstance(value, Mapping) else str(value or "")


async def get_org(client: ZohoClient) -> Org:
    """`GET /crm/v8/org` → org[0] (wire 00)."""
    orgs = _list(await client.get(endpoints.org()), "org")
    if not orgs:
        raise ZohoError("INVALID_RESPONSE", "GET /org answered no org")
    o = orgs[0]
    return Org(
        id=as_id(o.get("id")),
        zgid=as_id(o.get("zgid")),
        company_name=str(o.get("company_name") or ""),
        time_zone=str(o.get("time_zone") or ""),
        currency=str(o.get("currency") or ""),
    )


async def current_user(client: ZohoClient) -> User:
    """`GET /crm/v8/users?type=CurrentUser` → users[0] (wire 00)."""
    resp = await client.get(endpoints.users(), params={"type": "CurrentUser"})
    users = _list(resp, "users")
    if not users:
        raise ZohoError("INVALID_RESPONSE", "GET /users?type=CurrentUser answered no user")
    u = users[0]
    return User(
        id=as_id(u.get("id")),
        email=str(u.get("email") or ""),
        full_name=str(u.get("full_name") or ""),
        profile=_name(u.get("profile")),
    )


async def list_fields(client: ZohoClient, module: str) -> tuple[Field, ...]:
    """`GET /crm/v8/settings/fields?module=M` (wire 01)."""
    resp = await client.get(endpoints.fields(), params={"module": module})
    return tuple(
        Field(
            api_name=str(f.get("api_name") or ""),
            data_type=str(f.get("data_type") or ""),
            json_type=str(f.get("json_type") or ""),
            read_only=bool(f.get("read_only")),
            system_mandatory=bool(f.get("system_mandatory")),
            custom_field=bool(f.get("custom_field")),
            picklist_values=tuple(
                str(p.get("actual_value"))
                for p in f.get("pick_list_values") or ()
                if isinstance(p, Mapping) and p.get("actual_value") is not None
            ),
        )
        for f in _list(resp, "fields")
    )


async def list_modules(client: ZohoClient) -> tuple[Module, ...]:
    """`GET /crm/v8/settings/modules` (API_NOTES §9.2)."""
    return tuple(
        Module(
            api_name=str(m.get("api_name") or ""),
            module_name=str(m.get("module_name") or ""),
            api_supported=m.get("api_supported") is not False,
            generated_type=str(m.get("generated_type") or ""),
        )
        for m in _list(await client.get(endpoints.modules()), "modules")
    )


async def list_custom_views(client: ZohoClient, module: str) -> tuple[CustomView, ...]:
    """`GET /crm/v8/settings/custom_views?module=M` (API_NOTES §6)."""
    resp = await client.get(endpoints.custom_views(), params={"module": module})
    return tuple(
        CustomView(
            id=as_id(v.get("id")),
            name=str(v.get("name") or ""),
            display_value=str(v.get("display_value") or ""),
        )
        for v in _list(resp, "custom_views")
    )


async def record_count(client: ZohoClient, module: str, cvid: str) -> int:
    """`GET /crm/v8/{M}/actions/count?cvid=` → `{"count": N}` (API_NOTES §6, body [U])."""
    resp = await client.get(endpoints.record_count(module), params={"cvid": str(cvid)})
    body = resp.body if isinstance(resp.body, Mapping) else {}
    if "count" not in body:
        raise ZohoError("INVALID_RESPONSE", f"record count for {module} has no count")
    return as_int(body["count"])
