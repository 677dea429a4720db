"""`python -m runner.docsgen [--check]`: write the generated pages of docs/, or check them."""

from __future__ import annotations

import argparse
import sys

from runner.docsgen import PAGES, stale, write_all
from runner.docsgen.markdown import REGENERATE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runner.docsgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for page in old:
            print(f"{page} is stale; run: {REGENERATE}", file=sys.stderr)
        return 1 if old else 0
    written = write_all()
    for page in written:
        print(f"wrote {page}")
    if not written:
        print(f"{len(PAGES)} pages up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
