"""A faithful fake Zoho CRM org (the server side of the wire), split like moto."""

from __future__ import annotations
