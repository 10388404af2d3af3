"""Bounded reading and length-prefixed writing of the small binary records of game state.

``game.props`` and ``game.storage`` serialise their state with these; a ``Reader`` never
reads past its data and raises ``ValueError`` (with what it was reading) on anything short.
"""

from __future__ import annotations

import struct

__all__ = ["Reader", "blob"]

_LEN = struct.Struct("<I")


def blob(data: bytes) -> bytes:
    """``data`` prefixed with its length (4 bytes, little-endian)."""
    return _LEN.pack(len(data)) + data


class Reader:
    """Reads ``data`` front to back; every read is checked against what is left."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.at = 0
        self.what = what

    def unpack(self, fmt: struct.Struct) -> tuple[int, ...]:
        """The next ``fmt.size`` bytes, unpacked."""
        if self.at + fmt.size > len(self.data):
            raise ValueError(f"malformed {self.what}: truncated")
        values = fmt.unpack_from(self.data, self.at)
        self.at += fmt.size
        return values

    def blob(self, limit: int) -> bytes:
        """A length-prefixed byte string of at most ``limit`` bytes."""
        (n,) = self.unpack(_LEN)
        if n > limit:
            raise ValueError(f"malformed {self.what}: a field of {n} bytes, more than {limit}")
        if self.at + n > len(self.data):
            raise ValueError(f"malformed {self.what}: truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return bytes(out)

    def text(self, limit: int) -> str:
        """A length-prefixed UTF-8 string of at most ``limit`` bytes."""
        raw = self.blob(limit)
        try:
            return raw.decode("utf-8", "strict")
        except UnicodeDecodeError:
            raise ValueError(f"malformed {self.what}: text that is not UTF-8") from None

    def count(self, limit: int) -> int:
        """A 4-byte count of at most ``limit`` items."""
        (n,) = self.unpack(_LEN)
        if n > limit:
            raise ValueError(f"malformed {self.what}: {n} items, more than {limit}")
        return n

    def end(self) -> None:
        """Check that everything was read."""
        if self.at != len(self.data):
            raise ValueError(f"malformed {self.what}: trailing bytes")
