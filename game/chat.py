"""Chat commands as world state: the registry behind the game's ``/help``.

A mod lists its commands with ``command_register(name, help)`` (host call 118); the registry
is part of the world (``World.commands``: journaled, serialised, hashed), so every machine
gives the same answer. A mod still handles its command in ``on_chat``; the game answers
``/help`` itself when no mod consumed the line (``help_lines``), as ``GAME_SPEAKER``, a name
no mod can have (mod names are lower case). ``chat_consumed`` (host call 117) tells a mod in
``on_chat`` whether one before it consumed the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .rules import COMMAND_HELP_LENGTH, COMMAND_NAME_LENGTH, COMMANDS_PER_MOD, HELP_LINES
from .text import clean

if TYPE_CHECKING:
    from .world import World

__all__ = ["Commands", "GAME_SPEAKER", "HELP_COMMAND", "chat_impls", "is_help"]

#: Who the game's own chat lines are from (``ModChat.mod``): not a possible mod name.
GAME_SPEAKER = "Game"
HELP_COMMAND = "help"
NAME_RE = re.compile(f"[a-z0-9_]{{1,{COMMAND_NAME_LENGTH}}}")
_MISSING = object()
Journal = Callable[[Callable[[], None]], None]


class Commands:
    """Chat command name -> (mod slot, help), at most ``COMMANDS_PER_MOD`` per mod."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.by_name: dict[str, tuple[int, str]] = {}

    def register(self, slot: int, name: str, help_text: str) -> int:
        """``command_register`` for mod ``slot``: 1 if listed (again: new help), 0 if
        another mod has ``name`` or this one has ``COMMANDS_PER_MOD`` commands.

        Raises:
            ValueError: a name that is not 1..COMMAND_NAME_LENGTH of ``[a-z0-9_]``, or "help".
        """
        if not NAME_RE.fullmatch(name) or name == HELP_COMMAND:
            raise ValueError(f"command_register: name {name[:40]!r} is not 1.."
                             f"{COMMAND_NAME_LENGTH} of a-z 0-9 _ (nor {HELP_COMMAND!r})")
        old = self.by_name.get(name, _MISSING)
        if old is not _MISSING and old[0] != slot:  # type: ignore[index]
            return 0
        if old is _MISSING and \
                sum(1 for s, _ in self.by_name.values() if s == slot) >= COMMANDS_PER_MOD:
            return 0
        self.by_name[name] = (slot, clean(help_text, COMMAND_HELP_LENGTH))

        def undo() -> None:
            if old is _MISSING:
                del self.by_name[name]
            else:
                self.by_name[name] = old  # type: ignore[assignment]
        self._journal(undo)
        return 1

    def help_lines(self, mod_names: list[str], disabled: frozenset[int] = frozenset()) -> list[str]:
        """The game's answer to ``/help``: one line per command by name, with the mod that
        has it (``mod_names[slot - 1]``), none of a ``disabled`` mod's slots, at most
        ``HELP_LINES`` lines in all."""
        lines = [f"/{name} - {text} ({mod_names[slot - 1]})" if text else
                 f"/{name} ({mod_names[slot - 1]})"
                 for name, (slot, text) in sorted(self.by_name.items()) if slot not in disabled]
        head = f"Commands ({len(lines)}):" if lines else "No commands."
        if len(lines) > HELP_LINES - 1:
            cut = HELP_LINES - 2
            lines = [*lines[:cut], f"... and {len(lines) - cut} more"]
        return [head, *lines]

    def dump(self) -> list[Any]:
        """Canonical plain form, sorted by name."""
        return [[name, slot, text] for name, (slot, text) in sorted(self.by_name.items())]

    @classmethod
    def load(cls, doc: Any, journal: Journal) -> Commands:
        """Inverse of ``dump``, every value checked.

        Raises:
            ValueError: malformed or out of bounds.
        """
        commands = cls(journal)
        try:
            for name, slot, text in doc:
                if not (isinstance(name, str) and NAME_RE.fullmatch(name)
                        and name != HELP_COMMAND and type(slot) is int and slot >= 1
                        and isinstance(text, str) and clean(text, COMMAND_HELP_LENGTH) == text):
                    raise ValueError(f"entry {str(name)[:40]!r}")
                commands.by_name[name] = (slot, text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"malformed commands: {str(exc)[:100]}") from None
        per_mod: dict[int, int] = {}
        for slot, _ in commands.by_name.values():
            per_mod[slot] = per_mod.get(slot, 0) + 1
        if any(n > COMMANDS_PER_MOD for n in per_mod.values()) or commands.dump() != doc:
            raise ValueError("malformed commands: over a mod's share, or not canonical")
        return commands


def is_help(text: str) -> bool:
    """Whether a player's chat line asks the game for ``/help``."""
    return text.strip() == f"/{HELP_COMMAND}"


def chat_impls(world: Callable[[], World], slot: int,
               consumed: Callable[[], int]) -> dict[str, Callable[..., Any]]:
    """The chat host calls as mod ``slot`` sees them; ``consumed()`` is whether a mod
    before this one consumed the chat line being handled (0 outside ``on_chat``)."""
    return {
        "chat_consumed": lambda m: consumed(),
        "command_register": lambda m, name, text: world().commands.register(slot, name, text),
    }
