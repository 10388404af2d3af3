"""``riscade new NAME --lang c|zig|nim [--dir DIR]``: start a mod in ``DIR/NAME``.

The folder gets a ``mod.toml``, a source with every hook stubbed (``mods.templates``) and a
scenario that ``riscade test`` passes at once. A name the manifest would refuse, a name with
a path in it, or a folder that exists is refused in one line (exit status 2), and nothing is
written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import ModError
from .manifest import NAME_RE, Language
from .templates import files_for

__all__ = ["create_mod", "name_problem", "NewModError", "main"]

#: Names a mod may not take although the manifest's pattern allows them: the SDK module every
#: mod imports (a Nim or Zig module of that name would shadow it).
RESERVED = frozenset({"riscade", "riscade_root"})
#: Nim keywords: a Nim module (the mod's source file, named after it) cannot be called so.
NIM_KEYWORDS = frozenset("""
addr and as asm bind block break case cast concept const continue converter defer discard
distinct div do elif else end enum except export finally for from func if import in include
interface is isnot iterator let macro method mixin mod nil not notin object of or out proc ptr
raise ref return shl shr static template try tuple type using var when while xor yield
system""".split())


class NewModError(ModError, ValueError):
    """Why ``riscade new`` refuses (one line)."""


def name_problem(name: str, language: Language) -> str | None:
    """Why ``name`` cannot name a new ``language`` mod, or None if it can."""
    if "/" in name or "\\" in name or name in (".", "..") or ".." in name:
        return f"a mod name is a folder name, not a path: {name[:64]!r}"
    if not NAME_RE.fullmatch(name):
        return (f"mod name {name[:64]!r} must match {NAME_RE.pattern} (a lowercase letter, "
                "then up to 31 lowercase letters, digits or _)")
    if name in RESERVED:
        return f"mod name {name!r} is the SDK's module name"
    if language is Language.NIM and name in NIM_KEYWORDS:
        return f"mod name {name!r} is a Nim keyword or the system module (the source " \
            f"file {name}.nim would be a module called so)"
    return None


def create_mod(name: str, language: Language, parent: Path) -> Path:
    """Write a new mod called ``name`` into ``parent/name``; returns that folder.

    Raises:
        NewModError: the name is refused (``name_problem``), or the folder exists.
    """
    problem = name_problem(name, language)
    if problem is not None:
        raise NewModError(problem)
    folder = Path(parent) / name
    if folder.exists() or folder.is_symlink():
        raise NewModError(f"{folder} already exists")
    files = files_for(name, language)
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise NewModError(f"{folder} already exists") from None
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade new``."""
    p = argparse.ArgumentParser(prog="riscade new", description=__doc__)
    p.add_argument("name", metavar="NAME", help="the mod's name (lowercase, a-z 0-9 _)")
    p.add_argument("--lang", required=True, choices=[lang.value for lang in Language],
                   help="the language of its source")
    p.add_argument("--dir", type=Path, default=Path("."),
                   help="the folder of mods to put it in (default: the current folder)")
    opts = p.parse_args(argv)
    try:
        folder = create_mod(opts.name, Language(opts.lang), opts.dir)
    except NewModError as exc:
        print(f"riscade new: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"riscade new: cannot write the mod: {exc.strerror or exc}", file=sys.stderr)
        return 2
    written = sorted(files_for(opts.name, Language(opts.lang)))
    print(f"riscade new: wrote {folder} ({', '.join(written)})")
    print(f"next: riscade test --mods {opts.dir} {opts.name}    "
          f"(then: riscade serve --mods {opts.dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
