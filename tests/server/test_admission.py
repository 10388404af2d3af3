"""Per-address connection counts, origins and token buckets (sans-I/O)."""

from __future__ import annotations

import pytest

from lockstep.policy import ServerPolicy
from server.admission import Admission, origin_allowed
from server.ratelimit import PlayerRates, TickBucket


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


def test_tick_bucket_refills_per_tick_up_to_its_burst() -> None:
    b = TickBucket(0.5, 3, tick=10)
    assert [b.take(10) for _ in range(4)] == [True, True, True, False]
    assert not b.take(11)  # half a token
    assert b.take(12)
    assert not b.take(12)
    assert [b.take(1000) for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_player_rates_follow_the_policy() -> None:
    policy = ServerPolicy(input_rate=1, input_burst=2, chat_rate=0.5, chat_burst=1,
                          desync_interval=10, desync_burst=1)
    rates = PlayerRates.start(policy, tick=0)
    assert rates.inputs.take(0) and rates.inputs.take(0) and not rates.inputs.take(0)
    assert rates.chat.take(0) and not rates.chat.take(1) and rates.chat.take(2)
    assert rates.desync.take(0) and not rates.desync.take(4) and rates.desync.take(5)


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="input_rate"):
        ServerPolicy(input_rate=0)
    with pytest.raises(ValueError, match="outbox_messages"):
        ServerPolicy(outbox_messages=True)
    assert ServerPolicy(max_conns_per_address=None, ping_interval=None).ping_interval is None
