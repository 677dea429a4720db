"""App-level behaviour: auth, OAuth, routing errors, metadata, records, control hooks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from runner.simulator.app import create_app
from runner.simulator.exceptions import ALL_CODES
from runner.simulator.seed import (
    SIM_CLIENT_ID,
    SIM_CLIENT_SECRET,
    SIM_READONLY_REFRESH_TOKEN,
    SIM_REFRESH_TOKEN,
    build_demo_org,
)
from tests.unit.sim_fixtures import Sim, error, open_sim

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    async with open_sim() as s:
        yield s


def grant(refresh: str = SIM_REFRESH_TOKEN) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": SIM_CLIENT_ID,
        "client_secret": SIM_CLIENT_SECRET,
        "refresh_token": refresh,
    }


async def test_oauth_refresh_form_and_query(sim: Sim) -> None:
    """The refresh grant works as a form body (SDK) and as query params (docs)."""
    r = await sim.client.post("/oauth/v2/token", data=grant())
    body = r.json()
    assert set(body) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert (body["api_domain"], body["token_type"], body["expires_in"]) == (
        "http://sim.test",
        "Bearer",
        3600,
    )
    r2 = await sim.client.post("/oauth/v2/token", params=grant())
    assert r2.json()["access_token"] != body["access_token"]
    me = await sim.client.get(
        "/crm/v8/users?type=CurrentUser",
        headers={"Authorization": f"Zoho-oauthtoken {body['access_token']}"},
    )
    assert me.json()["users"][0]["id"] == "554023000000235011"


async def test_oauth_failures(sim: Sim) -> None:
    """A bad refresh token is invalid_code; a bad client or grant type is refused too."""
    assert (await sim.client.post("/oauth/v2/token", data=grant("nope"))).json() == {
        "error": "invalid_code"
    }
    bad_client = {**grant(), "client_secret": "x"}
    assert (await sim.client.post("/oauth/v2/token", data=bad_client)).json() == {
        "error": "invalid_client"
    }
    assert (
        "error"
        in (
            await sim.client.post("/oauth/v2/token", data={**grant(), "grant_type": "password"})
        ).json()
    )


async def test_tokens_expire_after_an_hour(sim: Sim) -> None:
    """A refreshed token works until 3600 s pass on the clock, then INVALID_TOKEN."""
    token = (await sim.client.post("/oauth/v2/token", data=grant())).json()["access_token"]
    h = {"Authorization": f"Zoho-oauthtoken {token}"}
    await sim.advance(3599)
    assert (await sim.client.get("/crm/v8/org", headers=h)).status_code == 200
    await sim.advance(1)
    error(await sim.client.get("/crm/v8/org", headers=h), "INVALID_TOKEN", 401)
    assert (await sim.get("/crm/v8/org")).status_code == 200  # the fixed token never expires


async def test_minted_token_with_expires_in(sim: Sim) -> None:
    """/__sim__/tokens `expires_in`: the token works until that much clock time passes."""
    r = await sim.client.post("/__sim__/tokens", json={"expires_in": 5})
    assert r.json()["expires_at"] == sim.clock.now() + 5
    h = {"Authorization": f"Zoho-oauthtoken {r.json()['access_token']}"}
    await sim.advance(4.5)
    assert (await sim.client.get("/crm/v8/org", headers=h)).status_code == 200
    await sim.advance(0.5)
    error(await sim.client.get("/crm/v8/org", headers=h), "INVALID_TOKEN", 401)
    default = (await sim.client.post("/__sim__/tokens", json={})).json()
    assert default["expires_at"] == sim.clock.now() + 3600
    for bad in (0, -1, "5", True):
        r = await sim.client.post("/__sim__/tokens", json={"expires_in": bad})
        assert r.status_code == 400
        assert r.json() == {"error": "expires_in must be a positive number of seconds"}


async def test_readonly_refresh_token_user(sim: Sim) -> None:
    """The read-only refresh token yields the Read Only user."""
    token = (
        await sim.client.post("/oauth/v2/token", data=grant(SIM_READONLY_REFRESH_TOKEN))
    ).json()
    me = await sim.client.get(
        "/crm/v8/users?type=CurrentUser",
        headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"},
    )
    assert me.json()["users"][0]["full_name"] == "Read Only"


async def test_invalid_token(sim: Sim) -> None:
    """Missing, malformed or unknown tokens: INVALID_TOKEN 401."""
    error(await sim.client.get("/crm/v8/org"), "INVALID_TOKEN", 401)
    error(
        await sim.client.get("/crm/v8/org", headers={"Authorization": "Bearer x"}),
        "INVALID_TOKEN",
        401,
    )
    error(
        await sim.client.get("/crm/v8/org", headers={"Authorization": "Zoho-oauthtoken 1000.x"}),
        "INVALID_TOKEN",
        401,
    )


async def test_scope_mismatch(sim: Sim) -> None:
    """A token without the scope: OAUTH_SCOPE_MISMATCH 401; a module-scoped one covers it."""
    h = await sim.token_for(sim.org.admin.id, ["ZohoCRM.modules.deals.READ"])
    error(await sim.get("/crm/v8/Leads", **h), "OAUTH_SCOPE_MISMATCH", 401)
    assert (await sim.get("/crm/v8/Deals?fields=Stage", **h)).status_code == 200
    h = await sim.token_for(sim.org.admin.id, ["ZohoCRM.mass_update.leads.UPDATE"])
    r = await sim.post(
        "/crm/v8/Deals/actions/mass_update",
        {"data": [{"Type": "New Business"}], "ids": ["554023004000000001"]},
        h,
    )
    error(r, "OAUTH_SCOPE_MISMATCH", 401)


async def test_url_pattern_and_method(sim: Sim) -> None:
    """Unknown paths: 404 INVALID_URL_PATTERN; wrong method: 400 INVALID_REQUEST_METHOD."""
    error(await sim.get("/crm/v8/Leads/actions/nothing"), "INVALID_URL_PATTERN", 404)
    error(await sim.get("/crm/v9/org"), "INVALID_URL_PATTERN", 404)
    error(
        await sim.client.delete("/crm/v8/Leads/actions/mass_update", headers=sim.auth),
        "INVALID_REQUEST_METHOD",
        400,
    )
    error(await sim.get("/crm/bulk/v8/write"), "INVALID_REQUEST_METHOD", 400)


@pytest.mark.parametrize("version", ["v2", "v2.1", "v3", "v5", "v7", "v8"])
async def test_every_api_version_is_served(sim: Sim, version: str) -> None:
    """Paths accept v2 … v8, v2.1 included (API_NOTES §1.1)."""
    assert (await sim.get(f"/crm/{version}/org")).status_code == 200
    assert (await sim.get(f"/crm/{version}/Leads/actions/count")).json() == {"count": 300}


async def test_forced_internal_error_then_recovery(sim: Sim) -> None:
    """The control hook forces INTERNAL_ERROR 500 once, then answers normally."""
    await sim.client.post(
        "/__sim__/fail", json={"path_prefix": "/crm/v8/org", "code": "INTERNAL_ERROR"}
    )
    error(await sim.get("/crm/v8/org"), "INTERNAL_ERROR", 500)
    assert (await sim.get("/crm/v8/org")).status_code == 200
    await sim.client.post(
        "/__sim__/fail", json={"path_prefix": "/crm/", "code": "TOO_MANY_REQUESTS", "count": 2}
    )
    error(await sim.get("/crm/v8/org"), "TOO_MANY_REQUESTS", 429)
    error(await sim.get("/crm/v8/Leads"), "TOO_MANY_REQUESTS", 429)
    assert (await sim.get("/crm/v8/org")).status_code == 200
    assert (await sim.client.post("/__sim__/fail", json={"code": "NOPE"})).status_code == 400


async def test_metadata_routes(sim: Sim) -> None:
    """modules, fields (with types DEMO_ORG names) and custom views."""
    modules = (await sim.get("/crm/v8/settings/modules")).json()["modules"]
    assert [m["api_name"] for m in modules][:4] == ["Leads", "Accounts", "Contacts", "Deals"]
    assert modules[-1]["generated_type"] == "custom"
    fields = {
        f["api_name"]: f
        for f in (await sim.get("/crm/v8/settings/fields?module=Deals")).json()["fields"]
    }
    assert {
        k: fields[k]["data_type"] for k in ("Languages_Known", "Account_Name", "Layout", "Owner")
    } == {
        "Languages_Known": "multiselectpicklist",
        "Account_Name": "lookup",
        "Layout": "layout",
        "Owner": "ownerlookup",
    }
    quotes = (await sim.get("/crm/v8/settings/fields?module=Quotes")).json()["fields"]
    assert any(f["data_type"] == "subform" for f in quotes)
    views = (await sim.get("/crm/v8/settings/custom_views?module=Leads")).json()["custom_views"]
    assert {v["id"] for v in views} >= {"554023000000091999", "554023000000092002"}
    error(await sim.get("/crm/v8/settings/fields"), "REQUIRED_PARAM_MISSING", 400)
    error(await sim.get("/crm/v8/settings/fields?module=Nope"), "INVALID_MODULE", 400)


async def test_records_list_paging_and_ids(sim: Sim) -> None:
    """page/per_page with more_records; ids= returns those records; none → 204."""
    r = (await sim.get("/crm/v8/Leads?page=2&per_page=200&fields=Last_Name")).json()
    assert r["info"] == {
        "per_page": 200,
        "count": 100,
        "page": 2,
        "sort_by": "id",
        "sort_order": "asc",
        "more_records": False,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }
    assert r["data"][0] == {"id": "554023001000000201", "Last_Name": r["data"][0]["Last_Name"]}
    two = "554023004000000001,554023004000000250"
    r = (await sim.get(f"/crm/v8/Deals?ids={two}&fields=Stage")).json()
    assert [d["id"] for d in r["data"]] == ["554023004000000001", "554023004000000250"]
    assert (await sim.get("/crm/v8/Deals?ids=554023001000000001&fields=Stage")).status_code == 204
    assert (await sim.get("/crm/v8/Deals/554023004000000003")).json()["data"][0][
        "id"
    ] == "554023004000000003"
    error(await sim.get("/crm/v8/Deals?fields=Nope"), "INVALID_DATA", 400)
    error(await sim.get("/crm/v8/Deals?fields=Stage&per_page=201"), "INVALID_DATA", 400)


async def test_count_by_cvid(sim: Sim) -> None:
    """actions/count answers {"count": N} per DEMO_ORG's views."""
    counts = {}
    for module, cvid in [
        ("Leads", "554023000000091999"),
        ("Deals", "554023000000092001"),
        ("Contacts", "554023000000092003"),
        ("Accounts", "554023000000091515"),
    ]:
        counts[cvid] = (await sim.get(f"/crm/v8/{module}/actions/count?cvid={cvid}")).json()[
            "count"
        ]
    assert counts == {
        "554023000000091999": 30,
        "554023000000092001": 300,
        "554023000000092003": 0,
        "554023000000091515": 240,
    }
    error(await sim.get("/crm/v8/Leads/actions/count?cvid=554023000000091515"), "INVALID_DATA", 400)


