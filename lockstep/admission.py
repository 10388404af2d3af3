"""Who may connect at all: open connections per address, and the origins of browser pages.

Sans-I/O: the server's shell asks and reports; nothing here owns a socket or a clock. Who may
then join, under which name and in which slot, is ``lockstep.handshake``'s business.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

__all__ = ["Admission", "origin_allowed"]


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
