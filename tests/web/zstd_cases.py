"""zstd inputs (honest, bombs, forgeries) and what ``protocol.compression`` makes of them.

Runs on both sides: ``write_inputs`` (CPython, with zstandard) writes the inputs into a folder;
``outcomes`` reads them with whichever zstd library this interpreter has; as ``__main__`` (in
Pyodide) it prints the outcomes as JSON and leaves a frame of its own making in the folder.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from protocol import compression, zstd
from protocol.errors import ProtocolError

#: Honest data: some structure, some repetition.
DATA = b"".join(i.to_bytes(4, "little") * (i % 7 + 1) for i in range(3000)) + b"riscade" * 300
#: The frame the other side makes (written by ``__main__``).
THEIRS = "made_in_pyodide.zst"


def digest(data: bytes) -> str:
    """A short name for output bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def _forged_header(claimed: int) -> bytes:
    """A frame header that claims ``claimed`` bytes (single segment, 8-byte size), then an
    empty last raw block."""
    return b"\x28\xb5\x2f\xfd" + bytes([0xE0]) + claimed.to_bytes(8, "little") + b"\x01\x00\x00"


def write_inputs(folder: Path) -> None:
    """Write every case's input (made with zstandard) and ``cases.json`` into ``folder``."""
    import zstandard

    ok = compression.compress_blob(DATA)
    zeros = zstandard.ZstdCompressor(level=1)
    sized = zeros.compressobj(size=64 << 20)
    unsized = zstandard.ZstdCompressor(level=1, write_content_size=False).compressobj()
    chunk = bytes(1 << 20)
    gib = b"".join(sized.compress(chunk) for _ in range(64)) + sized.flush()
    bomb = b"".join(unsized.compress(chunk) for _ in range(64)) + unsized.flush()
    wide_obj = zstandard.ZstdCompressor(  # streaming: the frame keeps its 1 MiB window
        compression_params=zstandard.ZstdCompressionParameters.from_level(
            3, window_log=20)).compressobj()
    wide = wide_obj.compress(DATA[:5000]) + wide_obj.flush()
    samples = [DATA[i:i + 512] + bytes([i % 251]) * 64 for i in range(0, len(DATA) - 512, 97)]
    dictionary = zstandard.train_dictionary(1024, samples).as_bytes()
    with_dict = compression.compress_blob(DATA, dictionary=dictionary)
    half = len(DATA) // 2
    plain = zstandard.ZstdCompressor(write_content_size=False)
    cases: dict[str, dict[str, Any]] = {
        "round_trip": {"blob": ok, "size": len(DATA)},
        "empty": {"blob": compression.compress_blob(b""), "size": 0},
        "two_frames": {"blob": plain.compress(DATA[:half]) + plain.compress(DATA[half:]),
                       "size": len(DATA)},
        "two_sized_frames": {"blob": compression.compress_blob(DATA[:half])
                             + compression.compress_blob(DATA[half:]), "size": len(DATA)},
        "gib_bomb": {"blob": gib, "size": 1000},
        "unsized_bomb": {"blob": bomb, "size": 1000},
        "forged_header": {"blob": _forged_header(1 << 40), "size": 1000},
        "wide_window": {"blob": wide, "size": 5000},
        "truncated": {"blob": ok[:-10], "size": len(DATA)},
        "trailing_garbage": {"blob": ok + b"garbage!", "size": len(DATA)},
        "wrong_size": {"blob": ok, "size": len(DATA) + 5},
        "not_zstd": {"blob": b"hello world, this is not zstd", "size": 29},
        "over_limit": {"blob": ok, "size": 2_000_001},
        "with_dict": {"blob": with_dict, "size": len(DATA), "dict": True},
        "dict_missing": {"blob": with_dict, "size": len(DATA)},
        "mod_ok": {"blob": ok, "size": len(DATA), "sha": hashlib.sha256(DATA).hexdigest()},
        "mod_bad_sha": {"blob": ok, "size": len(DATA), "sha": "0" * 64},
    }
    (folder / "dict.bin").write_bytes(dictionary)
    index = {}
    for name, case in cases.items():
        (folder / f"{name}.zst").write_bytes(case.pop("blob"))
        index[name] = case
    (folder / "cases.json").write_text(json.dumps(index))


def _outcome(call: Any) -> list[str]:
    try:
        out = call()
    except ProtocolError as exc:
        text = str(exc)
        for prefix in ("corrupt zstd data", "not a zstd frame"):  # libzstd's words differ
            if prefix in text:
                text = text[:text.index(prefix) + len(prefix)]
        return [type(exc).__name__, text]
    return ["ok", digest(out)]


def outcomes(folder: Path) -> dict[str, Any]:
    """What ``protocol.compression`` makes of each case in ``folder``, by case name."""
    dictionary = (folder / "dict.bin").read_bytes()
    result = {}
    for name, case in json.loads((folder / "cases.json").read_text()).items():
        blob = (folder / f"{name}.zst").read_bytes()
        d = dictionary if case.get("dict") else None
        if "sha" in case:
            result[name] = _outcome(lambda b=blob, c=case: compression.decompress_mod(
                b, c["size"], c["sha"], limit=2_000_000))
        else:
            result[name] = _outcome(lambda b=blob, c=case, d=d: compression.decompress_blob(
                b, c["size"], limit=2_000_000, dictionary=d))
    return {"backend": zstd.DEFAULT.name, "outcomes": result}


if __name__ == "__main__":
    _folder = Path(sys.argv[1])
    (_folder / THEIRS).write_bytes(compression.compress_blob(DATA, 19))
    print(json.dumps(outcomes(_folder)))
