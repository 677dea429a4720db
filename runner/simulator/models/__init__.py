"""Org state and rules, no HTTP (moto's models): split by family to stay small."""

from __future__ import annotations

from runner.simulator.models.org import SimOrg

__all__ = ["SimOrg"]
