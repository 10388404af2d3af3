"""Text from mods made safe to print: one line, escaped, bounded."""

from __future__ import annotations

import unicodedata

__all__ = ["printable", "clean"]


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def printable(text: str, limit: int) -> str:
    """``text`` as one console-safe line of at most about ``limit`` characters.

    Control characters (newlines, ESC and so ANSI sequences), format characters (bidi
    overrides, zero-width) and lone surrogates are written as escapes (``\\x1b``), so a mod
    can neither forge a line nor restyle the console; a longer text is cut and says so.
    """
    out = []
    size = 0
    for ch in text:
        piece = ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else _escape(ch)
        size += len(piece)
        if size > limit:
            out.append(f"... ({len(text)} characters)")
            break
        out.append(piece)
    return "".join(out)


def clean(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, every control, format or separator character
    but the space replaced by one: what the game keeps of a mod's label or HUD line, so every
    renderer gets one plain line (consoles still print it through ``printable``)."""
    return "".join(ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else " "
                   for ch in text[:limit])
