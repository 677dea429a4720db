"""`python -m runner` is the same as the `zcrm-runner` console script."""

from __future__ import annotations

try:
    from runner.cli import entry
except KeyboardInterrupt:  # ^C while Python is still importing: nothing has started yet
    raise SystemExit(130) from None

raise SystemExit(entry())
