"""Which integers of the host API are entity or player ids: the rule typed SDKs follow.

The host API passes ids as plain ``i64``; a language with distinct types (Zig) gives them
``EntityId`` and ``PlayerId`` instead, and optionals where a function may return "none".
The rule reads only names and docs, so a function appended to ``mods.host_api`` gets typed
ids when it follows the table's conventions:

- a parameter named ``id`` or ``entity`` (or ending in ``_entity``) is an entity id; one
  named ``player`` (or ending in ``_player``) is a player id;
- an ``i64`` result whose doc names ``NO_ENTITY`` is an optional entity id (``NO_ENTITY``
  means none), one whose doc names ``NO_PLAYER`` an optional player id;
- the constants ``NO_ENTITY``, ``NO_PLAYER`` and ``ALL_PLAYERS`` are ids themselves.

A leaf of ``mods.sdk``.
"""

from __future__ import annotations

from enum import Enum

from vm.hostcalls import ArgKind

__all__ = ["IdKind", "ID_CONSTANTS", "param_id", "result_id"]


class IdKind(Enum):
    """An id type, by its name in the typed SDKs and the constant that means "none"."""

    ENTITY = ("EntityId", "NO_ENTITY")
    PLAYER = ("PlayerId", "NO_PLAYER")

    @property
    def type_name(self) -> str:
        return self.value[0]

    @property
    def none(self) -> str:
        return self.value[1]


#: Constants that are ids, and of which kind.
ID_CONSTANTS = {"NO_ENTITY": IdKind.ENTITY, "NO_PLAYER": IdKind.PLAYER,
                "ALL_PLAYERS": IdKind.PLAYER}


def param_id(name: str, kind: ArgKind) -> IdKind | None:
    """The id kind of an ``i64`` parameter called ``name``, or None for a plain number."""
    if kind is not ArgKind.I64:
        return None
    if name in ("id", "entity") or name.endswith("_entity"):
        return IdKind.ENTITY
    if name == "player" or name.endswith("_player"):
        return IdKind.PLAYER
    return None


def result_id(returns: ArgKind | None, doc: str) -> IdKind | None:
    """The id kind of a result (an optional id: ``none`` means there is none), or None."""
    if returns is not ArgKind.I64:
        return None
    for kind in IdKind:
        if kind.none in doc:
            return kind
    return None
