"""Text from a peer in the server's log lines, shown escaped.

(Names themselves are cleaned and compared in ``lockstep.names``.)
"""

from __future__ import annotations

__all__ = ["shown"]


def shown(text: str, limit: int = 48) -> str:
    """``text`` for a log line: quoted and escaped like ``repr`` (so a bidi control or a
    newline shows as ``\\u202e``, ``\\n``), at most ``limit`` characters of it."""
    cut = text[:limit]
    return repr(cut) + ("..." if len(text) > limit else "")
