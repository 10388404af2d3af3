"""Lockstep on a real server with real bot clients on 127.0.0.1 and the bundled mods."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

from client.session import ClientOptions, play
from game.simulation import ModImage
from lockstep.follower import Follower
from server.startup import Prepared

from .conftest import served_from_image


def recorder(into: dict[int, str]):
    def on_tick(follower: Follower) -> None:
        into[follower.tick] = follower.sim.state_hash()
    return on_tick


async def test_three_bots_500_ticks_identical_hashes(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server_hashes: dict[int, str] = {}
    server = await make_server(bundled.served, tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    client_hashes: list[dict[int, str]] = [{}, {}, {}]
    summaries = await asyncio.gather(*(
        play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / f"c{i}", name=f"bot{i}",
                           ticks=500, bot_seed=i, on_tick=recorder(client_hashes[i])))
        for i in range(3)
    ))
    for summary, hashes in zip(summaries, client_hashes, strict=True):
        assert summary["desyncs"] == 0
        assert summary["ticks"] == 500
        assert len(hashes) == 500
        for tick, digest in hashes.items():
            assert server_hashes[tick] == digest, f"tick {tick}"
    # The bots really played: someone moved and the world changed over time.
    assert len(set(client_hashes[0].values())) > 400


async def test_join_in_progress_matches_from_first_tick(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server_hashes: dict[int, str] = {}
    server = await make_server(bundled.served, tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    url = f"ws://127.0.0.1:{server.port}"
    early = asyncio.create_task(play(ClientOptions(url, tmp_path / "a", name="early", ticks=400,
                                                  bot_seed=1)))
    while server.room.tick < 200:
        await asyncio.sleep(0.05)
    late_hashes: dict[int, str] = {}
    late = await play(ClientOptions(url, tmp_path / "b", ticks=100, bot_seed=2,
                                    on_tick=recorder(late_hashes)))
    first = min(late_hashes)
    assert first > 200
    assert late["desyncs"] == 0
    assert all(server_hashes[t] == h for t, h in late_hashes.items())
    assert (await early)["desyncs"] == 0


async def test_perturbed_client_reports_desync_and_heals(
    bundled: Prepared, make_server, tmp_path: Path
) -> None:
    server_hashes: dict[int, str] = {}
    server = await make_server(bundled.served, tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    hashes: dict[int, str] = {}
    record = recorder(hashes)
    # Perturb a few ticks after joining (the first tick applied is after the snapshot): the
    # world changes behind the simulation's back after tick target - 1, so tick target's
    # hash differs from the server's.
    target = server.room.tick + 40

    def record_then_perturb(follower: Follower) -> None:
        record(follower)
        if follower.tick == target - 1:
            world = follower.sim.world
            eid = next(iter(world.entities))
            world.set(eid, "x", world.get(eid, "x") + 1)

    summary = await play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "c",
                                       ticks=120, bot_seed=3,
                                       report_dir=tmp_path / "reports",
                                       on_tick=record_then_perturb))
    assert summary["desyncs"] == 1
    report = json.loads(Path(summary["reports"][0]).read_text())
    assert report["tick"] == target
    assert report["server_hash"] == server_hashes[target] != report["client_hash"]
    # the world, and the mods that copied the perturbed entity into their memory with a
    # query (movement's and pickups' record buffers) in that tick
    assert "world" in report["differing_parts"]
    assert set(report["differing_parts"]) <= {"world", "mod:movement", "mod:pickups"}
    assert report["entity_diffs"], "the perturbed entity is named"
    # Back in sync after the resync snapshot: the last 30 ticks agree with the server.
    last = sorted(hashes)[-30:]
    assert all(hashes[t] == server_hashes[t] for t in last)
    assert server.stats["desyncs_reported"] == 1


async def test_faulting_and_looping_mods_are_contained_everywhere(
    bundled: Prepared, make_server, tmp_path: Path, faulty: ModImage, looper: ModImage
) -> None:
    mods = [*bundled.served, served_from_image(faulty), served_from_image(looper)]
    server_hashes: dict[int, str] = {}
    server = await make_server(mods, tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    hashes: dict[int, str] = {}
    finals = []

    def on_tick(follower: Follower) -> None:
        hashes[follower.tick] = follower.sim.state_hash()
        if follower.ticks == 30:
            finals.append((follower.sim.mod_status(), follower.sim.faults))

    summary = await play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "c",
                                       ticks=30, bot_seed=4, on_tick=on_tick))
    assert summary["desyncs"] == 0
    assert all(server_hashes[t] == h for t, h in hashes.items())
    status, _ = finals[0]
    server_status = dict((n, (f, d)) for n, f, d in server.room.sim.mod_status())
    assert dict((n, (f, d)) for n, f, d in status) == {
        n: server_status[n] for n, _, _ in status
    }
    assert server_status["faulty"] == (3, True)
    assert server_status["looper"] == (1, False)
    kinds = {(f.mod, f.kind) for f in server.room.sim.faults}
    assert ("faulty", "store fault") in kinds
    assert ("looper", "instruction budget exceeded") in kinds


async def test_each_mod_runs_with_its_own_stack_on_server_and_client(
    bundled: Prepared, make_server, tmp_path: Path, walker: ModImage
) -> None:
    # The bundled mods ask for 64 KiB (mod.toml); the walker for 128 KiB of its 1 MiB. The
    # old rule (a quarter of memory) would have given 256 KiB or 512 KiB.
    odd = dataclasses.replace(walker, stack=128 << 10)
    mods = [*bundled.served, served_from_image(odd)]
    wanted = {m.image.name: m.image.stack for m in mods}
    assert wanted == {"movement": 64 << 10, "pickups": 64 << 10, "greeter": 64 << 10,
                      "waypoints": 64 << 10, "walker": 128 << 10}
    assert all(m.entry.stack_limit == m.image.stack for m in mods)
    server_hashes: dict[int, str] = {}
    server = await make_server(mods, tick_rate=60,
                               on_tick=lambda t, h: server_hashes.__setitem__(t, h))
    hashes: dict[int, str] = {}
    stacks: list[dict[str, int]] = []

    def on_tick(follower: Follower) -> None:
        hashes[follower.tick] = follower.sim.state_hash()
        if not stacks:
            stacks.append({n: follower.sim.machine(n).limits.stack for n in wanted})

    summary = await play(ClientOptions(f"ws://127.0.0.1:{server.port}", tmp_path / "c",
                                       ticks=40, bot_seed=6, on_tick=on_tick))
    assert stacks == [wanted]
    assert {n: server.room.sim.machine(n).limits.stack for n in wanted} == wanted
    assert summary["desyncs"] == 0
    assert len(hashes) == 40 and all(server_hashes[t] == h for t, h in hashes.items())
