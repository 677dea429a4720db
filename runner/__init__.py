"""zcrm-runner: declarative Zoho CRM mass and bulk jobs, validated, planned and applied."""

from __future__ import annotations

__version__ = "0.1.0"
