"""``python -m mods.sdk [--check] [--out DIR]``: write or check the generated SDK files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SDK_DIR, stale_files, write_sdk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mods.sdk", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a file differs from the generator's output")
    parser.add_argument("--out", type=Path, default=SDK_DIR,
                        help="directory (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.out)
        for name in stale:
            print(f"{args.out / name} is stale: run `python -m mods.sdk`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_sdk(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
