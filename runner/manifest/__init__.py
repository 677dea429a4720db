"""Manifests: load (YAML with line marks), render (sandboxed jinja2), validate."""

from __future__ import annotations
