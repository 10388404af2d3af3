"""Tick records and room records as bytes (written out by hand), every malformed record named
by its tick, and the swaps a restart makes when the mods changed."""

from __future__ import annotations

import dataclasses
import hashlib

import msgpack
import pytest

from game.simulation import ModImage, TickInputs
from lockstep import entry_for
from lockstep.record import (
    RecordError,
    RoomState,
    pack_room,
    pack_tick,
    unpack_room,
    unpack_tick,
)
from lockstep.reload import ReloadRefused, restart_swaps
from protocol import ModEntry

A = ModImage("a", b"\x7fELF-a")
B = ModImage("b", b"\x7fELF-b")
SHA_A = hashlib.sha256(A.elf).hexdigest()


def no_builds(sha: str) -> ModImage:
    raise KeyError(sha)


def test_a_tick_record_is_msgpack_of_six_lists() -> None:
    inputs = TickInputs(9, joins=((3, "ann"),), leaves=(2,), inputs=((3, 5),),
                        chats=((3, "hi"),), enables=("pickups",), reloads=(A,))
    data = pack_tick(inputs)
    assert data == bytes([0x96, 0x91, 0x92, 0x03, 0xA3]) + b"ann" + bytes(
        [0x91, 0x02, 0x91, 0x92, 0x03, 0x05, 0x91, 0x92, 0x03, 0xA2]) + b"hi" + bytes(
        [0x91, 0xA7]) + b"pickups" + bytes([0x91, 0xD9, 0x40]) + SHA_A.encode()
    assert unpack_tick(9, data, {SHA_A: A}.__getitem__) == inputs
    assert pack_tick(TickInputs(1)) == bytes([0x96, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90])


@pytest.mark.parametrize("doc, why", [
    (b"\xc1", "malformed record"),  # never valid msgpack
    (msgpack.packb([[], [], [], [], []]), "not a tick record"),
    (msgpack.packb({"joins": []}), "not a tick record"),
    (msgpack.packb([[[1, 2]], [], [], [], [], []]), "is not text"),  # a name that is a number
    (msgpack.packb([[], [-1], [], [], [], []]), "is not an id"),
    (msgpack.packb([[], [1 << 63], [], [], [], []]), "is not an id"),
    (msgpack.packb([[], [], [[1, 2, 3]], [], [], []]), "not a pair"),
    (msgpack.packb([[], [], [[1, "x"]], [], [], []]), "is not an id"),  # buttons as text
    (msgpack.packb([[], [], [], [], [7], []]), "is not text"),
    (msgpack.packb([[], [], [], [], [], ["ab"]]), "is not a build's SHA-256"),
    (msgpack.packb([[], [], [], [], [], [SHA_A]]), f"reloads build {SHA_A[:12]}, which is "
                                                   "not stored"),
    (msgpack.packb([[], [], [], [], [], []]) + b"\x00", "malformed record"),  # extra data
    (msgpack.packb([[], 5, [], [], [], []]), "not a tick record"),
])
def test_a_malformed_record_is_named_by_its_tick(doc: bytes, why: str) -> None:
    with pytest.raises(RecordError, match=f"^tick 42: .*{why}") as caught:
        unpack_tick(42, doc, no_builds)
    assert caught.value.tick == 42


def test_a_room_record_keeps_players_and_the_next_id() -> None:
    room = RoomState({4: "bo", 2: "ann"}, 7)
    assert pack_room(room) == bytes([0x92, 0x92, 0x92, 0x02, 0xA3]) + b"ann" + bytes(
        [0x92, 0x04, 0xA2]) + b"bo" + bytes([0x07])
    assert unpack_room(0, pack_room(room)) == room
    with pytest.raises(RecordError, match="^tick 5: malformed room record"):
        unpack_room(5, msgpack.packb([[[1, 2]], 3]))
    room.apply(TickInputs(1, joins=((9, "cy"),), leaves=(2,)))
    assert room == RoomState({4: "bo", 9: "cy"}, 10)


def entry(image: ModImage, deps: tuple[str, ...] = ()) -> ModEntry:
    return entry_for(image, version="1", language="c", dependencies=deps, host_abi="x")


def test_restart_swaps_reload_changed_mods_and_their_dependants() -> None:
    c = ModImage("c", b"\x7fELF-c")
    recorded = [(entry(A), A), (entry(B, ("a",)), B), (entry(c), c)]
    assert restart_swaps(recorded, recorded) == ()
    a2 = ModImage("a", b"\x7fELF-a2")
    swaps = restart_swaps(recorded, [(entry(a2), a2), recorded[1], recorded[2]])
    assert [(s.entry.name, s.image) for s in swaps] == [("a", a2), ("b", B)]
    c2 = dataclasses.replace(c, instructions=c.instructions // 2)  # its limits changed
    assert [s.image for s in restart_swaps(recorded, [*recorded[:2], (entry(c2), c2)])] == [c2]


@pytest.mark.parametrize("change, why", [
    ("dropped", r"the world runs the mods \['a', 'b'\] and the server has \['a'\]"),
    ("reordered", r"the world runs the mods \['a', 'b'\] and the server has \['b', 'a'\]"),
    ("dependencies", r"mod b not reloaded: its dependencies changed from \[\] to \['a'\]"),
])
def test_restart_swaps_refuse_another_set_of_mods(change: str, why: str) -> None:
    recorded = [(entry(A), A), (entry(B), B)]
    served = {"dropped": recorded[:1], "reordered": recorded[::-1],
              "dependencies": [recorded[0], (entry(B, ("a",)), B)]}[change]
    with pytest.raises(ReloadRefused, match=why):
        restart_swaps(recorded, served)
