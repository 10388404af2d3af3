"""The one exception tree of the protocol.

    ProtocolError
    ├── LocalMisuse              our side broke a rule: built an invalid message, sent one the
    │                            state table forbids, or used a link after it failed
    └── PeerViolation            the peer broke a rule: malformed, oversized or out-of-order input
        ├── MessageTooLarge      a message is over ``Limits.max_message_size`` (size, limit)
        └── BlobError            compressed data is corrupt, or not the size it declares
            └── ModVerificationError   a mod's bytes are not the ones its SHA-256 names

Blame is explicit, as in h11: constructors and ``Link.send`` raise ``LocalMisuse``; the
inbound entry points (``decode``, ``Link.receive``, the decompressors) raise ``PeerViolation``
and turn a ``LocalMisuse`` raised while rebuilding the peer's message into one. A server that
catches ``PeerViolation`` answers with ``Bye(code="protocol_error", ...)`` and closes; a
``LocalMisuse`` is a bug on our side.
"""

from __future__ import annotations

__all__ = [
    "ProtocolError",
    "LocalMisuse",
    "PeerViolation",
    "MessageTooLarge",
    "BlobError",
    "ModVerificationError",
]


class ProtocolError(Exception):
    """Root of every error the protocol package raises."""


class LocalMisuse(ProtocolError):
    """Our own code broke a protocol rule; nothing was sent."""


class PeerViolation(ProtocolError):
    """The peer sent something the protocol does not allow; close the connection."""


class MessageTooLarge(PeerViolation):
    """A message of ``size`` bytes arrived where at most ``limit`` are allowed.

    Raised before a single byte of it is unpacked.
    """

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"message of {size} bytes is over the limit of {limit} bytes")


class BlobError(PeerViolation):
    """Compressed data does not decompress to exactly its declared size within the limit."""


class ModVerificationError(BlobError):
    """The mod blob that should hold the ELF with SHA-256 ``sha256`` does not.

    ``detail`` says why: a bad or oversized zstd frame, a wrong size, or another hash.
    """

    def __init__(self, sha256: str, detail: str) -> None:
        self.sha256 = sha256
        self.detail = detail
        super().__init__(f"mod {sha256[:16]}: {detail}")
