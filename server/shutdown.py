"""Stopping ``riscade serve`` on SIGINT or SIGTERM: save the world, tell every client why,
exit within a bound.

Before the game starts (while the mods build) a signal ends the start at once
(``stop_while_starting``). Then the first signal wakes the serve loop (``Stopper``);
``shut_down`` saves the world while the tick loop is between two ticks (nothing ticks during
the synchronous save), then ``GameServer.stop`` stops ticking, sends every client
``Bye(shutdown)`` with the reason ("server stopping (SIGTERM)") and closes, cutting off
whoever has not answered within ``STOP_BOUND`` seconds. A second signal while stopping
changes nothing: the bound holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

__all__ = ["STOP_BOUND", "Stopper", "Stoppable", "StartInterrupted", "stop_while_starting",
           "shut_down"]

log = logging.getLogger("riscade.server")

#: Seconds ``shut_down`` gives the clients to take their goodbye before it cuts them off.
STOP_BOUND = 5.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StartInterrupted(Exception):
    """A SIGINT or SIGTERM came while the server was starting (building the mods): there is
    no game to save and nobody to tell yet."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"stopped while starting ({signal_name})")
        self.signal = signal_name


def _interrupt(sig: int, _frame: object) -> None:
    raise StartInterrupted(signal.Signals(sig).name)


def stop_while_starting() -> None:
    """Until ``Stopper.install`` takes over, make SIGINT and SIGTERM raise
    ``StartInterrupted`` wherever the main thread is (a build in progress is killed with
    it: its sandbox dies with its parent)."""
    for sig in SIGNALS:
        signal.signal(sig, _interrupt)


class Stoppable(Protocol):
    """What ``shut_down`` needs of a server (``server.app.GameServer``)."""

    def save_world(self) -> str:
        """Save the world; what was done, in words."""
        ...

    async def stop(self, reason: str = ..., *, timeout: float = ...) -> None:
        """Say goodbye with ``reason`` and close within ``timeout`` seconds."""
        ...


class Stopper:
    """Turns the first SIGINT or SIGTERM into a set ``event`` and remembers which it was."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.signal: str | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Handle SIGINT and SIGTERM on ``loop`` (where the platform allows it)."""
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.got, sig)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give SIGINT and SIGTERM back to their default handling."""
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)

    def got(self, sig: int) -> None:
        """Signal ``sig`` arrived: the first one sets ``event``; later ones are ignored."""
        if self.signal is None:
            self.signal = signal.Signals(sig).name
            log.info("got %s: stopping", self.signal, extra={"event": "signal"})
            self.event.set()

    @property
    def reason(self) -> str:
        """What clients are told: ``server stopping (SIGTERM)``, or without the signal."""
        return f"server stopping ({self.signal})" if self.signal else "the server is stopping"


async def shut_down(server: Stoppable, reason: str, *, save: bool = True,
                    bound: float = STOP_BOUND) -> str | None:
    """Save the world (if ``save``), then stop ``server`` telling clients ``reason``, within
    about ``bound`` seconds. Returns what the save did, or None if there was none; a save
    that fails raises after the server has stopped (the clients are told all the same)."""
    saved: str | None = None
    failure: Exception | None = None
    if save:
        try:
            saved = server.save_world()
        except Exception as exc:  # noqa: BLE001 - reported after the goodbyes
            failure = exc
    await server.stop(reason, timeout=bound)
    if failure is not None:
        raise failure
    return saved
