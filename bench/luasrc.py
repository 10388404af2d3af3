"""Lua kernel sources (bench/kernels/lua/*.lua) for either dialect.

The kernels are written once, in the subset of Lua that LuaJIT (5.1) and Lua 5.4 share, with
bit operations spelled as macros: ``BAND(a, b)``, ``BOR``, ``BXOR``, ``SHR(a, n)``,
``SHL(a, n)``. Each dialect gets its native form: LuaJIT's ``bit`` library (compiled to
machine instructions by its JIT), Lua 5.4's operators. The kernels keep every value that
goes through a macro within [0, 2^31), where both agree.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["DIALECTS", "LUA_DIR", "expand", "source"]

LUA_DIR = Path(__file__).resolve().parent / "kernels" / "lua"
DIALECTS = ("luajit", "lua54")

_OPS = {"BAND": "&", "BOR": "|", "BXOR": "~", "SHR": ">>", "SHL": "<<"}
_JIT_NAMES = {"BAND": "band", "BOR": "bor", "BXOR": "bxor", "SHR": "rshift", "SHL": "lshift"}
_JIT_PRELUDE = ("local bit = require('bit'); local band, bor, bxor, rshift, lshift = "
                "bit.band, bit.bor, bit.bxor, bit.rshift, bit.lshift; ")
_MACRO = re.compile(r"\b(BAND|BOR|BXOR|SHR|SHL)\(")


def _split_args(text: str, start: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose '(' ends just before ``start``."""
    args, depth, begin, i = [], 0, start, start
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses after offset {start}")


def expand(text: str, dialect: str) -> str:
    """Expand the bit-operation macros of ``text`` for ``dialect`` ("luajit" or "lua54").

    Raises:
        ValueError: an unknown dialect, a macro without two arguments, or unbalanced parens.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown Lua dialect {dialect!r}; known: {DIALECTS}")
    out: list[str] = []
    pos = 0
    while (m := _MACRO.search(text, pos)) is not None:
        out.append(text[pos:m.start()])
        args, pos = _split_args(text, m.end())
        if len(args) != 2:
            raise ValueError(f"{m.group(1)} takes 2 arguments, got {len(args)}: {args}")
        a, b = (expand(arg, dialect) for arg in args)
        name = m.group(1)
        if dialect == "luajit":
            out.append(f"{_JIT_NAMES[name]}({a}, {b})")
        else:
            out.append(f"(({a}) {_OPS[name]} ({b}))")
    out.append(text[pos:])
    return "".join(out)


def source(name: str, dialect: str) -> str:
    """The kernel ``name`` (a file stem in kernels/lua) ready to run in ``dialect``."""
    text = expand((LUA_DIR / f"{name}.lua").read_text(), dialect)
    # The prelude goes on the first line so that line numbers in errors stay right.
    return (_JIT_PRELUDE if dialect == "luajit" else "") + text
