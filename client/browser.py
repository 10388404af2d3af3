"""The page's worker calls this, in Pyodide: ``client.driver.Driver`` with bytes converted and
results as JSON, plus how long the simulation took per tick.

JavaScript hands over ``Uint8Array``s (proxies with ``to_bytes``) or ``None``, and reads back
Python ``bytes`` (a proxy's ``toJs()`` makes them ``Uint8Array``s) and JSON strings: one
conversion each way, nothing of Pyodide imported here, so CPython runs it too. The clock read
here times the simulation for the debug overlay; nothing the simulation computes sees it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .driver import Driver

__all__ = ["BrowserClient"]

#: Weight of the newest tick in the running mean of simulation time per tick.
_SMOOTHING = 0.1


def _bytes(data: Any) -> bytes:
    """A JavaScript ``Uint8Array`` proxy (or Python bytes) as bytes."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return bytes(data.to_bytes())


class BrowserClient:
    """A ``Driver`` for the worker: see ``client.driver`` for what each call means.

    Args:
        name: the player's name.
        cached: JSON list of the SHA-256s the browser's mod cache holds.
        bot_seed: play as a bot with this seed (-1: a human player).
        ticks: leave after this many ticks (-1: stay).
        token: the token the server gave this player before (``""``: none).
    """

    def __init__(self, name: str, cached: str = "[]", bot_seed: int = -1,
                 ticks: int = -1, token: str = "") -> None:
        hashes = [h for h in json.loads(cached) if isinstance(h, str)]
        self.driver = Driver(name, hashes, bot_seed=None if bot_seed < 0 else bot_seed,
                             ticks=None if ticks < 0 else ticks, token=token)
        self.sim_ms = 0.0  # running mean of milliseconds per applied tick
        self.sim_ms_total = 0.0
        self._chat_sent = 0

    def start(self) -> bytes:
        """The ``Hello`` to send once the websocket is open."""
        return self.driver.start()

    def feed(self, data: Any) -> None:
        """One websocket message."""
        before = self.driver.follower.ticks if self.driver.follower else 0
        began = time.perf_counter()
        self.driver.receive(_bytes(data))
        ticks = (self.driver.follower.ticks if self.driver.follower else 0) - before
        if ticks > 0:
            ms = (time.perf_counter() - began) * 1000 / ticks
            self.sim_ms_total += ms * ticks
            self.sim_ms = ms if self.sim_ms == 0 else self.sim_ms + _SMOOTHING * (ms - self.sim_ms)

    def needs(self) -> list[str]:
        """SHA-256s to read from the cache before the next ``feed``."""
        return list(self.driver.needs)

    def give(self, sha256: str, elf: Any) -> None:
        """The cache's ELF for one of ``needs`` (None: not there)."""
        self.driver.cached(sha256, None if elf is None else _bytes(elf))

    def output(self) -> list[bytes]:
        """Messages to send now."""
        return self.driver.take_output()

    def store(self) -> list[bytes]:
        """Verified ELFs to put in the cache."""
        return self.driver.take_store()

    def press(self, buttons: int) -> None:
        """The buttons now held."""
        self.driver.press(buttons)

    def say(self, text: str) -> str:
        """Send a chat line; returns why not, or ""."""
        return self.driver.say(text) or ""

    def leave(self) -> None:
        """The page is closing."""
        self.driver.leave()

    def lost(self, reason: str) -> None:
        """The websocket closed without a ``Bye``."""
        self.driver.lost(reason)

    def ended(self) -> bool:
        """True once the game is over for this client."""
        return self.driver.ended is not None

    def token(self) -> str:
        """Our token on this server once welcomed (``""`` before): the page keeps it."""
        return self.driver.token

    def status_json(self) -> str:
        """``Driver.status`` with the simulation's time per tick, as JSON."""
        status = self.driver.status()
        status["sim_ms"] = round(self.sim_ms, 3)
        ticks = status["ticks"]
        status["sim_ms_mean"] = round(self.sim_ms_total / ticks, 3) if ticks else None
        return json.dumps(status)

    def view_json(self) -> str:
        """What to draw (``Driver.view``) as JSON, ``null`` before the game."""
        return json.dumps(self.driver.view())

    def chat_json(self) -> str:
        """The chat lines not yet returned, oldest first, as JSON."""
        new = self.driver.chat_seen - self._chat_sent
        self._chat_sent = self.driver.chat_seen
        lines = list(self.driver.chat)[-new:] if new > 0 else []
        return json.dumps(lines)
