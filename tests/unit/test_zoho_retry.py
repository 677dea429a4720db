"""Backoff arithmetic, Retry-After parsing, and path building that cannot add segments."""

from __future__ import annotations

import random

import httpx
import pytest

from runner.zoho import endpoints
from runner.zoho.retry import RetryPolicy, fits_deadline, parse_retry_after, was_sent

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def test_full_jitter_stays_under_the_exponential_ceiling() -> None:
    """Each backoff is uniform in [0, min(cap, base·2^(n-1))]."""
    policy, rng = RetryPolicy(base=0.5, cap=4.0), random.Random(3)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # the whole range is used, not a fixed step


def test_retry_after_wins_but_is_capped() -> None:
    """A server's Retry-After is used as given, up to max_retry_after."""
    policy, rng = RetryPolicy(max_retry_after=60), random.Random(1)
    assert policy.delay(1, rng, 12.5) == 12.5
    assert policy.delay(1, rng, 3600) == 60


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
        ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0),  # already past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Delta-seconds and HTTP dates become seconds from now; nonsense is ignored."""
    assert parse_retry_after(value, NOW) == expected


def test_deadline_check() -> None:
    """A wait fits when it ends on or before the deadline; no deadline always fits."""
    assert fits_deadline(NOW, 5, NOW + 5)
    assert not fits_deadline(NOW, 5.1, NOW + 5)
    assert fits_deadline(NOW, 1e9, None)


def test_only_unopened_connections_count_as_not_sent() -> None:
    """Connect errors never reached Zoho; read errors and timeouts may have."""
    assert not was_sent(httpx.ConnectError("x"))
    assert not was_sent(httpx.ConnectTimeout("x"))
    assert was_sent(httpx.ReadTimeout("x"))
    assert was_sent(httpx.RemoteProtocolError("x"))


def test_paths_match_the_wire_and_encode_data_segments() -> None:
    """Paths are the SDK's (wire/README.md); a module or job id cannot add segments."""
    assert endpoints.mass_update("Deals") == "/crm/v8/Deals/actions/mass_update"
    assert endpoints.mass_delete("Leads") == "/crm/v8/Leads/actions/mass_delete"
    assert endpoints.bulk_read_result("554023000000506054") == (
        "/crm/bulk/v8/read/554023000000506054/result"
    )
    assert endpoints.bulk_write_job("1") == "/crm/bulk/v8/write/1"
    assert endpoints.upload() == "/crm/v8/upload"
    assert endpoints.records("../org") == "/crm/v8/..%2Forg"
    assert endpoints.bulk_read_job("1/result") == "/crm/bulk/v8/read/1%2Fresult"
