"""Shared harness for executor and driver tests: the simulator in-process, one ManualClock
for both sides, a real ZohoClient and a real Journal in a temp folder."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from runner.clock import ManualClock
from runner.execute.context import JobContext
from runner.execute.journal import Journal
from runner.execute.poll import Backoff
from runner.execute.progress import NullProgress
from runner.execute.target import SIM_BASE
from runner.manifest.model import AnyJob
from runner.results import RunTarget
from runner.simulator.app import create_app
from runner.simulator.seed import build_demo_org
from runner.zoho import metadata
from runner.zoho.auth import Credentials, Target
from runner.zoho.client import ZohoClient
from runner.zoho.transport import LimitedTransport

RUN_ID = "20260101-000000-test"


@dataclass
class Harness:
    """A simulator, a client talking to it, a journal, and a way to make job contexts."""

    app: Any
    clock: ManualClock
    client: ZohoClient
    journal: Journal
    work_dir: Path
    transport: LimitedTransport

    async def zgid(self) -> str:
        return (await metadata.get_org(self.client)).zgid

    def backups(self, run_id: str = RUN_ID) -> Path:
        """Where a run's backups go: its report folder's backups/ (drivers/backup.py)."""
        return self.work_dir / "reports" / run_id / "backups"

    def context(
        self, job: AnyJob, *, deadline: float = 7200.0, run_id: str = RUN_ID, backup: bool = False
    ) -> JobContext:
        """A context for one job, its deadline `deadline` clock seconds from now; a mass
        job takes its backup when `backup` is True."""
        if self.journal.get_run(run_id) is None:
            target = RunTarget(kind="sim", api_domain=SIM_BASE)
            self.journal.start_run(run_id, target=target)
            self.journal.record_job(
                run_id,
                job.name,
                kind=job.kind,
                module=job.module,
                fingerprint="f",
                status="RUNNING",
            )
        elif not any(j.name == job.name for j in self.journal.jobs(run_id)):
            self.journal.record_job(
                run_id,
                job.name,
                kind=job.kind,
                module=job.module,
                fingerprint="f",
                status="RUNNING",
            )
        return JobContext(
            run_id=run_id,
            job=job,
            client=self.client,
            journal=self.journal,
            clock=self.clock,
            deadline=self.clock.now() + deadline,
            progress=NullProgress(),
            work_dir=self.work_dir / run_id / job.name,
            zgid=self.zgid,
            poll_backoff=Backoff(rng=random.Random(7)),
            rng=random.Random(7),
            backup_dir=self.backups(run_id) if backup else None,
        )

    async def ground_truth(self, module: str, ids: list[str]) -> list[dict[str, Any]]:
        """Records as the simulator holds them (deleted ones flagged), via /__sim__/."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=SIM_BASE
        ) as raw:
            r = await raw.get(f"/__sim__/records/{module}", params={"ids": ",".join(ids)})
            r.raise_for_status()
            return list(r.json())


@asynccontextmanager
async def harness(
    tmp_path: Path,
    *,
    records: int = 300,
    concurrency: int = 5,
    wrap: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
    state_url: str | None = None,
) -> AsyncIterator[Harness]:
    """The harness, closed at the end; `wrap` puts a test transport before the simulator;
    `state_url` keeps the journal in PostgreSQL."""
    clock = ManualClock()
    app = create_app(build_demo_org(records=records), clock=clock)
    inner: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    transport = LimitedTransport(wrap(inner) if wrap else inner, concurrency)
    target = Target(
        SIM_BASE, SIM_BASE, SIM_BASE, Credentials(access_token=app.state.access_token), dc="sim"
    )
    journal = Journal(tmp_path / "state", clock=clock, url=state_url)
    async with ZohoClient(
        target, clock=clock, transport=transport, rng=random.Random(3), retry_refused_posts=True
    ) as client:
        try:
            yield Harness(app, clock, client, journal, tmp_path / "work", transport)
        finally:
            journal.close()
