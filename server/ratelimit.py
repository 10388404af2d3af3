"""Token buckets counted in ticks of the server: how often a player may do something.

Sans-I/O: a bucket is told the current tick and answers whether one more message fits. The
I/O shell kicks the player when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from lockstep.policy import ServerPolicy

__all__ = ["TickBucket", "PlayerRates"]


class TickBucket:
    """Holds at most ``burst`` tokens and gains ``rate`` tokens per tick; a message takes one.

    Args:
        rate: tokens gained per tick (may be below 1: 0.25 is one every four ticks).
        burst: tokens held at most, and at the start.
        tick: the tick the bucket is made at.
    """

    __slots__ = ("rate", "burst", "_tokens", "_tick")

    def __init__(self, rate: float, burst: int, tick: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._tick = tick

    def take(self, tick: int) -> bool:
        """Spend one token at ``tick``; False (and nothing spent) if the bucket is empty."""
        if tick > self._tick:
            self._tokens = min(float(self.burst), self._tokens + (tick - self._tick) * self.rate)
            self._tick = tick
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


@dataclass(slots=True)
class PlayerRates:
    """One player's buckets: inputs, chat lines and desync claims."""

    inputs: TickBucket
    chat: TickBucket
    desync: TickBucket

    @classmethod
    def start(cls, policy: ServerPolicy, tick: int) -> PlayerRates:
        """Full buckets for a player who starts playing at ``tick``."""
        return cls(
            inputs=TickBucket(policy.input_rate, policy.input_burst, tick),
            chat=TickBucket(policy.chat_rate, policy.chat_burst, tick),
            desync=TickBucket(2.0 / policy.desync_interval, policy.desync_burst, tick),
        )
