"""``python -m mods build [MODS_DIR]`` builds mods; ``python -m mods sdk`` writes the SDK.

``riscade build`` calls ``main(["build", ...])``. Exit status: 0 when every mod built, 1 when
some failed (they are listed), 2 for a manifest, dependency or SDK problem (one line on
stderr: ``error: ...``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from .build import BuildResult, build_mods, failed
from .cache import DEFAULT_CACHE_DIR
from .errors import ModError

DEFAULT_MODS_DIR = Path(__file__).resolve().parent


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def print_table(results: list[BuildResult], out: TextIO | None = None) -> None:
    """One line per mod: name, language, version, sha256 prefix, size, time, cached."""
    out = out or sys.stdout
    print(f"{'mod':16} {'lang':4} {'version':8} {'sha256':12} {'size':>10} {'time':>7}  status",
          file=out)
    for r in results:
        status = "cached" if r.cached else "built"
        sha = r.sha256[:12] if r.sha256 else "-"
        if not r.ok:
            status = "FAILED"
        print(f"{r.name:16} {r.language.value:4} {r.spec.version:8} {sha:12} "
              f"{_size(r.size) if r.ok else '-':>10} {r.seconds:6.2f}s  {status}", file=out)


def cmd_build(args: argparse.Namespace) -> int:
    try:
        results = build_mods(args.mods_dir, args.cache, args.jobs)
    except ModError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.manifest_entry() | {"path": str(r.path), "cached": r.cached,
                                                "seconds": round(r.seconds, 3)}
                          if r.ok else {"name": r.name, "error": str(r.error)}
                          for r in results], indent=1))
    else:
        print_table(results)
        for r in results:
            if r.ok and r.log and not r.cached:
                print(f"\n{r.name}: compiler messages:\n{r.log}")
    bad = failed(results)
    for r in bad:
        print(f"\n{r.error}", file=sys.stderr)
    if bad:
        print(f"\nfailed: {', '.join(r.name for r in bad)}", file=sys.stderr)
        return 1
    return 0


def parser(prog: str = "python -m mods") -> argparse.ArgumentParser:
    """The command line of ``python -m mods`` (and ``riscade build``: ``prog="riscade"``)."""
    p = argparse.ArgumentParser(prog=prog, description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build every mod of a directory")
    build.add_argument("mods_dir", nargs="?", type=Path, default=DEFAULT_MODS_DIR,
                       help="directory of mods (default: the mods shipped with the game)")
    build.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR,
                       help="build cache directory (default: %(default)s)")
    build.add_argument("-j", "--jobs", type=int, default=2, help="parallel compilers")
    build.add_argument("--json", action="store_true", help="print manifest entries as JSON")
    sdk = sub.add_parser("sdk", help="write (or --check) the generated SDK files")
    sdk.add_argument("--check", action="store_true")
    return p


def main(argv: list[str] | None = None, *, prog: str = "python -m mods") -> int:
    """Entry point of ``python -m mods``; ``prog`` names the command in its usage lines."""
    args = parser(prog).parse_args(argv)
    if args.command == "sdk":
        from .sdk.__main__ import main as sdk_main
        return sdk_main(["--check"] if args.check else [])
    return cmd_build(args)


if __name__ == "__main__":
    sys.exit(main())
