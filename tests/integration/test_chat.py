"""Chat on a real server with real clients on 127.0.0.1: players' lines and mods' lines.

Mods' lines (``send_chat``) never travel: each client's own simulation produces the lines of
every tick it applies, the same the server's produced, and shows its player those addressed
to it or to everyone.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from client.cli import main as connect_main
from client.session import ClientOptions, play
from game.simulation import ALL_PLAYERS, ModChat
from lockstep.follower import ChatLine, Follower
from server.startup import Prepared


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}"


async def wait_for_player(server, name: str) -> int:
    """The id of the player called ``name`` once it is in the server's world."""
    for _ in range(600):
        for pid, pname in server.room.players.items():
            if pname == name and pid in server.room.sim.world.players:
                return pid
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never joined")


async def test_players_see_mod_and_player_chat(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server_lines: dict[int, list[ModChat]] = {}
    logs: list[str] = []
    holder = []
    server = await make_server(
        bundled.served, tick_rate=60, on_log=logs.append,
        on_tick=lambda t, h: server_lines.__setitem__(t, list(holder[0].room.sim.mod_chat)),
    )
    holder.append(server)
    seen: dict[str, list[ChatLine]] = {"ann": [], "bob": []}
    applied: dict[str, list[int]] = {"ann": [], "bob": []}

    def options(name: str, **kwargs) -> ClientOptions:
        def on_tick(follower: Follower) -> None:
            applied[name].append(follower.tick)
        return ClientOptions(url(server), tmp_path / name, name=name, on_tick=on_tick,
                             on_chat=seen[name].append, **kwargs)

    # A client that joins applies the ticks that piled up while it loaded the snapshot
    # before it sees the answers to its lines: on a loaded machine that backlog was over 27
    # ticks (CI saw ann leave before the answer to /score), and 150 were once too few at a
    # load of 8. 600 ticks leave room for a 9 s backlog.
    bob_task = asyncio.create_task(play(options("bob", ticks=900)))
    bob = await wait_for_player(server, "bob")
    # ann is a bot that also chats: a plain line, then two greeter commands.
    ann_summary = await play(options("ann", ticks=600, bot_seed=1,
                                     say=("hello all", "/top", "/score")))
    bob_summary = await bob_task
    ann = ann_summary["player_id"]
    assert ann_summary["desyncs"] == bob_summary["desyncs"] == 0

    def texts(name: str, **match) -> list[str]:
        return [line.text for line in seen[name]
                if all(getattr(line, k) == v for k, v in match.items())]

    # The greeter's lines: a private welcome, the join announced to everyone, answers to
    # commands for the one who asked.
    welcome, top, score = texts("ann", mod="greeter", private=True)
    assert welcome == "Welcome, ann! Type /help for commands."  # player_name
    assert top.startswith(("ann ", "bob ")) and " leads with " in top
    assert score.startswith("Your score: ")
    assert "ann joined (2 playing)" in texts("ann", mod="greeter", private=False)
    assert "ann joined (2 playing)" in texts("bob", mod="greeter", private=False)
    # Players' lines reach everyone; commands a mod consumed reach no one.
    assert texts("ann", player=ann) == texts("bob", player=ann) == ["hello all"]
    # bob sees none of ann's private lines, only his own welcome.
    assert texts("bob", mod="greeter", private=True) == [
        "Welcome, bob! Type /help for commands."]

    # Every tick a client applied, it showed exactly the lines the server's mods sent to it
    # or to everyone in that tick.
    for name, pid in (("ann", ann), ("bob", bob)):
        assert applied[name]
        for tick in applied[name]:
            mine = [(line.mod, line.text) for line in seen[name]
                    if line.tick == tick and line.mod is not None]
            assert mine == [(m.mod, m.text) for m in server_lines[tick]
                            if m.player in (ALL_PLAYERS, pid)], (name, tick)

    # The summary counts and lists them; the server console shows every line.
    assert ann_summary["chat_lines"] == len(seen["ann"])
    assert ann_summary["chat"] == [line.as_dict() for line in seen["ann"]]
    assert {"tick": seen["ann"][0].tick, "mod": "greeter", "private": True,
            "text": "Welcome, ann! Type /help for commands."} in ann_summary["chat"]
    assert f"[greeter] chat to player {ann}: Welcome, ann! Type /help for commands." in logs
    assert "[greeter] chat to everyone: ann joined (2 playing)" in logs


async def test_headless_connect_prints_only_a_summary_with_chat(
    bundled: Prepared, make_server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await make_server(bundled.served, tick_rate=60)
    status = await asyncio.to_thread(connect_main, [
        url(server), "--headless", "--bot", "--ticks", "600", "--name", "cli",
        "--cache", str(tmp_path / "cache"), "--reports", str(tmp_path / "reports"),
        "--say", "hi from the cli",
    ])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert len(out) == 1, out  # nothing but the summary on stdout
    summary = json.loads(out[0])
    pid = summary["player_id"]
    assert summary["chat_lines"] == len(summary["chat"]) >= 3
    texts = [(line.get("mod"), line.get("player"), line["text"]) for line in summary["chat"]]
    assert ("greeter", None, "Welcome, cli! Type /help for commands.") in texts
    assert (None, pid, "hi from the cli") in texts


def test_connect_refuses_an_unsayable_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        connect_main(["ws://127.0.0.1:1", "--say", "bell\a"])
    assert info.value.code == 2
    assert "--say" in capsys.readouterr().err
