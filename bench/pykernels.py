"""The kernels of bench/kernels/*.c in plain Python: the CPython baseline.

Each computes the same checksum as its C original (see the C file for what it does), written
as one would write it in Python: integers masked where C's wrap around, bytearray slices for
memmove and memset, ``bytes.find`` for memchr.
"""

from __future__ import annotations

import math

__all__ = ["KERNELS", "bench_call3", "bench_fib", "bench_loop", "bench_mixed", "bench_nbody",
           "bench_nop", "bench_strings"]

M32 = 0xFFFFFFFF


def _fib(n: int) -> int:
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def bench_fib(n: int) -> int:
    return _fib(n)


def bench_loop(n: int) -> int:
    x = 1
    acc = 0
    for i in range(n):
        x = (x * 1664525 + 1013904223) & M32
        hi = x >> 16
        if hi & 1:
            acc += hi
        else:
            acc += (i & 1023) * 3
        acc &= M32
    return acc


# --- mixed -----------------------------------------------------------------------------------

LIST_N = 32
MAT_N = 8
TEXT0 = b"5012,1234,-874,+122,0x1F,3.14e2,abc,--5,7.,6E-3,99,+.5,1.2.3,e7,00,"
ALPHABET = b"0123456789.,+-eEx"
START, SIGN, INT, FLOAT, EXP_E, EXP_SIGN, SCIENTIFIC, INVALID = range(8)
NSTATES = 8
_DIGITS = frozenset(b"0123456789")
_SIGNS = frozenset(b"+-")
_COMMA, _DOT, _E, _UPPER_E = ord(","), ord("."), ord("e"), ord("E")


class _Node:
    __slots__ = ("next", "value", "index")

    def __init__(self, index: int) -> None:
        self.next: _Node | None = None
        self.value = 0
        self.index = index


def _crc8(crc: int, byte: int) -> int:
    crc ^= byte & 0xFF
    for _ in range(8):
        crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _crc16(crc: int, word: int) -> int:
    return _crc8(_crc8(crc, word & 0xFF), (word >> 8) & 0xFF)


def _list_work(nodes: list[_Node], s: int) -> int:
    for i, node in enumerate(nodes):
        node.value = (i * 37 + s) & 0xFF
        node.next = nodes[i + 1] if i + 1 < LIST_N else None
    prev = None
    p: _Node | None = nodes[0]
    while p is not None:
        nxt = p.next
        p.next = prev
        prev = p
        p = nxt
    head = prev
    total = big = 0
    found = 255
    pos = 1
    p = head
    while p is not None:
        total += p.value * pos
        if p.value > 128:
            big += 1
        if found == 255 and (p.value & 15) == (s & 15):
            found = p.index
        p = p.next
        pos += 1
    while head is not None and head.value & 1:
        head = head.next
    p = head
    while p is not None and p.next is not None:
        if p.next.value & 1:
            p.next = p.next.next
        else:
            p = p.next
    left = 0
    p = head
    while p is not None:
        left += 1
        p = p.next
    return total + big * 4096 + found * 65536 + left * 16777216


def _matrix_work(s: int) -> int:
    ma = [((i * 13 + j * 7 + s) & 0xFF) - 128 for i in range(MAT_N) for j in range(MAT_N)]
    mb = [((i * 5 + j * 11 + s * 3) & 0xFF) - 128 for i in range(MAT_N) for j in range(MAT_N)]
    cols = [mb[j::MAT_N] for j in range(MAT_N)]
    mc = [sum(a * b for a, b in zip(ma[i * MAT_N:(i + 1) * MAT_N], col, strict=True))
          for i in range(MAT_N) for col in cols]
    r = 0
    for i, v in enumerate(mc):
        if v > 0:
            r += v >> 4
        else:
            r -= i
    return r


def _state_next(state: int, c: int) -> int:
    digit = c in _DIGITS
    if state == START:
        return INT if digit else SIGN if c in _SIGNS else FLOAT if c == _DOT else INVALID
    if state == SIGN or state == INT:
        return INT if digit else FLOAT if c == _DOT else INVALID
    if state == FLOAT:
        return FLOAT if digit else EXP_E if c == _E or c == _UPPER_E else INVALID
    if state == EXP_E:
        return EXP_SIGN if c in _SIGNS else INVALID
    if state == EXP_SIGN or state == SCIENTIFIC:
        return SCIENTIFIC if digit else INVALID
    return INVALID


