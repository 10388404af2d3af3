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
import json
import sys
import tempfile
from pathlib import Path

from server.startup import prepare_mods
from web import scripted
from web.assets import PYODIDE_DIR, PYODIDE_FILES, STATIC_DIR, WebClient
from web.node import missing, run_in_pyodide
from web.wheels import wheel_files

ROOT = Path(__file__).resolve().parent.parent


def page_bytes() -> list[tuple[str, int]]:
    """What a cold visit downloads from the server: the page, Pyodide's files, the manifest,
    the bundle and the wheels (the page's own other files in web/static too)."""
    web = WebClient()
    rows = [(f"/static/{p.name}", p.stat().st_size) for p in sorted(STATIC_DIR.iterdir())
            if p.is_file() and p.name != "index.html"]
    rows.insert(0, ("/", (STATIC_DIR / "index.html").stat().st_size))
    rows += [(f"/pyodide/{n}", (PYODIDE_DIR / n).stat().st_size) for n in PYODIDE_FILES
             if n != "pyodide.js"]  # the page loads the module loader, not the classic one
    rows += [("/py/manifest.json", len(web.manifest)), ("/py/riscade.zip",
                                                        len(web.bundle.data))]
    rows += [(f"/wheels/{p.name}", p.stat().st_size) for p in wheel_files().values()
             if p is not None]
    return rows


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
    rows = page_bytes()
    print("\ncold page load (bytes served):")
    for path, size in rows:
        print(f"  {path:<48} {size:>10}")
    print(f"  {'total':<48} {sum(s for _, s in rows):>10}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
