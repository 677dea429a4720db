"""Plans: jobs → ordered steps (calls, batches, scopes, credits), and their renderers."""

from __future__ import annotations
