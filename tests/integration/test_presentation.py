"""Presentation over real websockets: the bundled mods dress the arena on the server, every
client computes the same presentation state (it is in the hashed world: no desync), and the
text view of ``riscade connect`` shows it: HUD, scoreboard, legend, labels, /help."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from client.cli import main as connect_main
from server.startup import Prepared
from tests.integration.test_chat import url


async def test_connect_shows_hud_scoreboard_labels_and_the_games_help(
    bundled: Prepared, make_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await make_server(bundled.served, tick_rate=60)
    status = await asyncio.to_thread(connect_main, [
        url(server), "--bot", "--ticks", "120", "--name", "viewer",
        "--cache", str(tmp_path / "cache"), "--reports", str(tmp_path / "reports"),
        "--say", "/help",
    ])
    out = capsys.readouterr().out.splitlines()
    assert status == 0, out[-5:]  # 0: no desync
    assert "[greeter to you] Welcome, viewer! Type /help for commands." in out
    pid = json.loads(out[-1])["player_id"]  # the summary comes last
    views = [i for i, line in enumerate(out) if line.startswith("tick ")]
    assert views, out[:20]
    after = out[views[-1]:]
    assert any(line.startswith("| Score: ") for line in after)
    assert any(line.startswith("Coins: p") and f"p{pid} " in line for line in after)
    assert "kinds: o coin" in after
    labels = next(line for line in after if line.startswith("labels: "))
    assert f"P{pid} (" in labels and "+1 (" in labels  # movement's and pickups' labels
    assert "[Game to you] Commands (3):" in out
    assert "[Game to you] /top - who leads (greeter)" in out
