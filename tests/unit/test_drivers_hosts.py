"""A foreign `download_url` in a bulk job's answer, end to end through the drivers and the
in-process simulator (`/__sim__/download_base`): the token never goes there (issue 9, 3)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.execute.drivers.bulk_read import BulkReadDriver
from runner.execute.drivers.bulk_write import BulkWriteDriver
from runner.execute.target import SIM_BASE
from runner.manifest.model import BulkReadJob, BulkWriteJob, FieldMapping
from runner.zoho.auth import LOOPBACK
from tests.unit.exec_fixtures import Harness, harness

pytestmark = pytest.mark.anyio

FOREIGN = "https://download-accl.zoho.com.evil.test"


class LoopbackOnly(httpx.AsyncBaseTransport):
    """Before the simulator (which answers any host): fails the test if a request leaves
    this machine, since under ASGITransport it would still reach the simulator."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.host not in LOOPBACK:
            pytest.fail(f"a request with the token went to {request.url.host}")
        return await self.inner.handle_async_request(request)


async def sim_post(h: Harness, path: str, body: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app), base_url=SIM_BASE
    ) as raw:
        return await raw.post(path, json=body)


def write_job(tmp_path: Path) -> BulkWriteJob:
    path = tmp_path / "manifest" / "leads.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["last_name", "email"], ["New1", "new1@example.org"]])
    return BulkWriteJob(
        name="import-leads",
        module="Leads",
        operation="insert",
        file=path,
        field_mappings=(FieldMapping("Last_Name", column="last_name"),
                        FieldMapping("Email", column="email")),
    )  # fmt: skip


async def test_bulk_write_with_a_foreign_download_url_fails_naming_the_host(
    tmp_path: Path,
) -> None:
    """The job ends FAILED with HOST_REFUSED naming the host; nothing went off this machine."""
    guard: list[LoopbackOnly] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        guard.append(LoopbackOnly(inner))
        return guard[0]

    async with harness(tmp_path, records=20, wrap=wrap) as h:
        answer = await sim_post(h, "/__sim__/download_base", {"base": FOREIGN})
        assert answer.json() == {"base": FOREIGN}
        result = await BulkWriteDriver().run(h.context(write_job(tmp_path)))
    assert result.status == "FAILED"
    (error,) = result.errors
    assert error.code == "HOST_REFUSED"
    assert error.message.startswith(f"part 1: GET {FOREIGN}/v2/crm/")
    assert "download-accl.zoho.com.evil.test is not a host of this target" in error.message
    assert set(guard[0].hosts) == {"127.0.0.1"}
    assert not any(p.suffix == ".zip" and "result" in p.name for p in tmp_path.rglob("*"))


async def test_bulk_read_ignores_a_foreign_download_url(tmp_path: Path) -> None:
    """Bulk read builds its result URL from the job id (wire 08), so a foreign one is unused."""
    job = BulkReadJob(
        name="export-leads", module="Leads", fields=("Last_Name",),
        output=tmp_path / "exports" / "leads.csv",
    )  # fmt: skip
    guard: list[LoopbackOnly] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        guard.append(LoopbackOnly(inner))
        return guard[0]

    async with harness(tmp_path, records=20, wrap=wrap) as h:
        await sim_post(h, "/__sim__/download_base", {"base": FOREIGN})
        result = await BulkReadDriver().run(h.context(job))
    assert result.status == "COMPLETED", result.errors
    assert set(guard[0].hosts) == {"127.0.0.1"}


async def test_download_base_hook_validates_and_resets(tmp_path: Path) -> None:
    """The hook takes an http(s) base or null, and /__sim__/reset clears it."""
    async with harness(tmp_path, records=5) as h:
        bad = await sim_post(h, "/__sim__/download_base", {"base": "evil.test"})
        assert bad.status_code == 400
        await sim_post(h, "/__sim__/download_base", {"base": FOREIGN + "/"})
        assert h.app.state.sim.download_base == FOREIGN
        await sim_post(h, "/__sim__/reset", {})
        assert h.app.state.sim.download_base is None
        cleared = await sim_post(h, "/__sim__/download_base", {"base": None})
        assert cleared.json() == {"base": None}
