"""Protocol versions and their negotiation.

The client lists every version it speaks in ``Hello``; the server answers with the highest
one both speak (``Welcome.protocol_version``) or refuses with code ``"version"``. ``Hello``
and ``Refusal`` keep their version-1 shape in every later version, so any two versions can
at least say why they cannot talk.

History:
    1: the first version.
    2: ``ModEntry`` carries ``stack_limit`` (after ``memory_limit``), so clients give each mod
       the stack its ``mod.toml`` asks for; a version-1 client would lay out the machine
       differently, so this code does not speak version 1.
    3: ``Tick`` carries ``enables``, the disabled mods an admin re-enables at that tick; a
       version-2 client would not re-enable them and desync, so this code speaks only 3.
    4: player identity: ``Welcome`` carries the player's ``token``; ``Hello`` may carry it
       back (``token``), a ``password`` and an ``admin_token`` (optional fields, absent when
       empty, so a ``Hello`` keeps its version-1 shape); ``Notice`` (server → client) answers
       an admin command privately. A version-3 client cannot read a version-4 ``Welcome``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PROTOCOL_VERSION", "SUPPORTED_VERSIONS", "negotiate"]

#: The version this code speaks best.
PROTOCOL_VERSION = 4

#: Every version this code speaks.
SUPPORTED_VERSIONS: tuple[int, ...] = (PROTOCOL_VERSION,)


def negotiate(
    client_versions: Iterable[int], server_versions: Iterable[int] = SUPPORTED_VERSIONS
) -> int | None:
    """Pick the version a client and a server will speak.

    Args:
        client_versions: the versions the client offered (``Hello.protocol_versions``).
        server_versions: the versions the server speaks.

    Returns:
        The highest version in both, or ``None`` when they share none: the server then
        sends ``Refusal(code="version", ...)``.
    """
    common = set(client_versions) & set(server_versions)
    return max(common) if common else None
