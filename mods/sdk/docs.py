"""Render the reference part of ``mods/README.md``: every host function, hook, constant and
limit, from ``mods.host_api``, ``game.rules`` and the VM's defaults.

The reference sits between two marker lines in the README; ``python -m mods.sdk`` rewrites
what is between them and ``--check`` fails when it differs, so a function appended to
``mods/host_api.py`` or a limit appended to ``game/rules.py`` reaches the docs with a
regeneration. Limits are read from ``game/rules.py`` itself: every public number there, with
the ``#:`` comment above it (a comment describes the assignments that follow it).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from collections.abc import Callable
from pathlib import Path

from mods.host_api import Hook
from vm.hostcalls import HostFunction

from . import c, nim, zig
from .ids import param_id, result_id
from .model import Sdk

__all__ = ["BEGIN", "END", "README", "limits", "readme_is_stale", "render_reference",
           "replace_section", "write_readme"]

#: The README the reference lives in, and the lines around it.
README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = ("<!-- BEGIN GENERATED REFERENCE: `python -m mods.sdk` writes this part from "
         "mods/host_api.py and game/rules.py; do not edit it by hand -->")
END = "<!-- END GENERATED REFERENCE -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _signature(fn: HostFunction | Hook) -> str:
    params = ", ".join(f"{n}: {k.value}" for n, k in fn.params)
    ret = f" -> {fn.returns.value}" if fn.returns else ""
    return f"{fn.name}({params}){ret}"


def _zig_types(fn: HostFunction) -> str:
    """The Zig wrapper's id types, when it has any (else empty)."""
    parts = [f"{n}: {ident.type_name}" for n, k in fn.params
             if (ident := param_id(n, k)) is not None]
    result = result_id(fn.returns, fn.doc)
    if result is not None:
        parts.append(f"-> ?{result.type_name}")
    return ", ".join(parts)


def _functions(sdk: Sdk) -> list[str]:
    out = ["| # | function | side | Zig ids | what it does |",
           "|--:|----------|------|---------|--------------|"]
    for fn in sdk.functions:
        zig_ids = _zig_types(fn)
        out.append(f"| {fn.number} | `{_cell(_signature(fn))}` | {fn.side.value} | "
                   f"{f'`{zig_ids}`' if zig_ids else ''} | {_cell(fn.doc)} |")
    return out


def _hooks(sdk: Sdk) -> list[str]:
    out = ["| hook | when the game calls it |", "|------|------------------------|"]
    out += [f"| `{_cell(_signature(h))}` | {_cell(h.doc)} |" for h in sdk.hooks]
    out += ["", "Declared in each language (the build checks the name and the signature):", ""]
    declarers: tuple[tuple[str, Callable[[Hook], str]], ...] = (
        ("C", lambda h: c.hook_prototype(h).replace(";", " { ... }")),
        ("Zig", lambda h: re.sub(r"\b(EntityId|PlayerId)\b", r"riscade.\1",
                                 zig.hook_signature(h)) + " { ... }"),
        ("Nim", lambda h: nim.hook_declaration(h) + " = ..."))
    for title, declare in declarers:
        out += [f"{title}:", "", "```" + title.lower()]
        out += [declare(h) for h in sdk.hooks]
        out += ["```", ""]
    return out[:-1]


def _constants(sdk: Sdk) -> list[str]:
    out = ["| constant | value | meaning |", "|----------|------:|---------|"]
    out += [f"| `{k.name}` | {k.value} | {_cell(k.doc)} |" for k in sdk.constants]
    return out


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (frozenset, set, tuple, list)):
        return ", ".join(_value(v) for v in sorted(value))
    return str(value)


def limits(module_name: str = "game.rules") -> list[tuple[list[tuple[str, object]], str]]:
    """The public constants of ``module_name``, grouped under the ``#:`` comment above them:
    ``[([(name, value), ...], comment), ...]`` in source order. An assignment with no
    comment of its own right after another one joins that one's group."""
    module = importlib.import_module(module_name)
    public = set(getattr(module, "__all__", ()))
    lines = inspect.getsource(module).splitlines()
    groups: list[tuple[list[tuple[str, object]], str]] = []
    previous_end = -1
    for node in ast.parse("\n".join(lines)).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name) and t.id in public]
        if not names:
            continue
        comment: list[str] = []
        row = node.lineno - 2  # the line above, 0-based
        while row >= 0 and lines[row].lstrip().startswith("#:"):
            comment.insert(0, lines[row].lstrip()[2:].strip())
            row -= 1
        entries = [(n, getattr(module, n)) for n in names]
        if not comment and groups and node.lineno == previous_end + 1:
            groups[-1][0].extend(entries)
        else:
            groups.append((entries, " ".join(comment)))
        previous_end = node.end_lineno or node.lineno
    return groups


