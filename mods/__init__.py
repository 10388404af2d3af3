"""riscade mods: the host API, the SDK generator, mod manifests and the build.

    mods.host_api   HOST_API (numbered host functions), HOOKS, CONSTANTS: the game's mod ABI
    mods.sdk        generates mods/sdk/riscade.{h,zig,nim} from host_api (python -m mods.sdk)
    mods.manifest   mod.toml parsing and validation (ModSpec)
    mods.order      dependency (load) order
    mods.build      build_mods(): parallel, cached builds into static RISC-V ELF files
    mods.errors     ModError and its subclasses

Each shipped mod is a directory here with a mod.toml: movement (Zig), pickups (C) and
greeter (Nim). ``python -m mods build`` builds them.
"""

from .build import BuildResult, build_mods, cache_key, failed
from .errors import (
    ModBuildError,
    ModDependencyError,
    ModError,
    ModManifestError,
    ToolchainMissing,
)
from .host_api import CONSTANTS, HOOKS, HOST_API
from .manifest import Language, Limits, ModSpec, discover, load_manifest
from .order import load_order

__all__ = [
    "BuildResult", "build_mods", "cache_key", "failed",
    "ModBuildError", "ModDependencyError", "ModError", "ModManifestError", "ToolchainMissing",
    "CONSTANTS", "HOOKS", "HOST_API",
    "Language", "Limits", "ModSpec", "discover", "load_manifest", "load_order",
]
