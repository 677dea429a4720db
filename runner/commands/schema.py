"""`zcrm-runner schema [jobs|plan|report|runs]`: print a JSON schema, e.g. for an editor."""

from __future__ import annotations

import json

from runner.manifest.schema import load_schema


def run(*, name: str = "jobs") -> int:
    print(json.dumps(load_schema(name), indent=2, ensure_ascii=False))
    return 0
