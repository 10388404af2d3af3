"""What the build sandbox (mods/sandbox.py) adds to a build: the bundled mods from an empty
build cache (zig's global cache warm), and one mod rebuilt after a one-line change, each
with and without bubblewrap, alternating, in one process. Prints seconds.

    python bench/build_sandbox.py [--rounds 2]

"Without" runs the same compiler command directly (as before the sandbox): for measuring
only, never a mode of the build.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from mods import sandbox
from mods.build import build_mods

MODS = Path(__file__).resolve().parents[1] / "mods"


@contextmanager
def unsandboxed():
    saved = sandbox.Sandbox.argv
    sandbox.Sandbox.argv = lambda self, command: list(command)  # type: ignore[method-assign]
    try:
        yield
    finally:
        sandbox.Sandbox.argv = saved  # type: ignore[method-assign]


def timed(mods: Path, cache: Path) -> float:
    start = time.perf_counter()
    results = build_mods(mods, cache)
    assert all(r.ok for r in results), [str(r.error) for r in results if not r.ok]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mods = root / "mods"
        for name in ("movement", "pickups", "greeter"):
            shutil.copytree(MODS / name, mods / name)
        timed(mods, root / "warm-up")  # fills zig's global cache through the warm-ups
        rows: dict[str, list[float]] = {}
        for i in range(args.rounds):
            for mode in ("sandbox", "direct"):
                ctx = unsandboxed() if mode == "direct" else contextmanager(lambda: iter([0]))()
                with ctx:
                    cache = root / f"cache-{mode}-{i}"
                    rows.setdefault(f"3 mods, empty build cache, {mode}", []).append(
                        timed(mods, cache))
                    for name, source in (("pickups", "pickups.c"),
                                         ("greeter", "greeter.nim"),
                                         ("movement", "movement.zig")):
                        path = mods / name / source
                        comment = "//" if source.endswith(".zig") else (
                            "#" if source.endswith(".nim") else "//")
                        path.write_text(path.read_text() + f"\n{comment} {mode} {i}\n")
                        rows.setdefault(f"{name} rebuilt, {mode}", []).append(
                            timed(mods, cache))
        for label, values in rows.items():
            print(f"{label:40s} " + " ".join(f"{v:6.2f}" for v in values))


if __name__ == "__main__":
    main()
