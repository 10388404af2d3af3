"""Determinism across interpreters: the bundled mods, one scripted game, CPython 3.11 here and
CPython 3.14 in Pyodide (wasm, under Node, with the very riscade.zip and wheels the page gets):
the same state hash after every tick, and a different input on one side shows as a mismatch
at the tick it happens."""

from __future__ import annotations

import json
from pathlib import Path

from server.startup import Prepared
from web import scripted
from web.node import run_in_pyodide

from .conftest import needs_pyodide

TICKS = 150


@needs_pyodide
def test_cpython_and_pyodide_agree_on_every_tick(bundled: Prepared, tmp_path: Path) -> None:
    images = [m.image for m in bundled.served]
    assert [i.name for i in images] == ["movement", "pickups", "greeter", "waypoints"]
    here = scripted.run(images, TICKS)
    assert here["faults"] == 0 and here["python"].startswith("3.11")
    scripted.write_mods(images, tmp_path)
    out = run_in_pyodide(scripted.SCRIPT, tmp_path, ["/data", str(TICKS), "0,1"])
    same, changed = (json.loads(line) for line in out.splitlines())
    assert same["python"].startswith("3.14")
    assert len(same["hashes"]) == TICKS
    pairs = enumerate(zip(here["hashes"], same["hashes"], strict=True), 1)
    mismatches = [t for t, (a, b) in pairs if a != b]
    assert mismatches == [], f"desync from tick {mismatches[0]}"
    assert same["faults"] == here["faults"]
    # variant 1 presses other buttons for player 1 from tick 20 on: the hashes must part there
    assert scripted.script(20, 1).inputs != scripted.script(20, 0).inputs
    assert scripted.script(19, 1) == scripted.script(19, 0)
    pairs = enumerate(zip(here["hashes"], changed["hashes"], strict=True), 1)
    parted = [t for t, (a, b) in pairs if a != b]
    assert parted[0] == 20
    print(f"ms per tick: CPython {here['ms_per_tick']:.2f}, Pyodide {same['ms_per_tick']:.2f}")
