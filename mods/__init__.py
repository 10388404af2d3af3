"""riscade mods: the host API, the SDK generator, mod manifests and the build.

    mods.host_api   HOST_API (numbered host functions), HOOKS, CONSTANTS: the game's mod ABI
    mods.sdk        generates mods/sdk/riscade.{h,zig,nim} from host_api (python -m mods.sdk)
    mods.manifest   mod.toml parsing and validation (ModSpec)
    mods.order      dependency (load) order
    mods.build      build_mods(): parallel, cached builds into static RISC-V ELF files
    mods.errors     ModError and its subclasses

Importing ``mods`` loads only the ABI and the errors (what the game and a browser client
need); the build side is imported by name: ``from mods.build import build_mods``. (The
manifest reads the game's limits, ``game.rules``, and the game reads the ABI: importing the
build here would make the two packages import each other.)

Each shipped mod is a directory here with a mod.toml: movement (Zig), pickups (C) and
greeter (Nim). ``python -m mods build`` builds them.
"""

from .errors import (
    ElfCheckError,
    ElfSlimError,
    ModBuildError,
    ModDependencyError,
    ModError,
    ModManifestError,
    ToolchainMissing,
)
from .host_api import CONSTANTS, HOOKS, HOST_API

__all__ = [
    "ModBuildError", "ModDependencyError", "ModError", "ModManifestError", "ToolchainMissing",
    "ElfCheckError", "ElfSlimError", "CONSTANTS", "HOOKS", "HOST_API",
]
