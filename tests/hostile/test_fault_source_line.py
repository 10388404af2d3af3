"""A mod that faults on a live server: the server's console names the source file and line
(from the build's debug file), while what the simulation records and hashes stays the same
on clients, which have no debug files (a bot plays along and sees no desync)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from client.session import ClientOptions, play
from mods.elfslim import slim_elf
from tests.support.hostile_mods import HOSTILE_DIR

TICKS = 12


def marked_line(source: Path, marker: str) -> int:
    """The 1-based number of the line of ``source`` holding ``marker``."""
    lines = source.read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if marker in text)


async def test_fault_line_names_file_and_line_on_the_server_only(
        build_with: Callable, make_server, tmp_path: Path) -> None:
    prepared = build_with("crasher")
    assert not prepared.failed, prepared.failed
    crasher = next(m for m in prepared.served if m.image.name == "crasher")
    # The build kept its debug information beside the cache entry, out of the shipped ELF.
    assert crasher.debug is not None and crasher.debug.is_file()
    assert crasher.debug.parent == next(r.path for r in prepared.results
                                        if r.name == "crasher").parent
    assert b".debug_line" not in crasher.image.elf
    assert slim_elf(crasher.image.elf) == crasher.image.elf  # already as slim as it gets

    console: list[str] = []
    server = await make_server(prepared.served, tick_rate=20, on_log=console.append)
    bot = play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "c1", name="bot1",
                             ticks=TICKS, bot_seed=1))
    summary = await asyncio.wait_for(bot, 120)
    assert summary["desyncs"] == 0 and summary["ticks"] == TICKS

    line = marked_line(HOSTILE_DIR / "crasher" / "crasher.c", "FAULT HERE")
    faults = [text for text in console if text.startswith("[crasher] on_tick contained:")]
    assert faults, console
    first = faults[0]
    print(first)  # (shown with -s)
    assert "store fault at 0x10" in first and "<on_tick" in first, first
    assert f"crasher.c:{line} in " in first, first
    assert first.rsplit(" in ", 1)[1] in ("on_tick", "wreck"), first

    # What the simulation keeps (the same on every client) has no source location.
    sim = server.room.sim
    kept = [text for mod, text in sim.logs if mod == "crasher" and "contained" in text]
    assert kept and not any("crasher.c" in text for text in kept)
    assert all("crasher.c" not in f.message for f in sim.faults)
    assert first.startswith(f"[crasher] {kept[0]} at ")
