"""The ``--bot`` player: pseudo-random buttons from a seed, shared by every client shell.

``client.driver`` plays it for both shells (``client.session``'s asyncio client and the
browser's worker), the same way from the same seed: a new choice every fourth tick, sent only
when it changed.
"""

from __future__ import annotations

import random

__all__ = ["Bot", "bot_buttons"]

#: A bot chooses new buttons on the ticks whose count modulo this is 1.
BOT_PERIOD = 4


def bot_buttons(rng: random.Random) -> int:
    """One of the eight directions, with fire now and then."""
    direction = rng.choice((1, 2, 4, 8, 1 | 4, 1 | 8, 2 | 4, 2 | 8))
    return direction | (16 if rng.random() < 0.1 else 0)


class Bot:
    """Buttons for a bot seeded with ``seed``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.buttons = 0

    def after_tick(self, ticks: int) -> int | None:
        """The buttons to send after the ``ticks``-th tick applied, or None (no change)."""
        if ticks % BOT_PERIOD != 1:
            return None
        new = bot_buttons(self.rng)
        if new == self.buttons:
            return None
        self.buttons = new
        return new
