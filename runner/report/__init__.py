"""Reports of a run: report.json, report.md, junit.xml and per-job CSVs."""

from __future__ import annotations
