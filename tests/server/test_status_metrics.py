"""``GET /status`` and ``GET /metrics`` on a real server's port while real clients play.

The metrics are read by ``prometheus_client``'s own parser and checked against what the test
did and against the clients' own simulations (each client's VM retires the same instructions
as the server's: the count at a tick is the client's, not the server's, number).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from client.session import ClientOptions, play
from game.rules import MAX_FAULTS
from game.simulation import ModImage
from lockstep import entry_for
from lockstep.follower import Follower
from mods.host_api import HOST_API
from protocol import Desync, compress_mod
from server.app import GameServer, ServedMod
from server.metrics import TICK_BUCKETS, ServerMetrics
from tests.hostile.clients_kit import Attacker


def served(image: ModImage) -> ServedMod:
    entry = entry_for(image, version="0.1", language="c", dependencies=(),
                      host_abi=HOST_API.abi_hash())
    return ServedMod(entry, image, compress_mod(image.elf))


def fetch(port: int, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


async def get_json(port: int, path: str = "/status") -> Any:
    code, ctype, body = await asyncio.to_thread(fetch, port, path)
    assert (code, ctype) == (200, "application/json"), body
    return json.loads(body)


async def get_metrics(port: int) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """Every sample, by family, keyed by (sample name, labels)."""
    code, ctype, body = await asyncio.to_thread(fetch, port, "/metrics")
    assert code == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8"
    return {family.name: {(s.name, tuple(sorted(s.labels.items()))): s.value
                          for s in family.samples}
            for family in text_string_to_metric_families(body.decode("utf-8"))}


async def until(condition: Any, what: str, tries: int = 1200) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_status_and_metrics_while_two_bots_play(
    walker: ModImage, faulty: ModImage, tmp_path: Path
) -> None:
    server = GameServer([served(walker), served(faulty)], tick_rate=50,
                        host_abi=HOST_API.abi_hash(), on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    # What each client's own simulation says after each tick it applies.
    seen: dict[str, dict[int, tuple[int, int]]] = {"ann": {}, "bob": {}}

    def options(name: str, seed: int) -> ClientOptions:
        def on_tick(follower: Follower) -> None:
            sim = follower.sim
            seen[name][follower.tick] = (sim.machine("walker").instret,
                                         sim.machine("faulty").instret)
        return ClientOptions(f"ws://127.0.0.1:{port}", tmp_path / name, name=name,
                             bot_seed=seed, on_tick=on_tick, report_dir=tmp_path / "reports")

    bots = [asyncio.create_task(play(options("ann", 1))),
            asyncio.create_task(play(options("bob", 2)))]
    try:
        await until(lambda: len(server.playing) == 2 and all(seen.values()), "two players")
        status = await get_json(port)
        assert status["running"] is True and status["failure"] is None
        assert status["tick_rate"] == 50 and status["connections"] == 2
        assert sorted((p["name"], p["playing"]) for p in status["players"]) == \
            [("ann", True), ("bob", True)]
        assert [m["name"] for m in status["mods"]] == ["walker", "faulty"]
        assert status["mods"][0]["sha256"] == served(walker).entry.sha256
        assert status["version"] and status["uptime_seconds"] > 0

        # Stop ticking at a known tick, and let both clients apply it.
        server.stop_after = server.room.tick + 10
        await until(lambda: not server.running, "the tick loop stopped")
        last = server.room.tick
        await until(lambda: all(last in s for s in seen.values()), "the clients at the end")

        metrics = await get_metrics(port)
        assert metrics["riscade_players"] == {("riscade_players", ()): 2}
        assert metrics["riscade_tick"] == {("riscade_tick", ()): last}
        assert metrics["riscade_open_connections"] == {("riscade_open_connections", ()): 2}
        assert metrics["riscade_connections"] == {("riscade_connections_total", ()): 2}
        assert metrics["riscade_desyncs_reported"] == {
            ("riscade_desyncs_reported_total", ()): 0}
        # Every tick since the start was timed, in cumulative buckets.
        ticks = metrics["riscade_tick_duration_seconds"]
        assert ticks[("riscade_tick_duration_seconds_count", ())] == last
        assert ticks[("riscade_tick_duration_seconds_bucket", (("le", "+Inf"),))] == last
        counts = [ticks[("riscade_tick_duration_seconds_bucket", (("le", repr(b)),))]
                  for b in TICK_BUCKETS]
        assert counts == sorted(counts) and counts[-1] <= last
        assert 0 < ticks[("riscade_tick_duration_seconds_sum", ())]
        # Instructions per mod: what the clients' own machines retired by that tick.
        instructions = metrics["riscade_mod_instructions"]
        for name, index in (("walker", 0), ("faulty", 1)):
            for client in ("ann", "bob"):
                assert instructions[("riscade_mod_instructions_total", (("mod", name),))] \
                    == seen[client][last][index] > 0
        # faulty dereferences NULL from tick 3 on: MAX_FAULTS faults, then it is disabled.
        faults = metrics["riscade_mod_faults"]
        assert faults == {("riscade_mod_faults_total", (("mod", "walker"),)): 0,
                          ("riscade_mod_faults_total", (("mod", "faulty"),)): MAX_FAULTS}
        assert metrics["riscade_mod_disabled"] == {
            ("riscade_mod_disabled", (("mod", "walker"),)): 0,
            ("riscade_mod_disabled", (("mod", "faulty"),)): 1}
        status = await get_json(port)
        assert status["running"] is False and status["tick"] == last
        assert [(m["state"], m["faults"]) for m in status["mods"]] == \
            [("enabled", 0), ("disabled", MAX_FAULTS)]
        sent = metrics["riscade_sent_bytes"][("riscade_sent_bytes_total", ())]
        mod_bytes = metrics["riscade_mod_bytes_sent"][("riscade_mod_bytes_sent_total", ())]
    finally:
        await server.stop()
    summaries = await asyncio.gather(*bots)
    assert all(s["desyncs"] == 0 for s in summaries)
    received = sum(s["mod_bytes_received"] for s in summaries)
    assert mod_bytes == received > 0  # both downloaded both mods: no warm cache
    assert sent > mod_bytes + last * 2 * 10  # plus Welcome, snapshots and every tick


async def test_routes_on_an_empty_server(tmp_path: Path) -> None:
    server = GameServer([], host_abi=HOST_API.abi_hash(), on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    try:
        status = await get_json(port)
        assert status["players"] == [] and status["mods"] == []
        metrics = await get_metrics(port)
        assert metrics["riscade_players"] == {("riscade_players", ()): 0}
        assert metrics["riscade_mod_instructions"] == {}
        assert metrics["riscade_sent_bytes"] == {("riscade_sent_bytes_total", ()): 0}
        (version,) = metrics["riscade_build_info"]
        assert dict(version[1])["version"] == status["version"]
        code, _, body = await asyncio.to_thread(fetch, port, "/status", "HEAD")
        assert (code, body) == (200, b"")
        code, _, _ = await asyncio.to_thread(fetch, port, "/status", "POST")
        assert code == 405
        for path in ("/status/", "/metrics/x", "/STATUS", "/status%00"):
            code, _, _ = await asyncio.to_thread(fetch, port, path)
            assert code == 404, path
        code, _, body = await asyncio.to_thread(fetch, port, "/status?x=" + "a" * 100)
        assert code == 200 and json.loads(body)["running"] is True
    finally:
        await server.stop()


def test_tick_buckets_are_inclusive_upper_bounds() -> None:
    m = ServerMetrics()
    for seconds in (0.0, TICK_BUCKETS[0], TICK_BUCKETS[0] * 1.01, 99.0):
        m.observe_tick(seconds)
    assert m.tick_count == 4 and m.tick_buckets[0] == 2 and m.tick_buckets[1] == 1
    assert sum(m.tick_buckets) == 3  # 99 s is above every bound: only in +Inf


def test_hostile_label_values_survive_the_parser() -> None:
    from server.metrics import _family

    nasty = 'a"b\\c\nd} x{'
    text = "\n".join(_family("t_total", "counter", "help", [("", {"mod": nasty}, 3)])) + "\n"
    (family,) = text_string_to_metric_families(text)
    (sample,) = family.samples
    assert sample.labels == {"mod": nasty} and sample.value == 3


@pytest.mark.parametrize("name", ['"},"x":{"', "<script>é ünï</script>", "ann\\"])
async def test_status_json_survives_any_player_name(name: str, walker: ModImage,
                                                    tmp_path: Path) -> None:
    server = GameServer([served(walker)], tick_rate=50, host_abi=HOST_API.abi_hash(),
                        on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    try:
        bot = asyncio.create_task(play(ClientOptions(
            f"ws://127.0.0.1:{port}", tmp_path / "c", name=name, ticks=None,
            report_dir=tmp_path / "r")))
        await until(lambda: len(server.playing) == 1, "the player")
        status = await get_json(port)
        (player,) = status["players"]
        assert player["name"] == server.room.players[player["id"]]
    finally:
        await server.stop()
    await bot


async def test_desync_claims_are_counted(walker: ModImage) -> None:
    """A hand-played client claims two desyncs: the counter says 2, and a kicked flood
    counts as what it is too."""
    server = GameServer([served(walker)], tick_rate=50, host_abi=HOST_API.abi_hash(),
                        on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    try:
        mallory = await Attacker.open(server)
        snap = await mallory.join(server)
        for _ in range(2):
            await mallory.send(Desync(tick=snap.tick, state_hash="0" * 64))
        await until(lambda: server.stats["desyncs_reported"] == 2, "two claims")
        metrics = await get_metrics(port)
        assert metrics["riscade_desyncs_reported"] == {
            ("riscade_desyncs_reported_total", ()): 2}
        assert metrics["riscade_kicked"] == {("riscade_kicked_total", ()): 0}
        for _ in range(10):  # over the burst: kicked
            await mallory.send(Desync(tick=snap.tick, state_hash="0" * 64))
        await mallory.ending()
        metrics = await get_metrics(port)
        assert metrics["riscade_kicked"] == {("riscade_kicked_total", ()): 1}
        assert metrics["riscade_desyncs_reported"][("riscade_desyncs_reported_total", ())] <= 2 + 4
    finally:
        await server.stop()
