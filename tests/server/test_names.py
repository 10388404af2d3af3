"""Player names: invisible and bidi characters removed, case-blind uniqueness, escaped logs."""

from __future__ import annotations

import pytest

from server.admission import Admission
from server.names import clean_name, name_key, shown


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


def test_names_are_unique_without_case_width_or_invisible_characters() -> None:
    adm = Admission(None)
    assert adm.claim_name("Bob", 1) == ("Bob", "")
    for other in ("bob", "BOB", "\uff42\uff4f\uff42", "B\u200bob", "\u202eBob"):
        name, why = adm.claim_name(other, 2)
        assert name is None and "taken" in why
    name, why = adm.claim_name("\u200b\u200d", 3)
    assert name is None and "empty" in why
    adm.release_name("Bob", 2)  # not the holder: nothing changes
    assert adm.claim_name("bob", 2)[0] is None
    adm.release_name("Bob", 1)
    assert adm.claim_name("bob", 2) == ("bob", "")
    assert name_key("Straße") == name_key("STRASSE")


def test_shown_escapes_and_bounds() -> None:
    assert shown("a\u202eb\nc") == "'a\\u202eb\\nc'"
    assert shown("x" * 100, limit=10) == "'xxxxxxxxxx'..."
