"""The ``riscade`` command: one entry point for the VM, the mod build, the server and client."""

from __future__ import annotations

import sys

__all__ = ["main"]

USAGE = """usage: riscade COMMAND [ARGS...]

commands:
  demo [OPTIONS]        the bundled mods, two bots, a page to play (riscade demo --help)
  serve [OPTIONS]       build the mods and serve the game (riscade serve --help)
  connect URL [OPTIONS] join a server (riscade connect --help)
  replay FILE [OPTIONS] re-simulate a world file's game, checking its hashes (--help)
  build [MODS_DIR]      build mods (riscade build --help)
  new NAME --lang L     start a mod: mod.toml, hook stubs, a scenario (riscade new --help)
  test [MOD...]         play the mods' scenarios on both VM engines (riscade test --help)
  run PROGRAM [ARGS]    run a riscv64 ELF program in the VM (riscade run --help)
  profile [OPTIONS]     profile the mods in a game with scripted players (--help)
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``riscade COMMAND``; returns the exit status.

    Each command reports its own errors in one line; an error of one of the packages that a
    command did not expect still ends in one line (``riscade: error: ...``, exit status 1),
    never a traceback.
    """
    from game.errors import GameError
    from lockstep.errors import LockstepError
    from mods.errors import ModError
    from protocol.errors import ProtocolError
    from vm.errors import VMError

    try:
        return _dispatch(sys.argv[1:] if argv is None else argv)
    except (ModError, VMError, ProtocolError, GameError, LockstepError) as exc:
        print(f"riscade: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "run":
        from vm.cli import main as vm_main

        return vm_main(["run", *rest], prog="riscade")
    if command == "demo":
        from server.demo import main as demo_main

        return demo_main(rest)
    if command == "serve":
        from server.cli import main as serve_main

        return serve_main(rest)
    if command == "replay":
        from server.replay import main as replay_main

        return replay_main(rest)
    if command == "connect":
        from client.cli import main as connect_main

        return connect_main(rest)
    if command == "build":
        from mods.__main__ import main as mods_main

        return mods_main(["build", *rest], prog="riscade")
    if command == "new":
        from mods.new import main as new_main

        return new_main(rest)
    if command == "test":
        from mods.testrunner import main as test_main

        return test_main(rest)
    if command == "profile":
        from server.profile import main as profile_main

        return profile_main(rest)
    print(f"riscade: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
