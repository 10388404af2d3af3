"""A snapshot of any legal size as messages within ``Limits.max_message_size``: split, joined.

The sender compresses the state once and cuts the compressed bytes into a ``Snapshot`` (the
header and the first bytes) and as many ``SnapshotPart`` messages as the rest needs; it sends
them one after the other, with nothing between them. The receiver's ``Link`` checks their
order and bounds (``data_size`` is declared, and checked against the limits, before any part
is accepted; each part starts where the last ended; none runs past the end); an assembler
then hands back one whole ``Snapshot`` whose ``data`` is the whole compressed state.

    for msg in split_snapshot(tick=t, state=sim.snapshot(), state_hash=h, limits=limits):
        ws.send(link.send(msg))
    ...
    whole = assembler.add(link.receive(data))  # None until the last part is in

Part sizes are the sender's choice: at least ``PART_SIZE`` bytes, larger when a snapshot
would otherwise take more than ``max_parts`` messages, and never more than a message holds.
Counted in messages, a snapshot thus takes a bounded share of a connection's outbox.
"""

from __future__ import annotations

import dataclasses

import msgpack

from .compression import DEFAULT_SNAPSHOT_LEVEL, compress_blob
from .errors import LocalMisuse
from .limits import DEFAULT_LIMITS, Limits, MiB
from .messages import Player, Snapshot, SnapshotPart
from .schema import Message

__all__ = ["PART_SIZE", "MAX_PARTS", "split_snapshot", "SnapshotAssembler"]

#: The smallest part ``split_snapshot`` cuts (but the last): 1 MiB.
PART_SIZE = 1 * MiB
#: ``split_snapshot``'s default for the most messages one snapshot takes (while the parts
#: can grow up to a whole message). A server's outbox must leave room for this many.
MAX_PARTS = 64
#: How much msgpack's byte-string header can grow with the data's length (bin8 to bin32).
_BIN_HEADER_GROWTH = 3


def _room(msg: Message, limits: Limits) -> int:
    """Bytes of data a message like ``msg`` (with 1 byte of data) can carry."""
    msg.check_limits(limits)
    overhead = len(msgpack.packb(msg.to_map())) - 1
    return limits.max_message_size - overhead - _BIN_HEADER_GROWTH


def split_snapshot(
    *,
    tick: int,
    state: bytes,
    state_hash: str,
    players: tuple[Player, ...] = (),
    limits: Limits = DEFAULT_LIMITS,
    max_parts: int = MAX_PARTS,
    level: int = DEFAULT_SNAPSHOT_LEVEL,
) -> list[Message]:
    """Compress ``state`` and cut it into a ``Snapshot`` and its ``SnapshotPart`` messages.

    Args:
        tick, state_hash, players: as in ``Snapshot``.
        state: the uncompressed state (``Simulation.snapshot()``).
        limits: the limits the peer applies; every message returned encodes within them.
        max_parts: aim for at most this many messages (1 or more); more only when the
            messages cannot be larger.
        level: the zstd level.

    Returns:
        The ``Snapshot`` first, then the parts in order; send them all, contiguously.

    Raises:
        LocalMisuse: ``state`` is over ``limits.max_snapshot_size``, a field is invalid, or
            ``limits.max_message_size`` is too small to carry any data.
    """
    if max_parts < 1:
        raise LocalMisuse(f"max_parts must be at least 1, not {max_parts}")
    data = compress_blob(state, level)
    head = Snapshot(tick=tick, size=len(state), data_size=len(data), data=data[:1],
                    state_hash=state_hash, players=players)
    first_room = _room(head, limits)
    part_room = _room(SnapshotPart(offset=len(data), data=b"\0"), limits)
    if min(first_room, part_room) < 1:
        raise LocalMisuse(f"max_message_size={limits.max_message_size} leaves no room for a "
                          "snapshot's data")
    part = min(max(PART_SIZE, -(-len(data) // max_parts)), part_room)
    at = min(part, first_room)
    out: list[Message] = [dataclasses.replace(head, data=data[:at])]
    while at < len(data):
        out.append(SnapshotPart(offset=at, data=data[at:at + part]))
        at += part
    return out


class SnapshotAssembler:
    """Joins a ``Snapshot`` and the ``SnapshotPart`` messages a ``Link`` accepted after it
    into one ``Snapshot`` whose ``data`` is the whole compressed state.

    It holds at most one snapshot's data, whose size the link bounded before accepting it.
    """

    def __init__(self) -> None:
        self._head: Snapshot | None = None
        self._parts: list[bytes] = []
        self._got = 0

    @property
    def in_flight(self) -> bool:
        """True between a ``Snapshot`` whose data is not whole and its last part."""
        return self._head is not None

    def add(self, msg: Snapshot | SnapshotPart) -> Snapshot | None:
        """Take the next message of a snapshot.

        Returns:
            The whole ``Snapshot`` once its data is complete, else ``None``.

        Raises:
            LocalMisuse: ``msg`` does not continue the snapshot in flight (the caller fed
                a message its link did not accept, or skipped one).
        """
        if isinstance(msg, Snapshot):
            self._head, self._parts, self._got = msg, [msg.data], len(msg.data)
        elif isinstance(msg, SnapshotPart):
            head = self._head
            if head is None or msg.offset != self._got or (
                    self._got + len(msg.data) > head.data_size):
                raise LocalMisuse(f"SnapshotPart at offset {msg.offset} does not continue the "
                                  "snapshot in flight")
            self._parts.append(msg.data)
            self._got += len(msg.data)
        else:
            raise LocalMisuse(f"not a snapshot message: {type(msg).__name__}")
        head = self._head
        assert head is not None
        if self._got < head.data_size:
            return None
        whole = head if head.whole else dataclasses.replace(head, data=b"".join(self._parts))
        self._head, self._parts, self._got = None, [], 0
        return whole
