"""The browser's interpreter against the server's: milliseconds per tick of the bundled mods in
one scripted game (``web.scripted``) on CPython here and on CPython 3.14 in Pyodide (wasm,
under Node, with the page's riscade.zip and wheels), both checked to hash alike; and the bytes
a cold page load fetches from ``riscade serve``.

    python -m bench.browser_sim [--ticks N]

The first ticks include the translator's work (each mod's code is compiled to Python as it
runs); the rest is steady state. Timings are for reading; nothing asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import urllib.request
from pathlib import Path

from server.app import GameServer
from server.startup import prepare_mods
from web import scripted
from web.assets import PYODIDE_FILES, STATIC_DIR
from web.node import missing, run_in_pyodide
from web.wheels import wheel_files

ROOT = Path(__file__).resolve().parent.parent


def page_paths() -> list[str]:
    """What a cold visit fetches: the page and its files, Pyodide's (the module loader, not
    the classic one), the manifest, the bundle and the wheels."""
    paths = ["/"] + [f"/static/{p.name}" for p in sorted(STATIC_DIR.iterdir())
                     if p.is_file() and p.name != "index.html"]
    paths += [f"/pyodide/{n}" for n in PYODIDE_FILES if n != "pyodide.js"]
    paths += ["/py/manifest.json", "/py/riscade.zip"]
    return paths + [f"/wheels/{p.name}" for p in wheel_files().values() if p is not None]


async def page_load() -> list[tuple[str, int, int]]:
    """Fetch every asset from a real server on loopback; (path, bytes on the wire with gzip
    accepted, bytes of the file)."""
    server = GameServer([], on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)

    def get(path: str, encoding: str) -> bytes:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(req, timeout=60) as answer:
            return bytes(answer.read())

    try:
        rows = []
        for path in page_paths():
            wire = await asyncio.to_thread(get, path, "gzip")
            rows.append((path, len(wire), len(await asyncio.to_thread(get, path, "identity"))))
        return rows
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; exit status 1 if the two interpreters disagree on a hash."""
    p = argparse.ArgumentParser(prog="python -m bench.browser_sim", description=__doc__)
    p.add_argument("--ticks", type=int, default=300)
    args = p.parse_args(argv)
    why = missing()
    if why is not None:
        print(f"note: cannot run Pyodide here: {why}")
        return 0
    prepared = prepare_mods(ROOT / "mods", ROOT / ".riscade-cache" / "build")
    images = [m.image for m in prepared.served]
    here = scripted.run(images, args.ticks)
    with tempfile.TemporaryDirectory() as tmp:
        scripted.write_mods(images, Path(tmp))
        there = json.loads(run_in_pyodide(scripted.SCRIPT, Path(tmp),
                                          ["/data", str(args.ticks), "0"]).splitlines()[-1])
    same = here["hashes"] == there["hashes"]
    print(f"{len(images)} mods ({', '.join(i.name for i in images)}), {args.ticks} ticks, "
          f"2-3 players moving, chat")
    print(f"{'interpreter':<28} {'ms/tick':>8}")
    print(f"{'CPython ' + here['python']:<28} {here['ms_per_tick']:>8.2f}")
    print(f"{'Pyodide (CPython ' + there['python'] + ')':<28} {there['ms_per_tick']:>8.2f}")
    print(f"ratio Pyodide/CPython: {there['ms_per_tick'] / here['ms_per_tick']:.2f}; "
          f"hashes {'identical every tick' if same else 'DIFFER'}")
    rows = asyncio.run(page_load())
    print(f"\ncold page load from riscade serve:\n  {'path':<44} {'gzip':>10} {'file':>10}")
    for path, wire, size in rows:
        print(f"  {path:<44} {wire:>10} {size:>10}")
    print(f"  {'total':<44} {sum(r[1] for r in rows):>10} {sum(r[2] for r in rows):>10}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
