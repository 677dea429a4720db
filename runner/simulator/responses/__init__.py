"""HTTP only: parse, call the model, serialize; one module per API family."""

from __future__ import annotations
