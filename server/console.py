"""The server's admin console: lines an operator types on ``riscade serve``'s stdin.

    /enable NAME   re-enable mod NAME, which the game disabled after repeated faults; it runs
                   again from the next tick on, on the server and every client (the name
                   travels in that tick's ``Tick.enables``)
    /mods          every mod with its fault count, and whether it is disabled
    /help          this list

``admin_command`` decides (no I/O); ``attach_console`` feeds it lines from a file descriptor.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

from lockstep.room import Room

__all__ = ["admin_command", "attach_console", "HELP"]

HELP = "commands: /enable NAME, /mods, /help"
#: Bytes of console input kept while waiting for a newline (a longer line is dropped).
LINE_MAX = 1024


def admin_command(room: Room, line: str) -> str:
    """Do what the admin's ``line`` says to ``room``; the reply to print."""
    words = line.split()
    if not words:
        return ""
    if words[0] == "/enable" and len(words) == 2:
        problem = room.enable_mod(words[1])
        if problem is not None:
            return f"cannot enable: {problem}"
        return f"mod {words[1]} is enabled again from tick {room.tick + 1}"
    if words[0] == "/mods" and len(words) == 1:
        return "; ".join(f"{name}: {faults} faults{' (disabled)' if off else ''}"
                         for name, faults, off in room.sim.mod_status()) or "no mods"
    return f"unknown command {line.strip()[:40]!r}; {HELP}"


def attach_console(fd: int, on_line: Callable[[str], None]) -> Callable[[], None] | None:
    """Call ``on_line`` with each line read from ``fd`` (a pipe or a terminal) in the running
    event loop; returns a function that detaches it, or None when ``fd`` cannot be watched
    (a regular file, /dev/null, a closed stdin: the server then runs without a console)."""
    loop = asyncio.get_running_loop()
    pending = bytearray()

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            detach()
            return
        pending.extend(data)
        while b"\n" in pending:
            raw, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            on_line(raw.decode("utf-8", "replace"))
        if len(pending) > LINE_MAX:
            pending.clear()

    def detach() -> None:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(fd)

    try:
        loop.add_reader(fd, readable)
    except (OSError, ValueError, NotImplementedError):
        return None
    return detach
