"""One scripted game, played the same way on CPython and in Pyodide: this file runs on both.

The determinism test (tests/web/test_determinism.py) and ``bench.browser_sim`` import it on
CPython 3.11 and run it as ``__main__`` in Pyodide (CPython 3.14 in wasm, ``web.node``), where
it reads the mods from a folder (``write_mods``) and prints one JSON line per variant. It needs
only the bundled packages and the standard library.

    scripted.py DATA TICKS VARIANT[,VARIANT...]  ->  {"hashes": [...], "ms_per_tick": ...}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from game.simulation import ModImage, Simulation, TickInputs

__all__ = ["SEED", "SCRIPT", "script", "run", "write_mods", "read_mods"]

#: This file, to run in Pyodide.
SCRIPT = Path(__file__).resolve()

#: The world's seed in every run.
SEED = 7
#: Chat lines said along the way (the greeter and pickups answer commands).
LINES = {5: (1, "/help"), 9: (2, "hello there"), 30: (1, "/score"), 61: (3, "gg")}


def _buttons(tick: int, player: int, variant: int) -> int:
    """Held buttons: a direction (bits 1-8) that changes every few ticks, fire (16) now and
    then; pure integer arithmetic (an LCG), the same on every interpreter."""
    x = (tick * 1103515245 + player * 12345 + variant * 977) & 0x7FFFFFFF
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    direction = (1, 2, 4, 8, 1 | 4, 1 | 8, 2 | 4, 2 | 8)[(x >> 8) % 8]
    return direction | (16 if (x >> 4) % 10 == 0 else 0)


def script(tick: int, variant: int = 0) -> TickInputs:
    """What happens at ``tick``: two players join at once, a third later, one leaves and comes
    back, each holds buttons, some chat. ``variant`` != 0 changes player 1's buttons from tick
    20 on (a run that must diverge)."""
    joins = {1: ((1, "ann"), (2, "bob")), 12: ((3, "cy"),), 80: ((2, "bob"),)}.get(tick, ())
    leaves = (2,) if tick == 70 else ()
    present = [1] + ([2] if tick < 70 or tick > 80 else []) + ([3] if tick > 12 else [])
    inputs = tuple((p, _buttons(tick, p, variant if p == 1 and tick >= 20 else 0))
                   for p in present if tick > 1)
    chats = (LINES[tick],) if tick in LINES else ()
    return TickInputs(tick, joins=joins, leaves=leaves, inputs=inputs, chats=chats)


def run(images: list[ModImage], ticks: int, variant: int = 0) -> dict[str, Any]:
    """Play ``ticks`` ticks; the state hash after each, and the mean milliseconds per tick."""
    sim = Simulation(images, seed=SEED)
    hashes = []
    t0 = time.perf_counter()
    for tick in range(1, ticks + 1):
        sim.step(script(tick, variant))
        hashes.append(sim.state_hash())
    seconds = time.perf_counter() - t0
    return {"hashes": hashes, "ms_per_tick": 1000 * seconds / ticks,
            "python": sys.version.split()[0], "faults": len(sim.faults)}


def write_mods(images: list[ModImage], data: Path) -> None:
    """Store ``images`` in ``data`` for ``read_mods`` (ELF files and one JSON index)."""
    index = []
    for image in images:
        (data / f"{image.name}.elf").write_bytes(image.elf)
        index.append({"name": image.name, "memory": image.memory, "stack": image.stack,
                      "instructions": image.instructions,
                      "permissions": sorted(image.permissions)})
    (data / "mods.json").write_text(json.dumps(index))


def read_mods(data: Path) -> list[ModImage]:
    """The images ``write_mods`` stored, in the same order."""
    return [ModImage(m["name"], (data / f"{m['name']}.elf").read_bytes(), memory=m["memory"],
                     instructions=m["instructions"], stack=m["stack"],
                     permissions=frozenset(m["permissions"]))
            for m in json.loads((data / "mods.json").read_text())]


if __name__ == "__main__":
    _images = read_mods(Path(sys.argv[1]))
    for _variant in sys.argv[3].split(","):
        print(json.dumps(run(_images, int(sys.argv[2]), int(_variant))), flush=True)
