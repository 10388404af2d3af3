"""Mod layout: ``<mods_dir>/<name>/mod.toml`` plus sources, parsed and validated.

    name = "pickups"                 # required; lowercase identifier, equal to the directory
    version = "1.0.0"                # required; MAJOR.MINOR.PATCH
    language = "c"                   # required; c | zig | nim
    sources = ["pickups.c"]          # required; files in the mod directory (the first is the
                                     #   root module for zig and nim)
    dependencies = ["movement"]      # optional; mods loaded (and hooked) before this one
    description = "..."              # optional
    permissions = ["players"]        # optional; "players": may move, score or remove
                                     #   players' entities (game.rules.PERMISSIONS)

    [limits]                         # optional; every key has a default
    memory = 1048576                 # guest memory in bytes (64 KiB .. 16 MiB, 4 KiB pages)
    stack = 65536                    # stack in bytes, part of memory (16 KiB .. memory / 2)
    instructions = 500000            # instruction budget per tick, across all the mod's
                                     #   hooks (1,000 .. 1,000,000)

The limits, their defaults and their bounds are the game's (``game.rules.ModLimits``): what
every client must afford.

Every problem found is reported at once, in a ``ModManifestError`` naming the file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

from game.rules import PERMISSIONS, ModLimits

from .errors import ModManifestError

__all__ = ["Language", "Limits", "ModSpec", "MANIFEST", "SCENARIO_DIR", "load_manifest",
           "discover"]

MANIFEST = "mod.toml"
#: A mod's scenario folder (``riscade test``): never a build input, never seen by a build.
SCENARIO_DIR = "scenarios"
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
VERSION_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")

class Language(Enum):
    """A language mods are written in, with the suffix its sources carry."""

    C = "c"
    ZIG = "zig"
    NIM = "nim"

    @property
    def suffix(self) -> str:
        return "." + self.value


#: Resource limits the game applies to a mod's machine (mod.toml ``[limits]``): the game's
#: record, with its defaults and its rule.
Limits = ModLimits


@dataclass(frozen=True)
class ModSpec:
    """A validated mod.toml and where it lives."""

    name: str
    version: str
    language: Language
    sources: tuple[str, ...]
    directory: Path
    dependencies: tuple[str, ...] = ()
    description: str = ""
    limits: Limits = field(default_factory=Limits)
    permissions: tuple[str, ...] = ()

    def source_paths(self) -> list[Path]:
        """The mod's source files, in ``sources`` order (the first is the root module)."""
        return [self.directory / s for s in self.sources]


_KEYS = {"name", "version", "language", "sources", "dependencies", "description", "limits",
         "permissions"}


