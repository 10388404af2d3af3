"""zstd for mods and snapshots, with output bounded before a byte is decompressed.

Compressed data from a peer is never trusted. Every blob travels with its decompressed size
(``ModBlob.size``, ``Snapshot.size``), which the decompressors check against a limit first;
then they ask zstd for at most that size plus one byte, whatever the frame header claims, and
cap the window a frame may ask for at the next power of two of that size. A zstd bomb thus
costs at most the declared size in memory and stops as soon as it overflows it. A mod is
then checked against its SHA-256 before anyone may load it.

Frames carry their content size and a checksum. Both sides may share a zstd dictionary
(raw bytes, e.g. from ``zstandard.train_dictionary``); the same one must be given to both.

The zstd library is ``zstandard`` on the server and ``compression.zstd`` in the browser
(CPython 3.14 in Pyodide): ``protocol.zstd`` wraps both; the bounds are decided here, once.
"""

from __future__ import annotations

import hashlib

from . import zstd
from .errors import BlobError, LocalMisuse, ModVerificationError
from .limits import DEFAULT_LIMITS

__all__ = [
    "DEFAULT_MOD_LEVEL",
    "DEFAULT_SNAPSHOT_LEVEL",
    "compress_blob",
    "decompress_blob",
    "max_compressed_size",
    "compress_mod",
    "decompress_mod",
]

#: zstd level for mods: compressed once per build, sent to every client.
DEFAULT_MOD_LEVEL = 19
#: zstd level for snapshots: compressed while the game runs.
DEFAULT_SNAPSHOT_LEVEL = 3
#: The smallest window zstd knows (2**10 bytes).
_MIN_WINDOW = 1 << 10


def max_compressed_size(size: int) -> int:
    """The most bytes ``compress_blob`` can make of ``size`` bytes, with room to spare.

    zstd stores what it cannot compress in raw blocks of at most 128 KiB behind a 3-byte
    header, and adds a frame header (at most 18 bytes) and a 4-byte checksum; this bound
    allows 1 byte per 128 and 1 KiB more. A receiver refuses a larger declared size.
    """
    return size + size // 128 + 1024


def compress_blob(
    data: bytes, level: int = DEFAULT_SNAPSHOT_LEVEL, *, dictionary: bytes | None = None
) -> bytes:
    """Compress bytes (a snapshot, or any payload) into one zstd frame.

    Args:
        data: the bytes to compress.
        level: zstd level, 1 (fast) to 22 (small).
        dictionary: a zstd dictionary both sides share, or ``None``.

    Returns:
        One zstd frame with content size and checksum; send ``len(data)`` beside it.

    Raises:
        LocalMisuse: ``data`` is not bytes.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise LocalMisuse(f"cannot compress {type(data).__name__}: expected bytes")
    return zstd.DEFAULT.compress(bytes(data), level, dictionary)


def decompress_blob(
    blob: bytes, expected_size: int, *, limit: int, dictionary: bytes | None = None
) -> bytes:
    """Decompress a peer's zstd data that must come to exactly ``expected_size`` bytes.

    Never produces or allocates more than ``expected_size + 1`` bytes of output, and never
    lets a frame ask for a window larger than the next power of two of ``expected_size``.

    Args:
        blob: the compressed bytes, one or more zstd frames.
        expected_size: the size the message declares (``Snapshot.size``).
        limit: the most bytes allowed (``Limits.max_snapshot_size``), checked first.
        dictionary: the zstd dictionary both sides share, or ``None``.

    Returns:
        The decompressed bytes.

    Raises:
        BlobError: ``expected_size`` is negative or over ``limit``; ``blob`` is not zstd, is
            corrupt or truncated, needs a larger window, or decompresses to another size.
            Treat it as a protocol violation.
        LocalMisuse: ``blob`` is not bytes or ``expected_size`` not an int (a bug of ours).
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise LocalMisuse(f"cannot decompress {type(blob).__name__}: expected bytes")
    if not isinstance(expected_size, int) or isinstance(expected_size, bool):
        raise LocalMisuse(f"expected_size must be an int, not {type(expected_size).__name__}")
    if not 0 <= expected_size <= limit:
        raise BlobError(f"declared size {expected_size} is outside 0 to {limit} bytes")
    claimed = zstd.DEFAULT.content_size(blob)
    if 0 <= claimed != expected_size:  # -1: the frame does not say
        raise BlobError(f"frame header claims {claimed} bytes, {expected_size} declared")
    window = max(_MIN_WINDOW, 1 << max(expected_size - 1, 0).bit_length())
    parts = zstd.DEFAULT.decompress(blob, expected_size + 1, window, dictionary)
    got = sum(len(p) for p in parts)
    if got > expected_size:
        raise BlobError(f"decompresses to more than the {expected_size} bytes declared")
    if got < expected_size:
        raise BlobError(f"decompresses to {got} bytes, {expected_size} declared")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def compress_mod(
    elf: bytes, level: int = DEFAULT_MOD_LEVEL, *, dictionary: bytes | None = None
) -> bytes:
    """Compress a mod's ELF for ``ModBlob.data``.

    Args:
        elf: the mod's ELF file; ``ModBlob.size`` is ``len(elf)`` and ``ModBlob.sha256`` is
            ``hashlib.sha256(elf).hexdigest()``.
        level: zstd level; the default trades build time for transfer size.
        dictionary: a zstd dictionary both sides share, or ``None``.

    Returns:
        One zstd frame with content size and checksum.

    Raises:
        LocalMisuse: ``elf`` is not bytes.
    """
    return compress_blob(elf, level, dictionary=dictionary)


def decompress_mod(
    blob: bytes,
    expected_size: int,
    sha256: str,
    *,
    limit: int = DEFAULT_LIMITS.max_mod_size,
    dictionary: bytes | None = None,
) -> bytes:
    """Decompress and verify a mod received in a ``ModBlob``.

    Args:
        blob: ``ModBlob.data``.
        expected_size: ``ModBlob.size`` (the manifest's size of the mod).
        sha256: ``ModBlob.sha256``: the lowercase hex SHA-256 the ELF must have.
        limit: the largest ELF allowed (``Limits.max_mod_size``), checked first.
        dictionary: the zstd dictionary both sides share, or ``None``.

    Returns:
        The ELF, safe to cache under ``sha256`` and to load.

    Raises:
        ModVerificationError: the blob is over the limit, not zstd, corrupt, of another size,
            or its SHA-256 differs; the message names the mod and the reason. The client
            says ``Bye(code="mod_verification", ...)`` and loads nothing.
    """
    try:
        elf = decompress_blob(blob, expected_size, limit=limit, dictionary=dictionary)
    except BlobError as exc:
        raise ModVerificationError(sha256, str(exc)) from exc
    actual = hashlib.sha256(elf).hexdigest()
    if actual != sha256:
        raise ModVerificationError(sha256, f"SHA-256 is {actual}, not the one announced")
    return elf
