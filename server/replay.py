"""``riscade replay FILE [--from T] [--to T] [--verify]``: re-simulate a recorded game.

The game of a world file (``riscade serve --world FILE``) is restored from its snapshot at
or before ``--from`` (default: its first) and stepped through the recorded ticks up to
``--to`` (default: its last). With ``--verify`` every tick's state hash is checked against
the recorded one; the first that differs ends the replay with status 1, naming the tick.
Without it, only the last tick's hash is compared. The file is opened read-only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mods.host_api import HOST_API

from .persist import WorldError, load_replay, replay_ticks
from .world_store import WorldFile, WorldFileError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="riscade replay", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, help="the world file")
    p.add_argument("--from", dest="start", type=int, default=0, metavar="T",
                   help="start from the snapshot at or before tick T (default: the first)")
    p.add_argument("--to", dest="end", type=int, default=None, metavar="T",
                   help="stop after tick T (default: the last recorded)")
    p.add_argument("--verify", action="store_true",
                   help="check every tick's state hash against the recorded one")
    return p


def replay(file: WorldFile, start: int, end: int | None, verify: bool) -> str:
    """Replay ``file`` as the module says; the line to print.

    Raises:
        WorldError: a tick does not replay (the message names it); WorldFileError.
    """
    clock = time.perf_counter()
    run = load_replay(file, start)
    first = run.tick
    steps = replay_ticks(file, run, end, verify=verify)
    seconds = time.perf_counter() - clock
    last = run.tick
    if end is not None and last < end:
        raise WorldError(f"tick {last + 1}: not recorded (the file ends at tick {last})")
    recorded = file.tick_hash(last)
    mine = run.sim.state_hash()
    if not verify and recorded is not None and recorded != mine:
        raise WorldError(f"tick {last}: state hash {mine[:16]} differs from the recorded "
                         f"{recorded[:16]}")
    rate = steps / seconds if seconds > 0 else 0.0
    checked = "every tick's hash verified" if verify else "last hash checked"
    return (f"replayed ticks {first + 1}..{last} from the snapshot of tick {first}: {steps} "
            f"ticks in {seconds:.2f} s ({rate:.0f} ticks/s); {checked}; state {mine[:16]}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``riscade replay``: 0 if the replay matches the record, 1 at the
    first tick that does not (named on stderr), 2 if the file cannot be used."""
    opts = _parser().parse_args(argv)
    try:
        file = WorldFile.open(opts.file, host_abi=HOST_API.abi_hash(), create=False,
                              readonly=True)
    except WorldFileError as exc:
        print(f"riscade replay: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    try:
        print(f"riscade replay: {replay(file, opts.start, opts.end, opts.verify)}", flush=True)
    except WorldError as exc:
        print(f"riscade replay: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except WorldFileError as exc:
        print(f"riscade replay: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    finally:
        file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