async def test_control_calls_jobs_records_reset(sim: Sim) -> None:
    """The call log, the jobs list, ground truth and reset."""
    await sim.get("/crm/v8/org?x=1")
    await sim.post("/crm/v8/Leads/actions/mass_delete", {"cvid": "554023000000091999"})
    calls = (await sim.client.get("/__sim__/calls")).json()
    assert calls[0] == {
        "method": "GET",
        "path": "/crm/v8/org",
        "query": "x=1",
        "status": 200,
        "at": sim.clock.now(),
    }
    assert all(not c["path"].startswith("/__sim__") for c in calls)
    (job,) = (await sim.client.get("/__sim__/jobs")).json()
    assert (job["kind"], job["module"], job["state"]) == ("mass_delete", "Leads", "RUNNING")
    assert job["counts"]["total"] == 30
    await sim.client.post("/__sim__/clock", json={"advance": 60})
    truth = (
        await sim.client.get("/__sim__/records/Leads?ids=554023001000000010,554023001000000011,1")
    ).json()
    assert [(t["exists"], t["deleted"]) for t in truth] == [
        (False, True),
        (True, False),
        (False, False),
    ]
    assert truth[1]["territory"] == "554023000000430410"  # n % 4 == 3: EMEA
    await sim.client.post("/__sim__/reset")
    assert (await sim.client.get("/__sim__/jobs")).json() == []
    assert (await sim.client.get("/__sim__/calls")).json() == []
    assert (await sim.get("/crm/v8/Leads/actions/count")).json() == {"count": 300}


