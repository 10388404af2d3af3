"""Snapshots: a machine's guest-visible state as bytes, and back.

Format (little-endian), covered by a trailing SHA-256 so corruption is detected::

    magic "RSCSNAP1" | program sha256 (32) | memory size u64 | header fields (u64 each)
    | x1..x31 | f0..f31 | random seed | page map | call frames | changed pages | checksum

Only the memory pages that differ from the loaded program image are stored, so a snapshot
of a freshly loaded mod is a few kilobytes. Captured stdout/stderr is not part of the state.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .elf import PAGE
from .errors import SnapshotError

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["dump", "load", "changed_pages", "StateHasher"]

MAGIC = b"RSCSNAP1"
_HEADER = struct.Struct("<9Q")
_REGS = struct.Struct("<63Q")
_NONE = (1 << 64) - 1


def _differing(data: bytearray, other: memoryview) -> Iterator[int]:
    """Offsets of the 4 KiB pages where ``data`` differs from ``other`` (same size)."""
    # Compare 256 KiB chunks first, pages only where they differ. ``startswith`` at an offset
    # against a memoryview is a memcmp in place: slicing would copy both sides.
    chunk = PAGE * 64
    for start in range(0, len(data), chunk):
        end = min(start + chunk, len(data))
        if data.startswith(other[start:end], start):
            continue
        for page in range(start, end, PAGE):
            if not data.startswith(other[page:page + PAGE], page):
                yield page


def changed_pages(data: bytearray, image: bytes) -> list[int]:
    """Indexes of the 4 KiB pages where ``data`` differs from ``image``."""
    return [page // PAGE for page in _differing(data, memoryview(image))]


def _blob(b: bytes) -> bytes:
    return struct.pack("<Q", len(b)) + b


def _head(m: Machine) -> list[bytes]:
    """Every part of a snapshot before its pages."""
    mem = m.memory
    parts = [
        MAGIC,
        bytes.fromhex(m.program.sha256),
        struct.pack("<Q", mem.size),
        _HEADER.pack(
            m.pc, m.instret, m.fflags, m.frm,
            _NONE if m.reservation is None else m.reservation,
            mem.brk, m.random_counter, m.unknown_syscalls,
            _NONE if m.exit_status is None else m.exit_status,
        ),
        _REGS.pack(*m.x[1:32], *m.f),
        _blob(m.random_seed),
        _blob(bytes(mem.pages)),
        struct.pack("<Q", len(m.state.frames)),
    ]
    for fx, ff, fpc in m.state.frames:
        parts.append(_REGS.pack(*fx[1:32], *ff) + struct.pack("<Q", fpc))
    return parts


def dump(m: Machine) -> bytes:
    """Serialise machine ``m``."""
    mem = m.memory
    parts = _head(m)
    pages = changed_pages(mem.data, mem.image)
    parts.append(struct.pack("<Q", len(pages)))
    for i in pages:
        parts.append(struct.pack("<Q", i))
        parts.append(bytes(mem.data[i * PAGE:(i + 1) * PAGE]))
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


class StateHasher:
    """The state hash of one machine, kept up to date at the cost of what changed.

    The hash covers what a snapshot holds: the snapshot's head (registers, counters, page
    map, frames) and, for every page that differs from the loaded image, its index and the
    SHA-256 of its bytes. A shadow copy of memory as it was at the last hash finds the pages
    that changed since (a memcmp per 256 KiB, then per page), and only those are hashed
    again: a machine with 12 MiB of changed memory of which a tick touched one word costs a
    memcmp of its memory, not a SHA-256 of 12 MiB.
    """

    def __init__(self, image: bytes) -> None:
        self._shadow = bytearray(image)
        self._view = memoryview(self._shadow)
        self._pages: dict[int, bytes] = {}  # page index -> SHA-256 of a page unlike the image

    def hexdigest(self, m: Machine) -> str:
        """The state hash of ``m`` (which must be the machine this hasher was made for)."""
        self._update(m.memory.data, m.memory.image)
        h = hashlib.sha256(b"".join(_head(m)))
        pages = self._pages
        for i in sorted(pages):
            h.update(struct.pack("<Q", i))
            h.update(pages[i])
        return h.hexdigest()

    def _update(self, data: bytearray, image: bytes) -> None:
        shadow, view, pages = self._shadow, self._view, self._pages
        img = memoryview(image)
        for page in list(_differing(data, view)):  # (listed first: the loop writes the shadow)
            shadow[page:page + PAGE] = data[page:page + PAGE]
            if data.startswith(img[page:page + PAGE], page):
                pages.pop(page // PAGE, None)
            else:
                pages[page // PAGE] = hashlib.sha256(view[page:page + PAGE]).digest()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise SnapshotError("snapshot is truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def blob(self, limit: int) -> bytes:
        n = self.u64()
        if n > limit:
            raise SnapshotError(f"snapshot field of {n} bytes exceeds {limit}")
        return self.take(n)


def load(m: Machine, data: bytes) -> None:
    """Restore machine ``m`` (built from the same program and limits) from ``data``."""
    if len(data) < len(MAGIC) + 32 or data[:len(MAGIC)] != MAGIC:
        raise SnapshotError("not a riscade snapshot (bad magic)")
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        raise SnapshotError("snapshot is corrupt (checksum mismatch)")
    r = _Reader(body)
    r.take(len(MAGIC))
    program = r.take(32).hex()
    if program != m.program.sha256:
        raise SnapshotError(
            f"snapshot is of program {program[:12]}, this machine runs {m.program.sha256[:12]}"
        )
    mem = m.memory
    size = r.u64()
    if size != mem.size:
        raise SnapshotError(f"snapshot has {size} bytes of memory, this machine {mem.size}")
    (pc, instret, fflags, frm, reservation, brk, counter, unknown, status) = _HEADER.unpack(
        r.take(_HEADER.size)
    )
    regs = _REGS.unpack(r.take(_REGS.size))
    seed = r.blob(1 << 16)
    pages_map = r.blob(len(mem.pages))
    if len(pages_map) != len(mem.pages):
        raise SnapshotError("snapshot page map does not fit this machine's layout")
    nframes = r.u64()
    if nframes > 1024:
        raise SnapshotError(f"snapshot has {nframes} call frames")
    frames = []
    for _ in range(nframes):
        fregs = _REGS.unpack(r.take(_REGS.size))
        fpc = r.u64()
        frames.append(([0, *fregs[:31], 0], list(fregs[31:]), fpc))
    npages = r.u64()
    total = mem.size // PAGE
    if npages > total:
        raise SnapshotError(f"snapshot has {npages} pages, memory has {total}")
    changes = []
    for _ in range(npages):
        i = r.u64()
        if i >= total:
            raise SnapshotError(f"snapshot page {i} is outside memory")
        changes.append((i, r.take(PAGE)))
    if r.at != len(body):
        raise SnapshotError("snapshot has trailing bytes")
    # Everything is validated: now change the machine, all at once.
    mem.data[:] = mem.image
    for i, page in changes:
        mem.data[i * PAGE:(i + 1) * PAGE] = page
    mem.brk = brk
    mem.pages[:] = pages_map
    m.pc, m.instret, m.fflags, m.frm = pc, instret, fflags & 0x1F, frm & 7
    m.reservation = None if reservation == _NONE else reservation
    m.random_counter, m.unknown_syscalls = counter, unknown
    m.exit_status = None if status == _NONE else status
    m.x[1:32] = regs[:31]
    m.x[0] = m.x[32] = 0
    m.f[:] = regs[31:]
    m.random_seed = seed
    m.state.frames[:] = frames  # in place: the list may be held (translated code, callers)
