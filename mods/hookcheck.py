"""Hooks a mod's sources define, checked against what its ELF exports, as file:line errors.

The compilers check a hook's signature (C: the header's prototypes; Zig: ``exportHooks``
in riscade.zig; Nim: the ``{.hook.}`` pragma). What they cannot see is a hook that is
defined but never exported (the game would never call it) or a misspelt one (``on_tik``).
``problems`` reads the top-level function definitions named ``on_*`` in the sources and
compares them with the ELF's global functions:

- a definition named ``on_*`` that is not a hook is an error: ``on_`` is reserved for hooks.
  C: only when the ELF exports it (a ``static`` one is only the compiler's "unused function"
  warning: C sources may hide code in ``#if 0`` or comments, which a line scan cannot see);
  Zig and Nim: any top-level ``fn``/``proc`` (those languages have no preprocessor).
- a hook defined in Zig or Nim that the ELF does not export is an error (Zig: not ``pub``;
  Nim: no ``{.hook.}``). In C, a ``static`` hook already fails to compile against the
  header's prototype.
- Zig: ``export fn on_*`` is an error: hooks are ``pub fn``, which the SDK checks and exports.

``locate_compiler_errors`` adds the mod's file:line to the SDK's own compile errors
("riscade: hook on_tick must be ..."), which the compiler reports at the SDK's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .host_api import HOOKS
from .manifest import Language, ModSpec

__all__ = ["Definition", "definitions", "locate_compiler_errors", "problems"]

_HOOK_NAMES = tuple(h.name for h in HOOKS)
_RESERVED = f"names starting with on_ are reserved for hooks: {', '.join(_HOOK_NAMES)}"

#: A top-level function definition named on_* (group "name"), per language.
_DEFINITION = {
    Language.C: re.compile(r"^(?!\s|#)(?:[A-Za-z_]\w*[\s*]+)*(?P<name>on_\w+)\s*\("),
    Language.ZIG: re.compile(r"^(?P<pub>pub\s+)?(?P<export>export\s+)?fn\s+(?P<name>on_\w+)\s*\("),
    Language.NIM: re.compile(r"^(?:proc|func)\s+`?(?P<name>on_\w+)`?\*?\s*[\(\[]"),
}
_NOT_EXPORTED_HINT = {
    Language.ZIG: "declare it `pub fn`",
    Language.NIM: "add the `{.hook.}` pragma",
}


@dataclass(frozen=True)
class Definition:
    """A top-level function named ``on_*`` in a mod's source."""

    name: str
    path: Path
    line: int
    export_keyword: bool = False  # Zig: ``export fn``

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _strip_c_comments(text: str) -> str:
    """``text`` with C comments blanked, keeping line numbers."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


def definitions(spec: ModSpec) -> list[Definition]:
    """Every top-level function named ``on_*`` in ``spec``'s sources, in file and line order
    (a C declaration ending in ``;`` is not a definition)."""
    pattern = _DEFINITION[spec.language]
    found = []
    for path in spec.source_paths():
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if spec.language is Language.C:
            text = _strip_c_comments(text)
        for number, line in enumerate(text.splitlines(), 1):
            match = pattern.match(line)
            if match is None:
                continue
            if spec.language is Language.C and line.rstrip().endswith(";"):
                continue
            found.append(Definition(match["name"], path, number,
                                    bool(match.groupdict().get("export"))))
    return found


def problems(spec: ModSpec, exported: set[str]) -> list[str]:
    """What is wrong with the hooks ``spec`` defines, given the ELF's global functions
    ``exported``: one "file:line: error: ..." line each (empty when nothing is)."""
    out = []
    for d in definitions(spec):
        if d.name not in _HOOK_NAMES:
            if spec.language is not Language.C or d.name in exported:
                out.append(f"{d.where()}: error: {d.name} is not a hook ({_RESERVED})")
        elif d.export_keyword:
            out.append(f"{d.where()}: error: declare hook {d.name} as `pub fn`, not "
                       "`export fn` (the SDK checks its signature and exports it)")
        elif d.name not in exported and spec.language in _NOT_EXPORTED_HINT:
            out.append(f"{d.where()}: error: hook {d.name} is not exported, so the game "
                       f"would never call it: {_NOT_EXPORTED_HINT[spec.language]}")
    return out


_SDK_ERROR = re.compile(r"riscade: (?:hook )?(?P<name>on_\w+) (?:must be|is not a hook)[^\n]*")


def locate_compiler_errors(spec: ModSpec, log: str) -> str:
    """``log`` with a "file:line: error: ..." line first for each SDK hook error in it that
    names a hook the mod's sources define (the compiler reports those at the SDK's line)."""
    where: dict[str, Definition] = {}
    for d in definitions(spec):
        where.setdefault(d.name, d)
    lines = []
    for match in _SDK_ERROR.finditer(log):
        found = where.get(match["name"])
        line = f"{found.where()}: error: {match.group(0)}" if found else None
        if line and line not in lines:
            lines.append(line)
    return "\n".join([*lines, log]) if lines else log
