"""lockstep.admission: connections per address, lockouts after wrong secrets, and the origins
of browser pages."""

from __future__ import annotations

import pytest

from lockstep.admission import (
    MAX_TRACKED_ADDRESSES,
    Admission,
    Lockout,
    address_key,
    origin_allowed,
)


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


# --- Lockout: wrong secrets per address, in ticks -------------------------------------------


def test_the_limit_th_wrong_secret_within_the_window_locks_the_address_out() -> None:
    lock = Lockout(limit=3, window=100, ticks=50)
    assert not lock.wrong("10.0.0.1", 10) and not lock.wrong("10.0.0.1", 20)
    assert lock.locked("10.0.0.1", 20) == 0
    assert lock.wrong("10.0.0.1", 30)  # the third within 100 ticks
    assert lock.locked("10.0.0.1", 30) == 50
    assert lock.locked("10.0.0.1", 79) == 1
    assert lock.locked("10.0.0.1", 80) == 0  # 50 ticks: 30..79
    assert lock.locked("10.0.0.2", 30) == 0  # another address is not concerned


def test_wrong_secrets_spread_wider_than_the_window_never_lock() -> None:
    lock = Lockout(limit=3, window=100, ticks=50)
    assert not any(lock.wrong("10.0.0.1", t) for t in range(0, 10_000, 50))
    assert lock.locked("10.0.0.1", 10_000) == 0
    assert lock.tracked == 1


def test_no_limit_never_locks() -> None:
    lock = Lockout(limit=None, window=100, ticks=50)
    assert not any(lock.wrong("10.0.0.1", 1) for _ in range(1000))
    assert lock.locked("10.0.0.1", 1) == 0 and lock.tracked == 0


def test_an_ipv6_host_is_locked_out_by_its_64_network() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert address_key("not an address") == "not an address"
    lock = Lockout(limit=2, window=100, ticks=50)
    lock.wrong("2001:db8:1:2::1", 5)
    assert lock.wrong("2001:db8:1:2::ffff", 6)
    assert lock.locked("2001:db8:1:2:1234::9", 6) == 50
    assert lock.locked("2001:db8:1:3::1", 6) == 0


def test_a_crowd_of_addresses_is_forgotten_oldest_first_but_lockouts_last() -> None:
    lock = Lockout(limit=2, window=1_000_000, ticks=1_000_000)
    lock.wrong("10.9.9.9", 0)
    assert lock.wrong("10.9.9.9", 0)  # locked out
    for i in range(MAX_TRACKED_ADDRESSES + 500):
        lock.wrong(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 1)
    assert lock.tracked == MAX_TRACKED_ADDRESSES
    assert lock.locked("10.9.9.9", 2) > 0
