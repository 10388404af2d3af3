"""The one mapping between wire messages and the simulation's own types, and the one way
any text becomes a ``Refusal``'s or a ``Bye``'s reason."""

from __future__ import annotations

import hashlib

from game.simulation import ModImage, TickInputs
from protocol import ModEntry, Player, Reload, Tick, TickChat, TickInput

__all__ = ["tick_message", "tick_inputs", "image_of", "entry_for", "reason_text",
           "REASON_LENGTH"]

#: Characters of a reason we send: within ``Limits.max_reason_length`` with room to spare.
REASON_LENGTH = 900


def tick_message(inputs: TickInputs, state_hash: str, reloads: tuple[Reload, ...] = ()) -> Tick:
    """The ``Tick`` a server broadcasts for ``inputs``, with the state hash after it and the
    reloads announced in it. (``inputs.reloads`` does not travel: each client applies the
    reload it was announced at its tick.)"""
    return Tick(
        tick=inputs.tick,
        state_hash=state_hash,
        inputs=tuple(TickInput(player_id=pid, buttons=b) for pid, b in inputs.inputs),
        joins=tuple(Player(id=pid, name=name) for pid, name in inputs.joins),
        leaves=inputs.leaves,
        chats=tuple(TickChat(player_id=pid, text=text) for pid, text in inputs.chats),
        enables=inputs.enables,
        reloads=reloads,
    )


def tick_inputs(msg: Tick, reloads: tuple[ModImage, ...] = ()) -> TickInputs:
    """The simulation's view of a ``Tick`` message (the inverse of ``tick_message``), with
    the images of the mods a reload announced earlier replaces at its tick."""
    return TickInputs(
        tick=msg.tick,
        joins=tuple((p.id, p.name) for p in msg.joins),
        leaves=tuple(msg.leaves),
        inputs=tuple((i.player_id, i.buttons) for i in msg.inputs),
        chats=tuple((c.player_id, c.text) for c in msg.chats),
        enables=tuple(msg.enables),
        reloads=reloads,
    )


def image_of(entry: ModEntry, elf: bytes) -> ModImage:
    """The mod a manifest entry describes, as the simulation runs it (the client's side).

    Raises:
        SimulationError: the entry's limits are not ones the game accepts.
    """
    return ModImage(entry.name, elf, memory=entry.memory_limit, stack=entry.stack_limit,
                    instructions=entry.instruction_limit,
                    permissions=frozenset(entry.permissions))


def entry_for(image: ModImage, *, version: str, language: str,
              dependencies: tuple[str, ...], host_abi: str) -> ModEntry:
    """The manifest entry that describes ``image`` (the server's side; ``image_of`` of it
    gives ``image`` back)."""
    return ModEntry(name=image.name, version=version,
                    sha256=hashlib.sha256(image.elf).hexdigest(), size=len(image.elf),
                    language=language, dependencies=dependencies,
                    memory_limit=image.memory, stack_limit=image.stack,
                    instruction_limit=image.instructions, host_abi=host_abi,
                    permissions=tuple(sorted(image.permissions)))


def reason_text(text: str) -> str:
    """``text`` fit for a ``Refusal``'s or a ``Bye``'s reason: control characters made
    spaces, never empty, at most ``REASON_LENGTH`` characters."""
    clean = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return (clean or "no reason given")[:REASON_LENGTH]
