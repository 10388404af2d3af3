"""Start-up: build the mods, keep the ones that built, compress each once for every client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.simulation import ModImage, over_tick_budget
from mods.build import BuildResult, build_mods
from mods.host_api import HOST_API
from protocol import ModEntry, compress_mod

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

    A mod that fails to build is left out, and so is every mod that depends on it; the
    others are served in load order (dependencies first, then by name), as long as their
    per-tick budgets fit in a tick (``game.simulation.over_tick_budget``).
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
        elf = result.path.read_bytes()
        entry = ModEntry(
            name=spec.name, version=spec.version, sha256=result.sha256, size=len(elf),
            language=spec.language.value, dependencies=tuple(spec.dependencies),
            memory_limit=spec.limits.memory, stack_limit=spec.limits.stack,
            instruction_limit=spec.limits.instructions, host_abi=HOST_API.abi_hash(),
            permissions=spec.permissions,
        )
        image = ModImage(spec.name, elf, memory=spec.limits.memory, stack=spec.limits.stack,
                         instructions=spec.limits.instructions,
                         permissions=frozenset(spec.permissions))
        refusal = over_tick_budget([m.image for m in served], image)
        if refusal is not None:
            failed[spec.name] = refusal
            continue
        served.append(ServedMod(entry, image, compress_mod(elf)))
    return Prepared(served, failed, results)
