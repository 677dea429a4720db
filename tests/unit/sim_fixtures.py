"""Shared helpers for the simulator tests: an in-process app on a ManualClock."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from runner.clock import ManualClock
from runner.simulator.app import create_app
from runner.simulator.models.org import SimOrg
from runner.simulator.seed import READONLY_ID, ZGID, build_demo_org

BASE = "http://sim.test"
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Sim:
    """The app, its clock, a client and the admin token's header."""

    org: SimOrg
    clock: ManualClock
    client: httpx.AsyncClient
    token: str
    app: Any = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.token}"}

    async def get(self, url: str, **headers: str) -> httpx.Response:
        return await self.client.get(url, headers={**self.auth, **headers})

    async def post(
        self, url: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST raw JSON bytes with no Content-Type, as the SDK sends mass calls."""
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self.client.post(
            url, content=content, headers={**self.auth, **(headers or {})}
        )

    async def post_json(self, url: str, body: Any) -> httpx.Response:
        return await self.post(url, body, JSON_HEADERS)

    async def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    async def token_for(
        self, user_id: str = READONLY_ID, scopes: list[str] | None = None
    ) -> dict[str, str]:
        body: dict[str, Any] = {"user_id": user_id}
        if scopes is not None:
            body["scopes"] = scopes
        r = await self.client.post("/__sim__/tokens", json=body)
        return {"Authorization": f"Zoho-oauthtoken {r.json()['access_token']}"}

    async def upload(self, csv_text: str, name: str = "Leads.csv") -> httpx.Response:
        files = {
            "file": (name.replace(".csv", ".zip"), zip_of({name: csv_text}), "application/zip")
        }
        headers = {**self.auth, "feature": "bulk-write", "X-CRM-ORG": ZGID}
        return await self.client.post("/crm/v8/upload", files=files, headers=headers)


@asynccontextmanager
async def open_sim(org: SimOrg | None = None, **kwargs: Any) -> AsyncIterator[Sim]:
    org = org or build_demo_org()
    clock = ManualClock()
    app = create_app(org, clock=clock, **kwargs)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Sim(org, clock, client, app.state.access_token, app)


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()}


def error(r: httpx.Response, code: str, status: int) -> dict[str, Any]:
    """Assert a Zoho error envelope with `code` and HTTP `status`; return the body."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["status"] == "error"
    assert set(body) == {"code", "details", "message", "status"}
    return body


def assert_shape(ours: Any, theirs: Any, path: str = "$") -> None:
    """Every key of the recorded answer exists in ours with a value of the same JSON type."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        for key, value in theirs.items():
            assert key in ours, f"{path}.{key} missing"
            assert_shape(ours[key], value, f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), path
        if theirs and ours:
            assert_shape(ours[0], theirs[0], f"{path}[0]")
    elif isinstance(theirs, bool):
        assert isinstance(ours, bool), path
    elif isinstance(theirs, (int, float)):
        assert isinstance(ours, (int, float)), path
        assert not isinstance(ours, bool), path
    elif theirs is not None:
        assert type(ours) is type(theirs), (path, ours, theirs)
