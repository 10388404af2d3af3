"""lockstep.wire: the one mapping between messages and the simulation's types."""

from __future__ import annotations

import hashlib

from game.simulation import ModImage, TickInputs
from lockstep import entry_for, image_of, tick_inputs, tick_message
from protocol import ModEntry, Player, Tick, TickChat, TickInput

INPUTS = TickInputs(7, joins=((3, "cy"),), leaves=(2,), inputs=((1, 8), (3, 1)),
                    chats=((1, "hi"),))
HASH = "ab" * 32


def test_a_tick_message_carries_every_input() -> None:
    assert tick_message(INPUTS, HASH) == Tick(
        tick=7, state_hash=HASH,
        inputs=(TickInput(player_id=1, buttons=8), TickInput(player_id=3, buttons=1)),
        joins=(Player(id=3, name="cy"),), leaves=(2,),
        chats=(TickChat(player_id=1, text="hi"),))


def test_tick_inputs_is_the_inverse() -> None:
    assert tick_inputs(tick_message(INPUTS, HASH)) == INPUTS


def test_an_entry_and_its_image_describe_the_same_mod() -> None:
    image = ModImage("m", b"\x7fELF fake", memory=1 << 20, stack=64 << 10,
                     instructions=200_000, permissions=frozenset({"players"}))
    entry = entry_for(image, version="1.2.3", language="zig", dependencies=("a",),
                      host_abi="abi")
    assert entry == ModEntry(name="m", version="1.2.3",
                             sha256=hashlib.sha256(b"\x7fELF fake").hexdigest(), size=9,
                             language="zig", dependencies=("a",), memory_limit=1 << 20,
                             stack_limit=64 << 10, instruction_limit=200_000,
                             host_abi="abi", permissions=("players",))
    assert image_of(entry, image.elf) == image