def _limits() -> list[str]:
    out = ["| limit | value | what it means |", "|-------|------:|---------------|"]
    for entries, comment in limits():
        names = "<br>".join(f"`{n}`" for n, _ in entries)
        values = "<br>".join(_value(v) for _, v in entries)
        out.append(f"| {names} | {values} | {_cell(_rst_to_md(comment))} |")
    return out


def _rst_to_md(text: str) -> str:
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _engine_facts() -> list[str]:
    """Limits a modder meets that live in the VM and the simulation, not in game.rules."""
    from game.simulation import Simulation
    from vm.memory import MachineLimits

    fields: dict[str, int] = {f.name: f.default for f in dataclasses.fields(Simulation)
                              if isinstance(f.default, int)}
    one = next(k.value for k in Sdk.of().constants if k.name == "FIXED_ONE")
    machine = MachineLimits()
    return [
        f"- The arena (the world) is {fields['width'] // one} x {fields['height'] // one} "
        f"world units ({fields['width']:,} x {fields['height']:,} fixed-point) in a "
        "default `game.Simulation`; read `world_width()` / `world_height()`.",
        f"- A mod's stdout and stderr (`printf`, Zig's `std.debug.print`, Nim's `echo`) are "
        f"captured by its machine, at most {machine.max_output:,} bytes per stream, and "
        "shown nowhere: write to the game's log with `log`, to players with `send_chat`.",
        "- A hook's `str` argument arrives as pointer and length (C), `[]const u8` (Zig), "
        "`string` (Nim); it is not NUL-terminated in C.",
    ]


def render_reference(sdk: Sdk | None = None) -> str:
    """The text between ``BEGIN`` and ``END`` (without them)."""
    sdk = sdk or Sdk.of()
    out = [
        "## Reference (generated)",
        "",
        f"Host ABI `{sdk.abi_hash}`. Types: `i64`, `u32`... are integers, `str` is a "
        "string (pointer and length). In C a function is `rc_<name>` and a constant "
        "`RC_<NAME>`; in Zig and Nim both keep their names. Zig gives ids their own types "
        "(`EntityId`, `PlayerId`: a parameter named `id`/`entity`/`player`) and returns an "
        "optional where the host says NO_ENTITY / NO_PLAYER (column \"Zig ids\").",
        "",
        "### Host functions",
        "",
        *_functions(sdk),
        "",
        "### Hooks",
        "",
        "All optional. Each tick the engine calls them in this order, every mod in load "
        "order (dependencies first, then name) before the next hook.",
        "",
        *_hooks(sdk),
        "",
        "### Constants",
        "",
        *_constants(sdk),
        "",
        "### Limits (from `game/rules.py`)",
        "",
        "What the game keeps whatever a mod does; a mod that needs more must do less.",
        "",
        *_limits(),
        "",
        *_engine_facts(),
    ]
    return "\n".join(out) + "\n"


def replace_section(text: str, reference: str) -> str:
    """``text`` (the README) with the part between ``BEGIN`` and ``END`` replaced.

    Raises:
        ValueError: the markers are missing or out of order.
    """
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README lacks the lines {BEGIN!r} ... {END!r}")
    return text[:start + len(BEGIN)] + "\n\n" + reference + "\n" + text[end:]


def readme_is_stale(readme: Path = README, sdk: Sdk | None = None) -> bool:
    """True if ``readme``'s reference differs from ``render_reference`` (or has no markers)."""
    text = readme.read_text()
    try:
        return replace_section(text, render_reference(sdk)) != text
    except ValueError:
        return True


def write_readme(readme: Path = README, sdk: Sdk | None = None) -> bool:
    """Rewrite ``readme``'s reference; True if it changed.

    Raises:
        ValueError: the README lacks the markers.
    """
    text = readme.read_text()
    new = replace_section(text, render_reference(sdk))
    if new != text:
        readme.write_text(new)
    return new != text