async def test_clock_hook_needs_a_manual_clock() -> None:
    """With a real clock, /__sim__/clock answers 400."""
    app = create_app(build_demo_org(records=5))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.test"
    ) as c:
        assert (await c.post("/__sim__/clock", json={"advance": 1})).status_code == 400
        r = await c.get(
            "/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {app.state.access_token}"}
        )
        assert r.status_code == 200
    assert app.state.access_token.startswith("1000.sim.")


async def test_faults_factory_wraps_the_app() -> None:
    """create_app(faults=...) calls the factory with the inner app and serves what it returns."""
    seen: list[str] = []

    def factory(inner: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            seen.append(scope.get("path", ""))
            await inner(scope, receive, send)

        return wrapped

    app = create_app(build_demo_org(records=5), faults=factory, token="1000.fixed")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.test"
    ) as c:
        r = await c.get("/crm/v8/org", headers={"Authorization": "Zoho-oauthtoken 1000.fixed"})
    assert r.status_code == 200
    assert seen == ["/crm/v8/org"]


async def test_million_records_start_lazily() -> None:
    """A 1,000,000-record org builds and serves its last record without generating the rest."""
    start = time.perf_counter()
    org = build_demo_org(records=1_000_000)
    assert time.perf_counter() - start < 30  # generous guard: real cost is milliseconds
    async with open_sim(org) as sim:
        r = await sim.get("/crm/v8/Leads?ids=554023001001000000&fields=Last_Name,Lead_Status")
        assert r.json()["data"][0]["Lead_Status"] == "Junk Lead"
        assert (await sim.get("/crm/v8/Leads/actions/count")).json() == {"count": 1_000_000}
    assert all(not s.overrides for s in org.stores.values())


def test_every_code_has_a_class() -> None:
    """Each code the issue lists is a SimError class (for the client's contract test)."""
    listed = {
        "INVALID_MODULE",
        "INVALID_DATA",
        "MANDATORY_NOT_FOUND",
        "LIMIT_EXCEEDED",
        "ALREADY_SCHEDULED",
        "NO_RECORDS_FOUND",
        "CANNOT_PROCESS",
        "RECORD_IN_BLUEPRINT",
        "RECORD_LOCKED",
        "NOT_APPROVED",
        "NO_PERMISSION",
        "OAUTH_SCOPE_MISMATCH",
        "AUTHORIZATION_FAILED",
        "INVALID_TOKEN",
        "NOT_FOUND",
        "RESOURCE_NOT_FOUND",
        "INVALID_URL_PATTERN",
        "INVALID_REQUEST_METHOD",
        "INTERNAL_ERROR",
        "TOO_MANY_REQUESTS",
    }
    assert listed <= ALL_CODES
