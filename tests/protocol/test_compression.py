"""zstd helpers: round trips, bounded output against bombs, hash verification."""

from __future__ import annotations

import hashlib
import random
import struct
import tracemalloc
from typing import Any

import pytest
import zstandard

import protocol.zstd
from protocol import (
    BlobError,
    LocalMisuse,
    ModVerificationError,
    PeerViolation,
    ProtocolError,
    compress_blob,
    compress_mod,
    decompress_blob,
    decompress_mod,
)

MiB = 1 << 20
ELF = b"\x7fELF" + bytes(range(256)) * 64 + bytes(10_000)
ELF_SHA = hashlib.sha256(ELF).hexdigest()


def zeros_frame(total: int, *, with_size: bool) -> bytes:
    """A zstd frame of ``total`` zero bytes, compressed in 1 MiB steps (never all in memory)."""
    cobj = zstandard.ZstdCompressor(level=1).compressobj(size=total if with_size else -1)
    chunk = bytes(MiB)
    parts = [cobj.compress(chunk) for _ in range(total // MiB)]
    parts.append(cobj.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def gib_bomb() -> bytes:
    """1 GiB of zeros in about 40 kB, content size in the header."""
    return zeros_frame(1 << 30, with_size=True)


@pytest.fixture(scope="module")
def gib_bomb_unsized() -> bytes:
    """1 GiB of zeros, no content size in the header."""
    return zeros_frame(1 << 30, with_size=False)


def peak_allocation(fn: Any, *args: Any, **kwargs: Any) -> tuple[BaseException | None, int]:
    """Run ``fn`` under tracemalloc; return what it raised and its peak allocation."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        raised = None
    except BaseException as exc:  # returned to the test
        raised = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return raised, peak


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 3, 19])
def test_mod_round_trip(level: int) -> None:
    blob = compress_mod(ELF, level)
    assert len(blob) < len(ELF) // 4
    assert decompress_mod(blob, len(ELF), ELF_SHA) == ELF


def test_frames_carry_content_size_and_checksum() -> None:
    params = zstandard.get_frame_parameters(compress_mod(ELF))
    assert params.content_size == len(ELF) and params.has_checksum


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 70_000])
def test_blob_round_trip_at_edge_sizes(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert decompress_blob(compress_blob(data), size, limit=size) == data


def test_dictionary_round_trip_and_mismatch() -> None:
    samples = [b"entity %d at %d,%d " % (i, i * 7, i * 13) * 20 for i in range(300)]
    dictionary = zstandard.train_dictionary(2048, samples).as_bytes()
    blob = compress_blob(samples[5], dictionary=dictionary)
    assert len(blob) < len(compress_blob(samples[5]))
    assert decompress_blob(blob, len(samples[5]), limit=MiB, dictionary=dictionary) == samples[5]
    with pytest.raises(BlobError, match="corrupt zstd data"):
        decompress_blob(blob, len(samples[5]), limit=MiB)


# -- bombs: never more output (or allocation) than declared ---------------------------------


def test_declared_size_over_the_limit_is_refused_before_decompressing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_decompressor(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("decompressed despite the limit")

    monkeypatch.setattr(protocol.zstd.DEFAULT, "content_size", no_decompressor)
    monkeypatch.setattr(protocol.zstd.DEFAULT, "decompress", no_decompressor)
    with pytest.raises(ModVerificationError, match="declared size 16777217 is outside 0 to"):
        decompress_mod(compress_mod(ELF), 16 * MiB + 1, ELF_SHA)
    with pytest.raises(BlobError, match="declared size -1"):
        decompress_blob(b"", -1, limit=10)
    with pytest.raises(LocalMisuse, match="expected_size must be an int"):
        decompress_blob(b"", 1.5, limit=10)  # type: ignore[arg-type]


def test_gib_bomb_with_an_honest_header_is_refused_by_the_header(gib_bomb: bytes) -> None:
    assert len(gib_bomb) < 100_000
    raised, peak = peak_allocation(decompress_blob, gib_bomb, MiB, limit=MiB)
    assert isinstance(raised, BlobError)
    assert f"frame header claims {1 << 30} bytes, {MiB} declared" in str(raised)
    assert peak < MiB
    with pytest.raises(BlobError, match=f"declared size {1 << 30} is outside"):
        decompress_blob(gib_bomb, 1 << 30, limit=16 * MiB)


def test_gib_bomb_without_size_stops_at_the_declared_size(gib_bomb_unsized: bytes) -> None:
    assert zstandard.frame_content_size(gib_bomb_unsized) == -1
    declared = 4 * MiB
    raised, peak = peak_allocation(decompress_blob, gib_bomb_unsized, declared, limit=declared)
    assert isinstance(raised, BlobError)
    assert str(raised) == f"decompresses to more than the {declared} bytes declared"
    assert peak < 2 * declared


def test_a_frame_asking_for_a_bigger_window_is_refused(gib_bomb_unsized: bytes) -> None:
    # Level 1 asks for a 512 KiB window: more than a 1 KiB payload may need.
    with pytest.raises(BlobError, match="corrupt zstd data.*memory"):
        decompress_blob(gib_bomb_unsized, 1000, limit=MiB)


def test_a_forged_header_claiming_a_terabyte_is_refused() -> None:
    # Frame header: magic, descriptor 0xC0 (8-byte content size, window descriptor follows),
    # window descriptor 0 (1 KiB), content size 2**40; then one raw last block of 5 bytes.
    forged = (
        b"\x28\xb5\x2f\xfd"
        + b"\xc0\x00"
        + struct.pack("<Q", 1 << 40)
        + ((5 << 3) | 1).to_bytes(3, "little")
        + b"hello"
    )
    assert zstandard.frame_content_size(forged) == 1 << 40
    raised, peak = peak_allocation(decompress_blob, forged, 5, limit=MiB)
    assert isinstance(raised, BlobError) and "frame header claims 1099511627776" in str(raised)
    assert peak < 100_000
    with pytest.raises(BlobError, match="outside"):
        decompress_blob(forged, 1 << 40, limit=16 * MiB)


# -- verification -----------------------------------------------------------------------------


def test_tampered_elf_fails_the_hash() -> None:
    tampered = bytearray(ELF)
    tampered[100] ^= 0xFF
    with pytest.raises(ModVerificationError) as info:
        decompress_mod(compress_mod(bytes(tampered)), len(ELF), ELF_SHA)
    assert info.value.sha256 == ELF_SHA
    assert str(info.value).startswith(f"mod {ELF_SHA[:16]}: SHA-256 is ")
    assert hashlib.sha256(tampered).hexdigest() in str(info.value)


def test_tampered_blob_is_refused() -> None:
    blob = bytearray(compress_mod(ELF))
    blob[len(blob) // 2] ^= 0x10
    with pytest.raises(ModVerificationError):
        decompress_mod(bytes(blob), len(ELF), ELF_SHA)


def test_wrong_size_truncation_and_garbage_are_refused() -> None:
    blob = compress_mod(ELF)
    cases = [
        (blob, len(ELF) - 1, "frame header claims"),
        (blob, len(ELF) + 1, "frame header claims"),
        (blob[:-10], len(ELF), "decompresses to"),
        (blob + b"junk", len(ELF), "corrupt zstd data"),
        (b"not zstd at all", len(ELF), "not a zstd frame"),
        (b"", len(ELF), "not a zstd frame"),
    ]
    for data, size, words in cases:
        with pytest.raises(ModVerificationError, match=words):
            decompress_mod(data, size, ELF_SHA)


def test_unsized_frame_of_the_wrong_size_is_refused() -> None:
    # A streamed frame says no size; its window must still fit the declared size (32 KiB).
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=15)
    cobj = zstandard.ZstdCompressor(compression_params=params).compressobj()
    blob = cobj.compress(ELF) + cobj.flush()
    assert zstandard.frame_content_size(blob) == -1
    assert decompress_mod(blob, len(ELF), ELF_SHA) == ELF
    cobj = zstandard.ZstdCompressor(level=3).compressobj()
    with pytest.raises(ModVerificationError, match="too much memory"):
        decompress_mod(cobj.compress(ELF) + cobj.flush(), len(ELF), ELF_SHA)  # 2 MiB window
    with pytest.raises(ModVerificationError, match=f"to {len(ELF)} bytes, {len(ELF) + 1} decl"):
        decompress_mod(blob, len(ELF) + 1, ELF_SHA)
    with pytest.raises(ModVerificationError, match=f"more than the {len(ELF) - 1} bytes"):
        decompress_mod(blob, len(ELF) - 1, ELF_SHA)


def test_two_frames_decompress_as_one_blob() -> None:
    half = len(ELF) // 2
    blob = compress_blob(ELF[:half]) + compress_blob(ELF[half:])
    # the first header claims only the first half: refused, as we never make such blobs
    with pytest.raises(BlobError, match="frame header claims"):
        decompress_blob(blob, len(ELF), limit=MiB)


def test_verification_errors_are_peer_violations() -> None:
    assert issubclass(ModVerificationError, BlobError)
    assert issubclass(BlobError, PeerViolation)


def test_mutated_blobs_raise_only_protocol_errors() -> None:
    rng = random.Random(4)
    blob = compress_mod(ELF)
    for _ in range(1500):
        mutated = bytearray(blob)
        for _ in range(rng.choice((1, 2, 8))):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        cut = rng.choice((len(mutated), rng.randrange(len(mutated) + 1)))
        try:
            elf = decompress_mod(bytes(mutated[:cut]), len(ELF), ELF_SHA)
        except ProtocolError:
            continue
        assert elf == ELF  # a mutation that still verifies must give the true ELF


def test_random_bytes_raise_only_protocol_errors() -> None:
    rng = random.Random(5)
    for _ in range(1500):
        data = rng.randbytes(rng.randrange(0, 64))
        if rng.random() < 0.5:
            data = b"\x28\xb5\x2f\xfd" + data
        with pytest.raises(BlobError):
            decompress_blob(data, rng.randrange(0, 5000), limit=5000)
