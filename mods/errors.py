"""The one exception tree of ``mods``.

    ModError
    ├── ModManifestError     a mod.toml is missing, unreadable or invalid      (ValueError)
    ├── ModDependencyError   a dependency is missing or the dependencies form a cycle
    ├── ToolchainMissing     a compiler the mod's language needs is not installed
    ├── ModBuildError        a compiler failed, or its output is not a loadable mod
    ├── ElfCheckError        a built ELF is not a loadable mod, or does not fit its limits
    │                                                                            (ValueError)
    ├── ElfSlimError         an ELF layout ``slim_elf`` cannot rewrite safely   (ValueError)
    ├── ScenarioError        a scenario file cannot be played (``mods.scenario``) (ValueError)
    └── NewModError          ``riscade new`` refuses a name or folder (``mods.new``) (ValueError)

``build_mods`` turns an ``ElfCheckError`` or ``ElfSlimError`` into that mod's
``ModBuildError``; they reach callers of ``mods.elfcheck`` and ``mods.elfslim`` directly.
Manifest and dependency errors stop ``build_mods`` before anything is compiled. A build or
toolchain error belongs to one mod: ``build_mods`` records it in that mod's ``BuildResult``
and builds the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "ModError",
    "ModManifestError",
    "ModDependencyError",
    "ToolchainMissing",
    "ModBuildError",
    "ElfCheckError",
    "ElfSlimError",
]


class ModError(Exception):
    """Root of every error the mods package raises."""


class ModManifestError(ModError, ValueError):
    """``path`` (a mod.toml or mod directory) is invalid; ``problems`` lists why."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(path, self.problems)

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(self.problems)


class ModDependencyError(ModError):
    """Mod ``name`` has an unusable dependency: ``missing`` names or a ``cycle`` of names."""

    def __init__(self, name: str, *, missing: Sequence[str] = (),
                 cycle: Sequence[str] = ()) -> None:
        self.name = name
        self.missing = tuple(missing)
        self.cycle = tuple(cycle)
        super().__init__(name, self.missing, self.cycle)

    def __str__(self) -> str:
        if self.cycle:
            return "mod dependency cycle: " + " -> ".join(self.cycle)
        return f"mod {self.name!r} depends on missing mod(s): {', '.join(self.missing)}"


class ToolchainMissing(ModError):
    """``tool`` is not installed; ``install`` is the command that installs it."""

    def __init__(self, tool: str, install: str, needed_by: str = "") -> None:
        self.tool = tool
        self.install = install
        self.needed_by = needed_by
        super().__init__(tool, install, needed_by)

    def __str__(self) -> str:
        who = f" (needed by {self.needed_by} mods)" if self.needed_by else ""
        return f"{self.tool} is not installed{who}: run `{self.install}`"


class ModBuildError(ModError):
    """Building mod ``name`` failed: ``rc`` is the compiler's exit status (0 when the compiler
    succeeded but its output was rejected), ``tail`` the end of its messages."""

    def __init__(self, name: str, rc: int, tail: str) -> None:
        self.name = name
        self.rc = rc
        self.tail = tail
        super().__init__(name, rc, tail)

    def __str__(self) -> str:
        head = (f"mod {self.name!r} failed to build (exit status {self.rc})" if self.rc
                else f"mod {self.name!r} built but was rejected")
        return f"{head}:\n{self.tail}" if self.tail else head


class ElfCheckError(ModError, ValueError):
    """The ELF is not a loadable mod; the message says why."""


class ElfSlimError(ModError, ValueError):
    """The file is not an ELF layout ``slim_elf`` knows how to rewrite safely."""
