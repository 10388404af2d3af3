"""lockstep.names: invisible and bidi characters removed, compared without case or width.

(Who holds a name is ``Handshake``'s: tests/lockstep/test_handshake.py.)
"""

from __future__ import annotations

import pytest

from lockstep.names import clean_name, name_key


@pytest.mark.parametrize(("raw", "clean"), [
    ("bob", "bob"),
    ("b\u200bob", "bob"),  # zero-width space (Cf)
    ("\u202eboB", "boB"),  # right-to-left override (Cf)
    ("bo\u2066b\u2069", "bob"),  # bidi isolates
    ("\ufeffbob", "bob"),  # BOM
    ("bob\U000e0041", "bob"),  # tag character
    ("bo\u3164b", "bob"),  # Hangul filler (Lo, default-ignorable)
    ("bob\ufe0f", "bob"),  # variation selector (Mn, default-ignorable)
    ("a\u00a0\u2003\u3000b", "a b"),  # exotic spaces collapse to one
    ("e\u0301", "\u00e9"),  # NFC
    ("e\u200b\u0301", "\u00e9"),  # composes once the invisible character is gone
    ("\u200b\u200c\u200d", ""),
    ("\u2003\u3164", ""),
])
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_one_key_for_every_case_and_width() -> None:
    assert name_key("Bob") == name_key("BOB") == name_key("\uff42\uff4f\uff42") == "bob"
    assert name_key("Stra\u00dfe") == name_key("STRASSE")
    assert name_key("bob") != name_key("bop")
