"""lockstep.admission: connections per address and the origins of browser pages."""

from __future__ import annotations

import pytest

from lockstep.admission import Admission, origin_allowed


def test_per_address_cap_counts_open_connections() -> None:
    adm = Admission(2)
    assert adm.connect("10.0.0.1") and adm.connect("10.0.0.1")
    assert not adm.connect("10.0.0.1")
    assert adm.connect("10.0.0.2")
    adm.disconnect("10.0.0.1")
    assert adm.connect("10.0.0.1")
    assert adm.connections("10.0.0.1") == 2
    unlimited = Admission(None)
    assert all(unlimited.connect("h") for _ in range(1000))


@pytest.mark.parametrize(("origin", "host", "allowed", "ok"), [
    ("http://game.example", "game.example:8765", None, True),
    ("https://GAME.example:443", "game.example", None, True),
    ("https://evil.example", "game.example:8765", None, False),
    ("http://127.0.0.1:8000", "127.0.0.1:8765", None, True),
    ("http://[::1]:8000", "[::1]:8765", None, True),
    ("null", "game.example", None, False),
    ("http://game.example", None, None, False),
    ("https://evil.example", "game.example", ("https://evil.example",), True),
    ("https://evil.example/", "game.example", ("https://Evil.example",), True),
    ("https://other.example", "game.example", ("https://evil.example",), False),
    ("http://game.example", "game.example", ("https://evil.example",), False),
    ("https://any.example", "game.example", ("*",), True),
])
def test_origin_allowed(origin: str, host: str | None, allowed, ok: bool) -> None:
    assert origin_allowed(origin, host, allowed) is ok
