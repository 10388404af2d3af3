"""Each hostile mod on a real server over real websockets, beside the bundled mods, while two
honest bots play: the server keeps ticking, the bots see 0 desyncs and agree with the server's
hashes, no bundled mod faults, the offender is contained, and the console gets a bounded,
escaped account of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from client.session import ClientOptions, play
from game.rules import MAX_FAULTS

TICKS = 40


@pytest.mark.parametrize("hostile", ["storm", "spinner", "flooder", "vandal", "hoarder"])
async def test_a_hostile_mod_is_contained_while_bots_play(
    build_with: Callable, make_server, tmp_path: Path, hostile: str
) -> None:
    prepared = build_with(hostile)
    assert not prepared.failed, prepared.failed
    console: list[str] = []
    server = await make_server(prepared.served, tick_rate=20, on_log=console.append)
    bots = [play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / f"c{i}",
                               name=f"bot{i}", ticks=TICKS, bot_seed=i)) for i in (1, 2)]
    summaries = await asyncio.wait_for(asyncio.gather(*bots), 120)
    assert server.running
    for summary in summaries:
        assert summary["desyncs"] == 0 and summary["ticks"] == TICKS
    status = {name: (faults, disabled) for name, faults, disabled
              in server.room.sim.mod_status()}
    for honest in ("movement", "pickups", "greeter"):
        assert status[honest] == (0, False), (honest, status)
    assert status[hostile] == (MAX_FAULTS, True), status
    # A bounded account: one line per fault at most a few per tick, nothing unescaped.
    ticks = server.room.tick
    mine = [line for line in console if line.startswith(f"[{hostile}]")]
    assert 0 < len(mine) <= 20 * ticks
    assert any("contained" in line and "(mod disabled)" in line for line in mine)
    for line in console:
        assert "\x1b" not in line and "\n" not in line and len(line) < 1000


def test_mod_chat_on_the_console_is_escaped() -> None:
    # A mod's chat keeps format characters for players (names, scripts), but the server's
    # console shows them escaped: a bidi override cannot reorder a console line.
    from game.simulation import ModChat
    from server.app import GameServer

    said: list[str] = []
    server = GameServer([], on_log=said.append)
    server.room.sim.mod_chat = [ModChat("m", -1, "free \u202ecoins\u200b")]
    server._print_mod_chat()
    assert said == ["[m] chat to everyone: free \\u202ecoins\\u200b"]
