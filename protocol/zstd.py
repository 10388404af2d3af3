"""The zstd library this interpreter has, behind three functions ``protocol.compression`` uses.

CPython 3.11 (the server) has ``zstandard``; CPython 3.14 has ``compression.zstd`` in its
standard library, and that is the one Pyodide (the browser client) has. Both wrap the same
libzstd, so a frame one makes the other reads. The bounds (declared size, output cap, window
cap) are decided in ``protocol.compression`` alone; a backend only obeys them:

- ``compress(data, level, dictionary)``: one frame with content size and checksum;
- ``content_size(blob)``: what the first frame's header claims (-1: it does not say);
- ``decompress(blob, max_out, window, dictionary)``: the output of every frame in ``blob``,
  never more than ``max_out`` bytes in all, refusing a frame that needs a window over
  ``window`` bytes (a power of two).

Each raises ``BlobError`` when libzstd refuses the data.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from .errors import BlobError

__all__ = ["Backend", "backend", "available", "DEFAULT"]


class Backend(Protocol):
    """One zstd library, behind the three operations riscade needs."""

    name: str

    def compress(self, data: bytes, level: int, dictionary: bytes | None) -> bytes:
        """One frame with content size and checksum."""
        ...

    def content_size(self, blob: bytes) -> int:
        """The decompressed size the first frame's header claims, -1 if it does not say."""
        ...

    def decompress(self, blob: bytes, max_out: int, window: int,
                   dictionary: bytes | None) -> list[bytes]:
        """The decompressed chunks of every frame, at most ``max_out`` bytes in all."""
        ...


class _Zstandard:
    """``zstandard`` (PyPI, C extension): the server's."""

    name = "zstandard"

    def __init__(self) -> None:
        self._z: Any = importlib.import_module("zstandard")

    def _dict(self, dictionary: bytes | None) -> Any:
        return None if dictionary is None else self._z.ZstdCompressionDict(dictionary)

    def compress(self, data: bytes, level: int, dictionary: bytes | None) -> bytes:
        c = self._z.ZstdCompressor(level=level, write_checksum=True, write_content_size=True,
                                   dict_data=self._dict(dictionary))
        return bytes(c.compress(data))

    def content_size(self, blob: bytes) -> int:
        try:
            return int(self._z.frame_content_size(blob))
        except self._z.ZstdError as exc:
            raise BlobError(f"not a zstd frame ({exc})") from exc

    def decompress(self, blob: bytes, max_out: int, window: int,
                   dictionary: bytes | None) -> list[bytes]:
        d = self._z.ZstdDecompressor(dict_data=self._dict(dictionary), max_window_size=window)
        parts: list[bytes] = []
        got = 0
        try:
            with d.stream_reader(blob, read_across_frames=True) as reader:
                while got < max_out:
                    chunk = reader.read(max_out - got)
                    if not chunk:
                        break
                    parts.append(chunk)
                    got += len(chunk)
        except self._z.ZstdError as exc:
            raise BlobError(f"corrupt zstd data ({exc})") from exc
        return parts


class _Stdlib:
    """``compression.zstd`` (CPython 3.14's standard library): Pyodide's."""

    name = "compression.zstd"

    def __init__(self) -> None:
        self._z: Any = importlib.import_module("compression.zstd")

    def _dict(self, dictionary: bytes | None) -> Any:
        return None if dictionary is None else self._z.ZstdDict(dictionary)

    def compress(self, data: bytes, level: int, dictionary: bytes | None) -> bytes:
        p = self._z.CompressionParameter
        options = {p.compression_level: level, p.checksum_flag: 1, p.content_size_flag: 1}
        return bytes(self._z.compress(bytes(data), options=options,
                                      zstd_dict=self._dict(dictionary)))

    def content_size(self, blob: bytes) -> int:
        try:
            size = self._z.get_frame_info(bytes(blob)).decompressed_size
        except self._z.ZstdError as exc:
            raise BlobError(f"not a zstd frame ({exc})") from exc
        return -1 if size is None else int(size)

    def decompress(self, blob: bytes, max_out: int, window: int,
                   dictionary: bytes | None) -> list[bytes]:
        options = {self._z.DecompressionParameter.window_log_max: window.bit_length() - 1}
        parts: list[bytes] = []
        got = 0
        rest = bytes(blob)
        try:
            while rest and got < max_out:  # one decompressor per frame
                d = self._z.ZstdDecompressor(zstd_dict=self._dict(dictionary), options=options)
                data = rest
                while got < max_out and not d.eof:
                    chunk = d.decompress(data, max_length=max_out - got)
                    data = b""
                    parts.append(chunk)
                    got += len(chunk)
                    if not chunk and not d.eof:
                        return [p for p in parts if p]  # truncated: the frame wants more
                rest = d.unused_data if d.eof else b""
        except self._z.ZstdError as exc:
            raise BlobError(f"corrupt zstd data ({exc})") from exc
        return [p for p in parts if p]


_BACKENDS: dict[str, type[_Zstandard] | type[_Stdlib]] = {
    "zstandard": _Zstandard,
    "compression.zstd": _Stdlib,
}


def backend(name: str) -> Backend:
    """The backend ``name`` (``zstandard`` or ``compression.zstd``).

    Raises:
        ImportError: this interpreter lacks that library.
    """
    return _BACKENDS[name]()


def available() -> list[str]:
    """The backends this interpreter can load, preferred first."""
    out = []
    for name in _BACKENDS:
        try:
            backend(name)
        except ImportError:
            continue
        out.append(name)
    return out


def _default() -> Backend:
    names = available()
    if not names:
        raise ImportError("no zstd library: install zstandard, or run CPython 3.14+")
    return backend(names[0])


#: The backend ``protocol.compression`` uses: ``zstandard`` if installed, else the stdlib's.
DEFAULT: Backend = _default()
