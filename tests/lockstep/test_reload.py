"""Hot reload in the lockstep core, sans-I/O: the room announces, followers apply at the tick.

Real mods (tests/game/guests built by the real toolchain) in a real Simulation on both sides;
the messages between them go through encode/decode, as on the wire.
"""

from __future__ import annotations

import dataclasses

import pytest

from game.simulation import ModImage, Simulation, SimulationError
from lockstep import entry_for, tick_message
from lockstep.follower import Follower
from lockstep.handshake import Handshake
from lockstep.reload import ReloadRefused, Swap, plan_reload
from lockstep.room import Room
from protocol import (
    PROTOCOL_VERSION,
    Hello,
    Snapshot,
    Tick,
    Welcome,
    compress_blob,
    decode,
    encode,
)
from tests.conftest import _image
from vm import VM_ABI

from .conftest import HOST_ABI


def entry(image: ModImage, *deps: str):
    return entry_for(image, version="1.0.0", language="c", dependencies=deps, host_abi=HOST_ABI)


@pytest.fixture(scope="module")
def images(walker: ModImage) -> dict[str, ModImage]:
    """base <- mid <- top, and other (independent); saver builds for base."""
    saver = _image("saver")
    return {
        "base": dataclasses.replace(saver, name="base"),
        "base2": dataclasses.replace(_image("saver_v2"), name="base"),
        "mid": dataclasses.replace(walker, name="mid"),
        "other": dataclasses.replace(walker, name="other"),
        "top": dataclasses.replace(_image("chatter"), name="top"),
    }


def manifest(images: dict[str, ModImage]):
    return (entry(images["base"]), entry(images["mid"], "base"), entry(images["other"]),
            entry(images["top"], "mid"))


def test_a_plan_reloads_the_dependants_transitively_in_load_order(images) -> None:
    running = manifest(images)
    new = entry(images["base2"])
    swaps = plan_reload(running, images, new, images["base2"])
    assert [s.entry.name for s in swaps] == ["base", "mid", "top"]
    assert swaps[0] == Swap(new, images["base2"])
    assert [s.entry for s in swaps[1:]] == [running[1], running[3]]


@pytest.mark.parametrize(("name", "deps", "words"), [
    ("newcomer", (), "not running"),
    ("base", ("other",), "dependencies changed"),
])
def test_a_plan_refuses_what_a_restart_needs(images, name, deps, words) -> None:
    image = dataclasses.replace(images["base2"], name=name)
    with pytest.raises(ReloadRefused, match=words):
        plan_reload(manifest(images), images, entry(image, *deps), image)


def test_a_plan_refuses_the_running_build(images) -> None:
    running = manifest(images)
    with pytest.raises(ReloadRefused, match="the one running"):
        plan_reload(running, images, running[0], images["base"])


def roundtrip(msg: Tick) -> Tick:
    out = decode(encode(msg))
    assert isinstance(out, Tick)
    return out


def snapshot_of(room: Room) -> Snapshot:
    state = room.sim.snapshot()
    data = compress_blob(state)
    return Snapshot(tick=room.tick, size=len(state), data_size=len(data), data=data,
                    state_hash=room.sim.state_hash())


def test_the_room_announces_and_every_follower_swaps_at_the_tick(images) -> None:
    mods = [images["base"], images["mid"]]
    room = Room(Simulation(list(mods), seed=3))
    handshake = Handshake(room, manifest(images)[:2], host_abi=HOST_ABI, tick_rate=20)
    follower, late = Follower(list(mods)), Follower(list(mods))
    follower.load_snapshot(snapshot_of(room))
    late.load_snapshot(snapshot_of(room))
    swaps = plan_reload(handshake.manifest, images, entry(images["base2"]), images["base2"])
    notice = room.announce_reload(swaps, lead=3)
    assert notice.tick == room.tick + 4
    lacking = []
    while room.tick < notice.tick + 2:
        closed = room.close_tick()
        msg = roundtrip(tick_message(closed.inputs, closed.state_hash, closed.announced))
        lacking += follower.announce(msg)
        if msg.tick == notice.tick:
            assert not follower.ready(msg)  # the new build has not come
            follower.add_mod(images["base2"].elf)
            assert follower.ready(msg)
            handshake.swap(closed.swapped)
            with pytest.raises(SimulationError, match="does not have"):
                late.apply(msg)
        elif msg.tick < notice.tick:
            assert late.apply(msg)
        assert follower.apply(msg), f"desync at tick {msg.tick}"
    assert [e.name for e in lacking] == ["base"]  # mid's build is already here
    assert room.sim.mods[0] is images["base2"]
    assert follower.sim.mods[0].elf == images["base2"].elf
    assert handshake.manifest[0] == notice.mods[0]
    assert not room.reloads.pending


def test_a_follower_resyncing_past_a_reload_loads_the_new_build(images) -> None:
    mods = [images["base"]]
    room = Room(Simulation(list(mods), seed=3))
    follower = Follower(list(mods))
    follower.load_snapshot(snapshot_of(room))
    swaps = (Swap(entry(images["base2"]), images["base2"]),)
    notice = room.announce_reload(swaps, lead=1)
    closed = room.close_tick()
    follower.announce(roundtrip(tick_message(closed.inputs, closed.state_hash,
                                             closed.announced)))
    follower.add_mod(images["base2"].elf)
    while room.tick < notice.tick + 3:  # the follower misses these ticks
        room.close_tick()
    follower.load_snapshot(snapshot_of(room))
    assert follower.sim.state_hash() == room.sim.state_hash()
    assert follower.sim.mods[0].elf == images["base2"].elf


def test_a_joiner_welcomed_before_a_reload_is_no_longer_current(images) -> None:
    room = Room(Simulation([images["base"]], seed=3))
    handshake = Handshake(room, manifest(images)[:1], host_abi=HOST_ABI, tick_rate=20)
    welcome = handshake.accept(Hello(protocol_versions=(PROTOCOL_VERSION,), vm_abi=VM_ABI,
                                     host_abi=HOST_ABI, name="ann"))
    assert isinstance(welcome, Welcome)
    assert handshake.current(welcome.player_id)
    handshake.swap([entry(images["base2"])])
    assert not handshake.current(welcome.player_id)
