"""Fuzz the zstd blob functions: bombs, truncations, corrupt and foreign frames.

``decompress_blob`` returns exactly ``expected_size`` bytes or raises ``BlobError``;
``decompress_mod`` returns the ELF whose SHA-256 was announced or raises
``ModVerificationError``. Nothing else, whatever the bytes, sizes and dictionary.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import zstandard
from hypothesis import assume, example, given
from hypothesis import strategies as st

from protocol import (
    BlobError,
    ModVerificationError,
    compress_blob,
    decompress_blob,
    decompress_mod,
)
from tests.fuzz.profiles import corpus_files, examples
from tests.fuzz.strategies import mutated

LIMIT = 1 << 20  # the decompressors' limit in these targets


def check_blob(blob: bytes, size: int, *, limit: int = LIMIT,
               dictionary: bytes | None = None) -> None:
    """Decompress; fail on anything but exactly ``size`` bytes or ``BlobError``."""
    try:
        out = decompress_blob(blob, size, limit=limit, dictionary=dictionary)
    except BlobError as exc:
        assert str(exc).strip()
        return
    assert isinstance(out, bytes) and len(out) == size


def frame(data: bytes, *, checksum: bool = True, content_size: bool = True,
          level: int = 3) -> bytes:
    """One zstd frame of ``data``, with or without checksum and content size."""
    compressor = zstandard.ZstdCompressor(
        level=level, write_checksum=checksum, write_content_size=content_size
    )
    if content_size:
        return compressor.compress(data)
    obj = compressor.compressobj()
    return obj.compress(data) + obj.flush()


SKIPPABLE = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"skip"

payloads = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=8), st.integers(1, 4000)),
)


@pytest.mark.parametrize("path", corpus_files("blob"), ids=lambda p: p.name)
def test_blob_seed_corpus(path: Any) -> None:
    blob = path.read_bytes()
    for size in (0, 1, 100, 4096, LIMIT):
        check_blob(blob, size)


@examples(300)
@given(st.binary(max_size=200), st.integers(-2, 3000))
@example(SKIPPABLE, 0)
@example(SKIPPABLE + frame(b"abc"), 3)
@example(frame(b""), 0)
@example(b"", 0)
def test_arbitrary_bytes(blob: bytes, size: int) -> None:
    check_blob(blob, size)


@examples(150)
@given(
    payloads,
    st.booleans(),
    st.booleans(),
    st.integers(-1, 5000),
    st.sampled_from([None, b"a dictionary of raw content " * 4]),
    st.sampled_from([None, b"a dictionary of raw content " * 4, b"another one" * 9]),
)
def test_frames_of_any_size_claim(data: bytes, checksum: bool, content_size: bool,
                                  declared: int, dict_in: bytes | None,
                                  dict_out: bytes | None) -> None:
    """Honest and lying declared sizes, frames without content size or checksum, the wrong
    dictionary: exactly the declared bytes or BlobError."""
    compressor = zstandard.ZstdCompressor(
        level=3,
        write_checksum=checksum,
        write_content_size=content_size,
        dict_data=None if dict_in is None else zstandard.ZstdCompressionDict(dict_in),
    )
    blob = compressor.compress(data)
    check_blob(blob, declared, dictionary=dict_out)
    if declared == len(data) and dict_in == dict_out:
        assert decompress_blob(blob, declared, limit=LIMIT, dictionary=dict_out) == data


@examples(30)
@given(st.integers(LIMIT // 2, 64 * LIMIT), st.integers(0, LIMIT), st.booleans())
@example(1 << 30, 10, False)  # a 1 GiB bomb declared as 10 bytes, no size in the header
def test_bombs(real: int, declared: int, content_size: bool) -> None:
    """A frame of ``real`` zero bytes, declared as ``declared``: never more than that."""
    assume(declared < real)
    obj = zstandard.ZstdCompressor(level=1).compressobj(size=real if content_size else -1)
    chunk = bytes(1 << 20)
    blob = b"".join(obj.compress(chunk) for _ in range(real >> 20))
    blob += obj.compress(bytes(real & ((1 << 20) - 1))) + obj.flush()
    with pytest.raises(BlobError):
        decompress_blob(blob, declared, limit=LIMIT)


@examples(300)
@given(mutated(st.sampled_from([compress_blob(b"snapshot " * 300), frame(b"x" * 5000),
                                frame(bytes(range(256)) * 8, checksum=False),
                                frame(b"abc", content_size=False) + frame(b"def")])))
def test_mutated_frames(blob: bytes) -> None:
    for size in (2700, 5000, 2048, 6, 3):
        check_blob(blob, size)


ELF = b"\x7fELF mod " + bytes(range(256)) * 16
ELF_SHA = hashlib.sha256(ELF).hexdigest()


@examples(200)
@given(st.one_of(st.binary(max_size=100), mutated(st.just(compress_blob(ELF, 19)))),
       st.integers(-1, 2 * len(ELF)))
@example(compress_blob(ELF, 19), len(ELF))
def test_decompress_mod(blob: bytes, size: int) -> None:
    try:
        elf = decompress_mod(blob, size, ELF_SHA, limit=LIMIT)
    except ModVerificationError as exc:
        assert ELF_SHA[:16] in str(exc)
        return
    assert elf == ELF
