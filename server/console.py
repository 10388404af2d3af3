"""The server's admin console: lines an operator types on ``riscade serve``'s stdin.

The commands (``/kick``, ``/ban``, ``/save``, ``/reload``, ``/enable``, ``/mods``, ``/help``)
are ``server.admin``'s table, the same an admin uses in chat. ``admin_command`` runs one line
(no I/O); ``attach_console`` feeds it lines from a file descriptor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from .admin import HELP, Target, run
from .names import shown

__all__ = ["admin_command", "attach_console", "HELP"]

log = logging.getLogger("riscade.server")

#: Bytes of console input kept while waiting for a newline (a longer line is dropped).
LINE_MAX = 1024


def admin_command(server: Target, line: str, reply: Callable[[str], None] = print) -> str:
    """Do what the operator's ``line`` says to ``server``, and log it (logger
    ``riscade.server``); the reply to print (a later outcome, as a rebuild's, goes to
    ``reply``)."""
    answer = run(server, line, by="console", reply=reply)
    if answer:
        log.warning("console: %s -> %s", shown(line.strip(), 200), shown(answer, 300))
    return answer


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
