"""Player names: cleaned of what a reader cannot see, compared without case, shown escaped.

A name arrives already checked by the protocol (no control characters, no surrounding spaces,
at most ``Limits.max_name_length`` characters). What is left to the handshake
(``lockstep.handshake``) is what looks like
nothing or like someone else: format characters (zero-width spaces and joiners, bidi
controls such as U+202E, the BOM, tag characters), the other default-ignorable characters
(Hangul fillers, variation selectors, the combining grapheme joiner), and exotic spaces.
"""

from __future__ import annotations

import unicodedata

__all__ = ["clean_name", "name_key"]

#: Default-ignorable code points outside category Cf (Unicode DerivedCoreProperties): they
#: render as nothing.
_IGNORABLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0]
    + list(range(0x180B, 0x1810))
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0100, 0xE01F0))
)


def clean_name(raw: str) -> str:
    """``raw`` in NFC with format and other invisible characters removed, every run of
    spaces (category Z*) made one ASCII space, and no space at either end. May be ``""``:
    the caller refuses that."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", raw):
        category = unicodedata.category(ch)
        if category in ("Cf", "Cc", "Cs", "Co", "Cn") or ord(ch) in _IGNORABLE:
            continue
        if category.startswith("Z") or ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(ch)
    # Removing characters can leave a composable pair side by side: compose again.
    return unicodedata.normalize("NFC", "".join(out)).strip(" ")


def name_key(name: str) -> str:
    """What two names must differ in to both be used at once: their case-folded NFKC form
    (so ``Bob``, ``bob`` and ``ｂｏｂ`` are one name)."""
    return unicodedata.normalize("NFKC", name).casefold()