def load_manifest(mod_dir: Path) -> ModSpec:
    """Parse and validate ``mod_dir/mod.toml``.

    Raises:
        ModManifestError: the file is missing, is not TOML, or breaks a rule above; the
            error lists every problem found.
    """
    mod_dir = Path(mod_dir).resolve()
    path = mod_dir / MANIFEST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModManifestError(path, ["no mod.toml in the mod directory"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModManifestError(path, [f"cannot read: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ModManifestError(path, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")

    name = _string(data, "name", problems, required=True)
    if name is not None:
        if not NAME_RE.fullmatch(name):
            problems.append(f"name {name!r} must match {NAME_RE.pattern}")
        elif name != mod_dir.name:
            problems.append(f"name {name!r} differs from the directory name {mod_dir.name!r}")
    version = _string(data, "version", problems, required=True)
    if version is not None and not VERSION_RE.fullmatch(version):
        problems.append(f"version {version!r} must be MAJOR.MINOR.PATCH, e.g. \"1.0.0\"")
    language = _language(data, problems)
    sources = _sources(data, mod_dir, language, problems)
    dependencies = _dependencies(data, name, problems)
    description = _string(data, "description", problems, required=False) or ""
    limits = _limits(data.get("limits", {}), problems)
    permissions = _string_list(data, "permissions", problems) or []
    for permission in sorted(set(permissions) - PERMISSIONS):
        problems.append(f"permission {permission!r} is not one of {', '.join(sorted(PERMISSIONS))}")
    if problems:
        raise ModManifestError(path, problems)
    assert name is not None and version is not None and language is not None
    return ModSpec(name, version, language, sources, mod_dir, dependencies, description, limits,
                   tuple(sorted(permissions)))


def discover(mods_dir: Path) -> list[ModSpec]:
    """Every mod under ``mods_dir`` (each subdirectory holding a mod.toml), sorted by name.

    Raises:
        ModManifestError: ``mods_dir`` is not a directory, or a mod.toml is invalid.
    """
    mods_dir = Path(mods_dir).resolve()
    if not mods_dir.is_dir():
        raise ModManifestError(mods_dir, ["not a directory"])
    return [load_manifest(d) for d in sorted(mods_dir.iterdir())
            if d.is_dir() and (d / MANIFEST).is_file()]


def _string(data: dict[str, Any], key: str, problems: list[str], *,
            required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.append(f"missing required key {key!r}")
        return None
    if not isinstance(value, str):
        problems.append(f"{key!r} must be a string, not {type(value).__name__}")
        return None
    return value


def _language(data: dict[str, Any], problems: list[str]) -> Language | None:
    value = _string(data, "language", problems, required=True)
    if value is None:
        return None
    try:
        return Language(value)
    except ValueError:
        known = ", ".join(lang.value for lang in Language)
        problems.append(f"language {value!r} is not one of {known}")
        return None


def _string_list(data: dict[str, Any], key: str, problems: list[str]) -> list[str] | None:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{key!r} must be a list of strings")
        return None
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        problems.append(f"{key!r} lists {', '.join(duplicates)} more than once")
    return value


def _sources(data: dict[str, Any], mod_dir: Path, language: Language | None,
             problems: list[str]) -> tuple[str, ...]:
    if "sources" not in data:
        problems.append("missing required key 'sources'")
        return ()
    sources = _string_list(data, "sources", problems)
    if sources is None:
        return ()
    if not sources:
        problems.append("'sources' is empty")
    for source in sources:
        pure = PurePosixPath(source)
        if pure.is_absolute() or ".." in pure.parts:
            problems.append(f"source {source!r} must be a relative path inside the mod")
        elif pure.parts[:1] == (SCENARIO_DIR,):
            problems.append(f"source {source!r} lies in {SCENARIO_DIR}/, which builds never see")
        elif not (mod_dir / source).is_file():
            problems.append(f"source {source!r} does not exist")
        elif language is not None and pure.suffix != language.suffix:
            problems.append(f"source {source!r} is not a {language.value} file "
                            f"(expected suffix {language.suffix})")
    return tuple(sources)


def _dependencies(data: dict[str, Any], name: str | None,
                  problems: list[str]) -> tuple[str, ...]:
    deps = _string_list(data, "dependencies", problems)
    if deps is None:
        return ()
    for dep in deps:
        if not NAME_RE.fullmatch(dep):
            problems.append(f"dependency {dep!r} is not a mod name")
        elif dep == name:
            problems.append("a mod cannot depend on itself")
    return tuple(deps)


def _limits(table: Any, problems: list[str]) -> Limits:
    if not isinstance(table, dict):
        problems.append("'limits' must be a table ([limits])")
        return Limits()
    keys = [f.name for f in fields(Limits)]
    unknown = sorted(set(table) - set(keys))
    if unknown:
        problems.append(f"unknown limit(s) {', '.join(unknown)} (known: {', '.join(keys)})")
    values: dict[str, int] = {}
    for key in keys:
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"limits.{key} must be an integer")
        else:
            values[key] = value
    limits = Limits(**values)
    problems.extend(f"limits.{problem}" for problem in limits.problems())
    return limits
