"""Shared helpers for the client tests: wire vectors, canned answers, a mock-backed client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from runner.clock import ManualClock
from runner.zoho.auth import Credentials, Target
from runner.zoho.client import ZohoClient

WIRE = Path(__file__).parents[1] / "data" / "wire"
Handler = Callable[[httpx.Request], httpx.Response]


def vector(name: str, method: str | None = None) -> dict[str, Any]:
    """The first request of a wire capture (with that method, when given)."""
    reqs = json.loads((WIRE / name).read_text())["requests"]
    return dict(next(r for r in reqs if method is None or r["method"] == method))


def reply(vec: dict[str, Any]) -> httpx.Response:
    """The canned answer the capture recorded."""
    return httpx.Response(vec["response"]["status"], json=vec["response"]["body"])


class Recorder:
    """Answers each request with the next canned response and keeps the requests."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answers.pop(0)


def client(handler: Handler, *, upload: str = "https://u.test") -> ZohoClient:
    """A client on a ManualClock whose transport is `handler`."""
    target = Target("https://api.test", "https://a.test", upload, Credentials("tok"))
    return ZohoClient(target, clock=ManualClock(), transport=httpx.MockTransport(handler))
