"""Who may connect at all: open connections per address, addresses locked out after wrong
secrets, and the origins of browser pages.

Sans-I/O: the server's shell asks and reports; nothing here owns a socket or a clock. Who may
then join, under which name and in which slot, is ``lockstep.handshake``'s business.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from urllib.parse import urlsplit

__all__ = ["Admission", "Lockout", "address_key", "origin_allowed", "MAX_TRACKED_ADDRESSES"]

#: Addresses ``Lockout`` remembers at most (wrong secrets or a lockout); past it, the
#: oldest are forgotten first. 10,000 addresses hold well under 10 MB.
MAX_TRACKED_ADDRESSES = 10_000


class Admission:
    """Open connections per address.

    Args:
        max_conns_per_address: connections one address may hold open; ``None``: no cap.
    """

    def __init__(self, max_conns_per_address: int | None) -> None:
        self.max_conns_per_address = max_conns_per_address
        self._per_address: Counter[str] = Counter()

    def connect(self, address: str) -> bool:
        """Count a new connection from ``address``; False (and not counted) if over the cap."""
        cap = self.max_conns_per_address
        if cap is not None and self._per_address[address] >= cap:
            return False
        self._per_address[address] += 1
        return True

    def disconnect(self, address: str) -> None:
        """A connection counted by ``connect`` has ended."""
        self._per_address[address] -= 1
        if self._per_address[address] <= 0:
            del self._per_address[address]

    def connections(self, address: str) -> int:
        """Connections open from ``address``."""
        return self._per_address[address]


def address_key(address: str) -> str:
    """The unit one lockout covers: an IPv4 address, or the /64 network of an IPv6 address
    (one host commonly holds a whole /64, so counting single IPv6 addresses would give it
    2**64 tries)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Lockout:
    """Wrong passwords and admin tokens per address (``address_key``), counted in server
    ticks: ``limit`` of them within ``window`` ticks lock the address out for ``ticks`` ticks.

    Sans-I/O and clock-free: the caller passes the server's tick. Each address keeps at most
    ``limit`` recent ticks; at most ``MAX_TRACKED_ADDRESSES`` addresses are kept.

    Args:
        limit: wrong secrets that lock an address out; ``None``: never.
        window: ticks within which they count.
        ticks: ticks the address stays locked out.
    """

    def __init__(self, limit: int | None, window: int, ticks: int) -> None:
        self.limit, self.window, self.ticks = limit, window, ticks
        self._wrong: dict[str, list[int]] = {}  # key -> ticks of recent wrong secrets
        self._until: dict[str, int] = {}  # key -> last tick locked out

    def locked(self, address: str, tick: int) -> int:
        """Ticks ``address`` stays locked out after ``tick`` (0: it is not)."""
        key = address_key(address)
        until = self._until.get(key)
        if until is None:
            return 0
        if until < tick:
            del self._until[key]
            return 0
        return until - tick + 1

    def wrong(self, address: str, tick: int) -> bool:
        """``address`` gave a wrong secret at ``tick``; True if that locks it out now."""
        if self.limit is None:
            return False
        key = address_key(address)
        recent = [t for t in self._wrong.pop(key, ()) if t > tick - self.window]
        recent.append(tick)
        if len(recent) < self.limit:
            self._wrong[key] = recent
            self._bound(tick)
            return False
        self._until.pop(key, None)
        self._until[key] = tick + self.ticks - 1
        self._bound(tick)
        return True

    def _bound(self, tick: int) -> None:
        """Forget what no longer counts, then the oldest addresses past the cap."""
        if len(self._wrong) + len(self._until) <= MAX_TRACKED_ADDRESSES:
            return
        self._wrong = {k: ts for k, ts in self._wrong.items() if ts[-1] > tick - self.window}
        self._until = {k: u for k, u in self._until.items() if u >= tick}
        for table in (self._wrong, self._until):
            while table and len(self._wrong) + len(self._until) > MAX_TRACKED_ADDRESSES:
                del table[next(iter(table))]

    @property
    def tracked(self) -> int:
        """Addresses remembered (wrong secrets or a lockout)."""
        return len(self._wrong) + len(self._until)


def origin_allowed(origin: str, host: str | None, allowed: tuple[str, ...] | None) -> bool:
    """May a browser page from ``origin`` connect?

    Args:
        origin: the ``Origin`` header.
        host: the ``Host`` header (``None`` if absent).
        allowed: exact origins allowed (``"*"``: any), or ``None``: the origin's host must
            be the ``Host`` header's host (ports may differ: a page from a web server on
            port 80 may play on port 8765).
    """
    origin = origin.strip().rstrip("/").lower()
    if allowed is not None:
        return "*" in allowed or origin in {a.strip().rstrip("/").lower() for a in allowed}
    if host is None:
        return False
    try:
        origin_host = urlsplit(origin).hostname
        host_only = urlsplit("//" + host.strip()).hostname
    except ValueError:
        return False
    return origin_host is not None and origin_host == host_only
