"""Build the C kernels once for riscv64 (the riscade VM) and once for wasm32 (wasmtime).

Both builds use the same compiler (``python -m ziglang cc``), the same sources and the same
optimisation flags; only the target and its runtime glue differ (``rv_main.c`` gives the ELF a
``main``; ``wasm_rt.c`` gives the freestanding module the string functions musl would).
``-ffp-contract=off`` keeps multiply-adds unfused so that the float kernel computes exactly
what Python and Lua compute. Builds are cached by a hash of sources, command and zig version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["BuildError", "EXPORTS", "KERNEL_DIR", "build_riscv", "build_wasm", "default_cache"]

KERNEL_DIR = Path(__file__).resolve().parent / "kernels"
SOURCES = ("fib.c", "loop.c", "mixed.c", "nbody.c", "strings.c", "calls.c")
#: Every function the runtimes call by name.
EXPORTS = ("bench_fib", "bench_loop", "bench_mixed", "bench_nbody", "bench_strings",
           "bench_nop", "bench_call0", "bench_call3", "bench_call8", "bench_hostcall")

_CC = [sys.executable, "-m", "ziglang", "cc"]
#: No frame pointer: nothing walks guest stacks, and it saves 3 instructions per call.
COMMON_FLAGS = ["-O2", "-fomit-frame-pointer", "-ffp-contract=off", "-fno-math-errno",
                "-Wall", "-Wextra", "-Werror"]
RISCV_FLAGS = ["-target", "riscv64-linux-musl", "-static", "-fno-sanitize=undefined"]
WASM_FLAGS = ["-target", "wasm32-freestanding", "-nostdlib", "-Wl,--no-entry",
              *(f"-Wl,--export={name}" for name in EXPORTS)]


class BuildError(Exception):
    """The compiler failed; carries the command, its exit status and the end of its output."""

    def __init__(self, target: str, cmd: list[str], rc: int, tail: str) -> None:
        self.target, self.cmd, self.rc, self.tail = target, cmd, rc, tail
        super().__init__(f"building the {target} kernels failed (exit status {rc})\n"
                         f"command: {' '.join(cmd)}\n{tail}")


def default_cache() -> Path:
    """Where builds are kept between runs (``$RISCADE_BENCH_CACHE`` or a temp folder)."""
    env = os.environ.get("RISCADE_BENCH_CACHE")
    return Path(env) if env else Path(tempfile.gettempdir()) / "riscade-bench"


def _zig_version() -> str:
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _build(target: str, flags: list[str], sources: list[Path], suffix: str,
           cache: Path) -> Path:
    key = hashlib.sha256()
    for part in [" ".join(flags), _zig_version(), (KERNEL_DIR / "bench.h").read_text()]:
        key.update(part.encode() + b"\0")
    for src in sources:
        key.update(src.name.encode() + b"\0" + src.read_bytes() + b"\0")
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"kernels-{target}-{key.hexdigest()[:16]}{suffix}"
    if out.exists():
        return out
    # Build under a unique name, then rename: a concurrent run never sees half a file.
    fd, tmp_name = tempfile.mkstemp(dir=cache, prefix=f".kernels-{target}-", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    cmd = [*_CC, *flags, *(str(s) for s in sources), "-o", str(tmp)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise BuildError(target, cmd, proc.returncode, (proc.stderr or proc.stdout)[-4000:])
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def build_riscv(cache: Path | None = None) -> Path:
    """The static riscv64 ELF holding every kernel (symbols kept). May take ~40 s the first
    time zig builds musl for this flag set.

    Raises:
        BuildError: the compiler failed.
    """
    sources = [KERNEL_DIR / s for s in (*SOURCES, "rv_main.c")]
    return _build("riscv64", [*RISCV_FLAGS, *COMMON_FLAGS], sources, ".elf",
                  cache or default_cache())


def build_wasm(cache: Path | None = None) -> Path:
    """The wasm32 module exporting every kernel (and importing ``env.host_add``).

    Raises:
        BuildError: the compiler failed.
    """
    sources = [KERNEL_DIR / s for s in (*SOURCES, "wasm_rt.c")]
    return _build("wasm32", [*WASM_FLAGS, *COMMON_FLAGS], sources, ".wasm",
                  cache or default_cache())
