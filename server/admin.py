"""The admin commands: one table for the server's console and for admins' chat.

    /kick NAME     the player leaves now (its connection gets ``Bye(kicked)``), no grace period
    /ban NAME      as /kick, and its address and token are refused for the server's life
    /save          write the world file now (``GameServer.save_world``)
    /reload MOD    rebuild mod MOD from its folder and hot-reload it if its build changed
    /enable MOD    re-enable mod MOD, which the game disabled after repeated faults; it runs
                   again from the next tick on, on the server and every client (the name
                   travels in that tick's ``Tick.enables``)
    /mods          every mod with its fault count, and whether it is disabled
    /help          this list (on the console; in chat ``/help`` is the game's)

A line from an admin's chat whose first word is one of these (but ``/help``) never reaches the
game: ``is_admin_line`` says so, the server runs it, and answers the admin alone with a
``Notice``; anyone else who types one gets "not allowed", and nothing happens. ``run`` decides
nothing itself: each command calls the ``Target`` (``server.app.GameServer``), which logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lockstep.room import Room

__all__ = ["Target", "Command", "COMMANDS", "HELP", "run", "is_admin_line"]

Reply = Callable[[str], None]


class Target(Protocol):
    """What the admin commands act on (``server.app.GameServer``)."""

    room: Room

    def kick(self, name: str, *, ban: bool = False, by: str = "console") -> str:
        """Make player ``name`` leave now (and ban it); the answer."""

    def save_world(self) -> str:
        """Write the world now; the answer."""

    def reload_mod(self, name: str, reply: Reply) -> str:
        """Start rebuilding mod ``name``; the answer now, and the outcome later to
        ``reply``."""


@dataclass(frozen=True)
class Command:
    """One admin command: its arguments' names, what it does, and how."""

    args: tuple[str, ...]
    help: str
    run: Callable[[Target, list[str], str, Reply], str]  # target, args, by whom, reply

    def usage(self, name: str) -> str:
        """``/name ARG...``."""
        return " ".join([name, *self.args])


def _enable(target: Target, args: list[str], by: str, reply: Reply) -> str:
    problem = target.room.enable_mod(args[0])
    if problem is not None:
        return f"cannot enable: {problem}"
    return f"mod {args[0]} is enabled again from tick {target.room.tick + 1}"


def _mods(target: Target, args: list[str], by: str, reply: Reply) -> str:
    return "; ".join(f"{name}: {faults} faults{' (disabled)' if off else ''}"
                     for name, faults, off in target.room.sim.mod_status()) or "no mods"


COMMANDS: dict[str, Command] = {
    "/kick": Command(("NAME",), "the player leaves now",
                     lambda t, a, by, r: t.kick(a[0], by=by)),
    "/ban": Command(("NAME",), "kick, and refuse its address and token from now on",
                    lambda t, a, by, r: t.kick(a[0], ban=True, by=by)),
    "/save": Command((), "write the world file now", lambda t, a, by, r: t.save_world()),
    "/reload": Command(("MOD",), "rebuild a mod and hot-reload it",
                       lambda t, a, by, r: t.reload_mod(a[0], r)),
    "/enable": Command(("MOD",), "re-enable a mod disabled after faults", _enable),
    "/mods": Command((), "each mod's faults", _mods),
}

HELP = "commands: " + ", ".join(c.usage(n) for n, c in COMMANDS.items()) + ", /help"


def is_admin_line(text: str) -> bool:
    """True if chat ``text`` is an admin command (its first word names one)."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0] in COMMANDS


def run(target: Target, line: str, *, by: str = "console",
        reply: Reply = lambda text: None) -> str:
    """Do what the admin's ``line`` says; the answer (``""`` for an empty line). A player
    NAME may hold spaces: it is the rest of the line."""
    words = line.split()
    if not words:
        return ""
    command = COMMANDS.get(words[0])
    if words[0] == "/help" or command is None:
        known = words[0] == "/help" and len(words) == 1
        return HELP if known else f"unknown command {line.strip()[:40]!r}; {HELP}"
    args = words[1:]
    if command.args == ("NAME",) and args:
        args = [line.strip().split(maxsplit=1)[1]]
    if len(args) != len(command.args):
        return f"usage: {command.usage(words[0])}"
    return command.run(target, args, by, reply)
