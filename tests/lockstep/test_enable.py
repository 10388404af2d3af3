"""Re-enabling a disabled mod travels in the tick stream: the server's admin queues it in the
Room, the next Tick carries it (encoded and decoded by the real codec), and a client that
applies that Tick re-enables it at the same tick, with the same state hash every tick."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from game.rules import MAX_FAULTS
from game.simulation import ModImage, Simulation
from lockstep.room import Room
from lockstep.wire import tick_inputs, tick_message
from protocol import DEFAULT_LIMITS, Tick, decode, encode
from server.console import admin_command, attach_console


@dataclass
class RoomOnly:
    """What ``/mods`` and ``/enable`` act on: the room (the other commands need a server)."""

    room: Room

    def kick(self, name: str, *, ban: bool = False, by: str = "console") -> str:
        raise AssertionError("not a console command of this test")

    def save_world(self) -> str:
        raise AssertionError("not a console command of this test")

    def reload_mod(self, name: str, reply: object) -> str:
        raise AssertionError("not a console command of this test")


def run(room: Room, client: Simulation, ticks: int) -> list[Tick]:
    """Close ``ticks`` ticks on the server; the client applies each one from its bytes."""
    sent = []
    for _ in range(ticks):
        closed = room.close_tick()
        data = encode(tick_message(closed.inputs, closed.state_hash), limits=DEFAULT_LIMITS)
        msg = decode(data, limits=DEFAULT_LIMITS)
        assert isinstance(msg, Tick)
        client.step(tick_inputs(msg))
        assert client.state_hash() == msg.state_hash
        sent.append(msg)
    return sent


def test_an_enable_reaches_the_client_in_the_tick_and_both_agree(
        walker: ModImage, faulty: ModImage) -> None:
    room = Room(Simulation([walker, faulty], seed=3))
    client = Simulation([walker, faulty], seed=3)
    run(room, client, 5)  # faulty faults in ticks 3, 4, 5: disabled
    assert room.sim.mod_status()[1] == ("faulty", MAX_FAULTS, True)
    assert room.enable_mod("walker") == "mod walker is not disabled"
    assert room.enable_mod("nope") == "no mod is called 'nope'"
    assert room.enable_mod("faulty") is None
    assert room.enable_mod("faulty") is None  # queued once
    [tick6] = run(room, client, 1)
    assert tick6.enables == ("faulty",)
    # re-enabled at the start of tick 6, faulty ran (and faulted) again on both sides
    assert room.sim.mod_status()[1] == client.mod_status()[1] == ("faulty", 1, False)
    assert [f.tick for f in client.faults] == [3, 4, 5, 6]
    [tick7] = run(room, client, 1)
    assert tick7.enables == ()


def test_admin_console_commands(walker: ModImage, faulty: ModImage) -> None:
    room = Room(Simulation([walker, faulty], seed=3))
    for _ in range(5):
        room.close_tick()
    console = RoomOnly(room)
    assert admin_command(console, "/mods") == "walker: 0 faults; faulty: 3 faults (disabled)"
    assert admin_command(console, "/enable walker") == "cannot enable: mod walker is not disabled"
    assert admin_command(console, "  /enable faulty ") == "mod faulty is enabled again from tick 6"
    assert admin_command(console, "/enable") == "usage: /enable MOD"
    assert admin_command(console, "/frobnicate").startswith("unknown command '/frobnicate'")
    assert admin_command(console, "") == ""
    assert room.close_tick().inputs.enables == ("faulty",)


async def test_console_reads_lines_from_a_pipe_and_ignores_what_it_cannot_watch() -> None:
    read_fd, write_fd = os.pipe()
    lines: list[str] = []
    detach = attach_console(read_fd, lines.append)
    assert detach is not None
    os.write(write_fd, b"/enable pickups\n/mo")
    await asyncio.sleep(0.05)
    os.write(write_fd, b"ds\n" + b"x" * 5000)  # an endless line is dropped, not kept
    await asyncio.sleep(0.05)
    os.close(write_fd)  # EOF detaches
    await asyncio.sleep(0.05)
    assert lines == ["/enable pickups", "/mods"]
    detach()
    os.close(read_fd)
    with open(os.devnull, "rb") as null:  # epoll cannot watch it: no console, no error
        assert attach_console(null.fileno(), lines.append) is None
