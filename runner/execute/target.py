"""Where a run goes: the in-process simulator (`--sim`) or the org the environment names.

Both end as a `runner.zoho.auth.Target` plus an httpx transport, so the executor never
knows which one it talks to: the simulator plugs in at httpx's transport seam.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from runner.clock import Clock
from runner.results import TargetKind
from runner.zoho.auth import Credentials, Target, target_from_env
from runner.zoho.transport import LimitedTransport

#: Where the in-process simulator answers: the ASGI transport never opens a socket, and a
#: loopback name keeps the token on this machine by rule too (runner.zoho.hosts), so the
#: simulator's absolute download URLs, built from this host, are loopback ones.
SIM_BASE = "http://127.0.0.1"
SIM_SOURCES = {"api": "--sim", "accounts": "--sim", "upload": "--sim"}


@dataclass(frozen=True)
class Connection:
    """A target and the transport to reach it (None: httpx's own sockets)."""

    target: Target
    transport: httpx.AsyncBaseTransport | None
    kind: TargetKind


def sim_connection(*, clock: Clock, seed: int = 1, records: int = 300) -> Connection:
    """A fresh in-process simulator with the demo org, on `clock`."""
    from runner.simulator.app import create_app
    from runner.simulator.seed import build_demo_org

    app = create_app(build_demo_org(seed=seed, records=records), clock=clock)
    transport = httpx.ASGITransport(app=app)
    creds = Credentials(access_token=str(app.state.access_token))
    target = Target(
        SIM_BASE, SIM_BASE, SIM_BASE, creds, dc="sim", env="simulator", sources=SIM_SOURCES
    )
    return Connection(target, transport, "sim")


def env_connection(environ: Mapping[str, str]) -> Connection:
    """The org named by ZOHO_* variables (TargetError when none is set)."""
    return Connection(target_from_env(environ), None, "zoho")


def limited(connection: Connection, concurrency: int) -> httpx.AsyncBaseTransport:
    """The connection's transport under the --concurrency cap."""
    inner = connection.transport or httpx.AsyncHTTPTransport(
        retries=0, verify=_tls(connection.target)
    )
    return LimitedTransport(inner, concurrency)


def _tls(target: Target) -> ssl.SSLContext | bool:
    """httpx's default (True: certifi's CAs) for a target with an https URL. A target all on
    plain http, which `target_from_env` allows only on this machine (`sim serve`), gets a
    context that trusts no CA: it is never used, costs nothing to build where loading the
    CA bundle took ~20 ms of every start (issue 13), and a TLS handshake through it would
    fail verification, never pass unchecked."""
    urls = (target.api_domain, target.accounts_url, target.upload_domain)
    if any(not url.startswith("http://") for url in urls):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_REQUIRED, no CA loaded
