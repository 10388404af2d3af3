"""The ``riscade`` command: one entry point for the VM, the mod build, the server and client."""

from __future__ import annotations

import sys

__all__ = ["main"]

USAGE = """usage: riscade COMMAND [ARGS...]

commands:
  demo                  build an example C program and run it in the VM
  run PROGRAM [ARGS]    run a riscv64 ELF program in the VM (python -m vm run)
"""


def _demo() -> int:
    import subprocess
    from pathlib import Path

    from vm.cli import main as vm_main

    here = Path(__file__).resolve().parent
    source = here / "tests" / "programs" / "recursion.c"
    out = here / ".riscade-cache" / "demo.elf"
    out.parent.mkdir(exist_ok=True)
    print(f"riscade demo: compiling {source.name} for riscv64 (a first build takes a minute)")
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "riscv64-linux-musl",
                    "-static", "-O2", str(source), "-o", str(out), "-lm"], check=True)
    print(f"riscade demo: running {out.name} in the riscade VM")
    return vm_main(["run", "--stats", str(out)])


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``riscade COMMAND``; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "run":
        from vm.cli import main as vm_main

        return vm_main(["run", *rest])
    if command == "demo":
        return _demo()
    print(f"riscade: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
