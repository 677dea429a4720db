"""The plan as JSON, valid against schemas/plan.schema.json."""

from __future__ import annotations

import json

from runner.plan.codec import plan_to_dict
from runner.plan.model import Plan


def render_json(plan: Plan) -> str:
    """Indented, key order kept, non-ASCII left readable; ends with a newline."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"
