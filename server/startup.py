"""Start-up: build the mods, keep the ones that load, compress each once for every client.

A mod that fails to build, whose built file is not what the build recorded, or that a real
``vm.Machine`` cannot load with its limits is left out with a one-line reason, and so is
every mod that depends on it: one mod never stops the server from starting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from game.simulation import ModImage, SimulationError, over_tick_budget
from lockstep import entry_for
from mods.build import BuildResult, build_mods
from mods.host_api import HOST_API
from protocol import compress_mod
from vm import Machine, VMError

from .app import ServedMod

__all__ = ["Prepared", "prepare_mods"]


@dataclass(frozen=True)
class Prepared:
    """The mods the server will serve, and what did not make it (name -> reason)."""

    served: list[ServedMod]
    failed: dict[str, str]
    results: list[BuildResult]


def prepare_mods(mods_dir: Path, cache_dir: Path, *, jobs: int = 2) -> Prepared:
    """Build every mod in ``mods_dir`` (cache reused) and prepare what clients download.

    A mod that fails to build or to load (see ``load_error``), or whose per-tick budget
    does not fit beside the mods before it (``game.simulation.over_tick_budget``), is left
    out with a one-line reason in ``failed``, and so is every mod that depends on it; the
    others are served in load order (dependencies first, then by name).
    """
    results = build_mods(mods_dir, cache_dir, jobs=jobs)
    served: list[ServedMod] = []
    failed: dict[str, str] = {}
    for result in results:
        spec = result.spec
        if result.error is not None or result.path is None or result.sha256 is None:
            failed[spec.name] = str(result.error)
            continue
        missing = [d for d in spec.dependencies if d in failed]
        if missing:
            failed[spec.name] = f"depends on {', '.join(missing)}, which failed"
            continue
        try:
            elf = result.path.read_bytes()
        except OSError as exc:
            failed[spec.name] = f"cannot read its built file: {exc}"
            continue
        if hashlib.sha256(elf).hexdigest() != result.sha256:
            failed[spec.name] = "its built file changed after the build (sha256 differs)"
            continue
        try:
            image = ModImage(spec.name, elf, memory=spec.limits.memory,
                             stack=spec.limits.stack, instructions=spec.limits.instructions,
                             permissions=frozenset(spec.permissions))
        except SimulationError as exc:
            failed[spec.name] = str(exc)
            continue
        reason = load_error(image) or over_tick_budget([m.image for m in served], image)
        if reason is not None:
            failed[spec.name] = reason
            continue
        entry = entry_for(image, version=spec.version, language=spec.language.value,
                          dependencies=tuple(spec.dependencies), host_abi=HOST_API.abi_hash())
        served.append(ServedMod(entry, image, compress_mod(elf), result.debug_path))
    return Prepared(served, failed, results)


def load_error(image: ModImage) -> str | None:
    """Why a real ``vm.Machine`` cannot load ``image`` with its limits, or None if it can.

    Only the load is tried (ELF, segments, memory layout); nothing of the mod runs.
    """
    try:
        Machine(image.elf, limits=image.limits(), argv=[image.name])
    except (VMError, ValueError, MemoryError) as exc:
        return f"cannot load: {' '.join(str(exc).split())}"
    return None
