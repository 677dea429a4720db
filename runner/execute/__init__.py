"""Apply: the job DAG, one driver per kind, polling, and the write-ahead journal."""

from __future__ import annotations
