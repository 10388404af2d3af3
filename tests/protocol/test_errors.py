"""The exception tree: one root, blame explicit, offending values kept."""

from __future__ import annotations

import protocol
from protocol import (
    BlobError,
    LocalMisuse,
    MessageTooLarge,
    ModVerificationError,
    PeerViolation,
    ProtocolError,
)


def test_the_tree() -> None:
    assert issubclass(LocalMisuse, ProtocolError)
    assert issubclass(PeerViolation, ProtocolError)
    assert not issubclass(LocalMisuse, PeerViolation)
    assert not issubclass(PeerViolation, LocalMisuse)
    assert issubclass(MessageTooLarge, PeerViolation)
    assert issubclass(BlobError, PeerViolation)
    assert issubclass(ModVerificationError, BlobError)


def test_errors_keep_their_values() -> None:
    err = MessageTooLarge(size=10, limit=5)
    assert (err.size, err.limit) == (10, 5)
    assert str(err) == "message of 10 bytes is over the limit of 5 bytes"
    err2 = ModVerificationError("ab" * 32, "SHA-256 is cd...")
    assert (err2.sha256, err2.detail) == ("ab" * 32, "SHA-256 is cd...")
    assert str(err2) == "mod abababababababab: SHA-256 is cd..."


def test_the_package_exports_what_it_lists() -> None:
    assert all(hasattr(protocol, name) for name in protocol.__all__)
    assert len(set(protocol.__all__)) == len(protocol.__all__)
