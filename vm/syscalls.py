"""The Linux syscalls a static musl program needs, and nothing that reaches the host.

No file, socket or process syscalls exist here: anything not in ``SYSCALLS`` returns
``-ENOSYS`` and is counted in ``machine.unknown_syscalls``. Time is virtual (derived from the
retired-instruction count) and randomness is seeded, so a program runs the same everywhere.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import GuestExit, GuestSignal

if TYPE_CHECKING:
    from .machine import Machine

__all__ = ["SYSCALLS", "ENOSYS"]

EBADF, EFAULT, EINVAL, ENOMEM, ENOTTY, ENOSYS = 9, 14, 22, 12, 25, 38
MAP_ANONYMOUS = 0x20
MAP_FIXED = 0x10
MREMAP_MAYMOVE = 1
#: Virtual clock: one retired instruction is one nanosecond.
NS_PER_INSTRUCTION = 1

Handler = Callable[..., int]


def sys_write(m: Machine, fd: int, buf: int, count: int, *_: int) -> int:
    if fd not in (1, 2):
        return -EBADF
    count = min(count, m.limits.max_guest_str)
    if not m.memory.readable(buf, count):
        return -EFAULT
    m.emit(fd, m.memory.read(buf, count))
    return count


def sys_writev(m: Machine, fd: int, iov: int, iovcnt: int, *_: int) -> int:
    if fd not in (1, 2):
        return -EBADF
    if not 0 <= iovcnt <= 1024 or not m.memory.readable(iov, 16 * iovcnt):
        return -EINVAL
    total = 0
    chunks = []
    for i in range(iovcnt):
        base, length = struct.unpack_from("<QQ", m.mem, iov + 16 * i - m.base)
        if length == 0:
            continue
        if length > m.limits.max_guest_str or not m.memory.readable(base, length):
            return -EFAULT
        chunks.append(m.memory.read(base, length))
        total += length
    m.emit(fd, b"".join(chunks))
    return total


def sys_exit(m: Machine, status: int, *_: int) -> int:
    raise GuestExit(m.pc, status & 0xFF)


def sys_brk(m: Machine, addr: int, *_: int) -> int:
    return m.memory.set_brk(addr)


def sys_mmap(m: Machine, addr: int, length: int, prot: int, flags: int, fd: int, *_: int) -> int:
    if not flags & MAP_ANONYMOUS or flags & MAP_FIXED:
        return -ENOSYS if not flags & MAP_ANONYMOUS else -EINVAL
    got = m.memory.mmap(length)
    return -ENOMEM if got is None else got


def sys_munmap(m: Machine, addr: int, length: int, *_: int) -> int:
    return 0 if m.memory.munmap(addr, length) else -EINVAL


def sys_mremap(m: Machine, addr: int, old: int, new: int, flags: int, *_: int) -> int:
    if flags & ~MREMAP_MAYMOVE:
        return -EINVAL  # MREMAP_FIXED and MREMAP_DONTUNMAP are not offered
    got = m.memory.mremap(addr, old, new, bool(flags & MREMAP_MAYMOVE))
    return -ENOMEM if got is None else got


def sys_zero(m: Machine, *_: int) -> int:
    return 0


def sys_one(m: Machine, *_: int) -> int:
    return 1


def sys_enotty(m: Machine, *_: int) -> int:
    return -ENOTTY


def sys_clock_gettime(m: Machine, clock: int, ts: int, *_: int) -> int:
    if not m.memory.writable(ts, 16):
        return -EFAULT
    ns = m.instret * NS_PER_INSTRUCTION
    m.memory.write(ts, struct.pack("<QQ", ns // 1_000_000_000, ns % 1_000_000_000))
    return 0


def sys_getrandom(m: Machine, buf: int, length: int, flags: int, *_: int) -> int:
    length = min(length, 256)
    if not m.memory.writable(buf, length):
        return -EFAULT
    out = b""
    while len(out) < length:
        block = hashlib.sha256(m.random_seed + m.random_counter.to_bytes(8, "little")).digest()
        m.random_counter += 1
        out += block
    m.memory.write(buf, out[:length])
    return length


def sys_sched_getaffinity(m: Machine, pid: int, size: int, mask: int, *_: int) -> int:
    if size < 8 or not m.memory.writable(mask, 8):
        return -EINVAL
    m.memory.write(mask, struct.pack("<Q", 1))
    return 8


def sys_kill(m: Machine, pid: int, sig: int, *_: int) -> int:
    raise GuestSignal(m.pc, sig)


def sys_tgkill(m: Machine, tgid: int, tid: int, sig: int, *_: int) -> int:
    raise GuestSignal(m.pc, sig)


#: riscv64 Linux syscall numbers to handlers.
SYSCALLS: dict[int, Handler] = {
    29: sys_enotty,  # ioctl
    64: sys_write,
    66: sys_writev,
    93: sys_exit,
    94: sys_exit,  # exit_group
    96: sys_one,  # set_tid_address -> tid 1
    99: sys_zero,  # set_robust_list
    113: sys_clock_gettime,
    123: sys_sched_getaffinity,
    124: sys_zero,  # sched_yield
    129: sys_kill,
    130: lambda m, tid, sig, *_: sys_kill(m, tid, sig),  # tkill
    131: sys_tgkill,
    134: sys_zero,  # rt_sigaction
    135: sys_zero,  # rt_sigprocmask
    172: sys_one,  # getpid
    173: sys_zero,  # getppid
    174: sys_zero,  # getuid
    175: sys_zero,  # geteuid
    176: sys_zero,  # getgid
    177: sys_zero,  # getegid
    178: sys_one,  # gettid
    214: sys_brk,
    215: sys_munmap,
    216: sys_mremap,
    222: sys_mmap,
    226: sys_zero,  # mprotect: the arena has no page protections
    233: sys_zero,  # madvise
    278: sys_getrandom,
}
