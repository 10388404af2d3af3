"""``python -m mods.sdk [--check] [--docs] [--out DIR] [--readme FILE]``: write or check the
generated SDK files and the generated reference in mods/README.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SDK_DIR, docs, stale_files, write_sdk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mods.sdk", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a file differs from the generator's output")
    parser.add_argument("--docs", action="store_true",
                        help="only the README's reference, not the SDK files")
    parser.add_argument("--out", type=Path, default=SDK_DIR,
                        help="SDK directory (default: %(default)s)")
    parser.add_argument("--readme", type=Path, default=docs.README,
                        help="README with the reference markers (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        stale = [] if args.docs else [str(args.out / name) for name in stale_files(args.out)]
        if docs.readme_is_stale(args.readme):
            stale.append(f"{args.readme} (its generated reference)")
        for name in stale:
            print(f"{name} is stale: run `python -m mods.sdk`", file=sys.stderr)
        return 1 if stale else 0
    if not args.docs:
        for path in write_sdk(args.out):
            print(f"wrote {path}")
    try:
        if docs.write_readme(args.readme):
            print(f"wrote {args.readme}")
    except ValueError as exc:
        print(f"python -m mods.sdk: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
