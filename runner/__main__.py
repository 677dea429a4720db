"""`python -m runner` is the same as the `zcrm-runner` console script."""

from __future__ import annotations

from runner.cli import main

raise SystemExit(main())
