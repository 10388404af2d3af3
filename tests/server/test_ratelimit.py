"""Token buckets counted in ticks, and the policy they follow (sans-I/O)."""

from __future__ import annotations

import pytest

from lockstep.policy import ServerPolicy
from server.ratelimit import PlayerRates, TickBucket


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