def _state_work(text: bytearray, s: int, counts: list[int]) -> None:
    text[(s * 7) % len(text)] = ALPHABET[s % len(ALPHABET)]
    state = START
    for c in text:
        if c == _COMMA:
            counts[state] += 1
            state = START
        else:
            state = _state_next(state, c)
    counts[state] += 1


def bench_mixed(n: int) -> int:
    nodes = [_Node(i) for i in range(LIST_N)]
    text = bytearray(TEXT0)
    crc = total = 0
    for it in range(n):
        s = it & 0xFF
        counts = [0] * NSTATES
        lw = _list_work(nodes, s) & M32
        mw = _matrix_work(s) & M32
        _state_work(text, s, counts)
        crc = _crc16(crc, lw & 0xFFFF)
        crc = _crc16(crc, (lw >> 16) & 0xFFFF)
        crc = _crc16(crc, mw & 0xFFFF)
        crc = _crc16(crc, (mw >> 16) & 0xFFFF)
        for c in counts:
            crc = _crc16(crc, c)
        total = (total + lw + mw) & M32
    return crc + 65536 * (total & 0xFFFF)


# --- n-body --------------------------------------------------------------------------------

PI = 3.141592653589793
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24
INITIAL = (
    (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS),
    (4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS),
    (8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS),
    (1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS),
    (1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS),
)


def bench_nbody(n: int) -> float:
    bodies = [list(b) for b in INITIAL]
    px = py = pz = 0.0
    for b in bodies:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    sun = bodies[0]
    sun[3] = -px / SOLAR_MASS
    sun[4] = -py / SOLAR_MASS
    sun[5] = -pz / SOLAR_MASS
    pairs = [(bodies[i], bodies[j]) for i in range(5) for j in range(i + 1, 5)]
    dt = 0.01
    sqrt = math.sqrt
    for _ in range(n):
        for b, b2 in pairs:
            dx = b[0] - b2[0]
            dy = b[1] - b2[1]
            dz = b[2] - b2[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            bm = b[6] * mag
            b2m = b2[6] * mag
            b[3] -= dx * b2m
            b[4] -= dy * b2m
            b[5] -= dz * b2m
            b2[3] += dx * bm
            b2[4] += dy * bm
            b2[5] += dz * bm
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]
    e = 0.0
    for i, b in enumerate(bodies):
        e += 0.5 * b[6] * (b[3] * b[3] + b[4] * b[4] + b[5] * b[5])
        for b2 in bodies[i + 1:]:
            dx = b[0] - b2[0]
            dy = b[1] - b2[1]
            dz = b[2] - b2[2]
            e -= (b[6] * b2[6]) / sqrt(dx * dx + dy * dy + dz * dz)
    return e


# --- strings -------------------------------------------------------------------------------

BUF_N = 4096


def bench_strings(n: int) -> int:
    buf = bytearray((i * 7 + 3) & 0xFF for i in range(BUF_N))
    acc = 0
    for i in range(n):
        length = 16 + (i * 13) % 1008
        src = (i * 131) % 2048
        dst = (i * 71) % 2048 + 1024
        buf[dst:dst + length] = buf[src:src + length]
        at = (i * 29) % 3072
        fill = 64 + i % 64
        buf[at:at + fill] = bytes((i & 0xFF,)) * fill
        h = 0
        w = (i * 17) % 3840
        for b in buf[w:w + 256]:
            h = (h * 31 + b) & M32
        pos = buf.find((i * 3) & 0xFF) + 1
        a = (i * 5) % 4032
        c = (i * 11) % 4032
        left, right = buf[a:a + 64], buf[c:c + 64]
        sign = 1 if left < right else 2 if left > right else 0
        acc = (acc * 33 + h + pos + sign) & M32
    return acc


# --- calls -----------------------------------------------------------------------------------

def bench_nop(n: int) -> int:
    return n


def bench_call3(a: int, b: int, c: int) -> int:
    return a + b + c


#: Kernel name -> function taking the size and returning the checksum.
KERNELS = {
    "fib": bench_fib,
    "loop": bench_loop,
    "mixed": bench_mixed,
    "nbody": bench_nbody,
    "strings": bench_strings,
}
