"""Compilers: the exact command that builds a mod of each language, and their versions.

C and Zig use the ``ziglang`` wheel (``python -m ziglang cc`` / ``build-exe``); Nim uses the
system ``nim`` with a wrapper script that runs ``zig cc`` as its C compiler and linker. The
flag sets below were chosen by measurement (see mods/README.md, "Flags"); keep each fixed,
because zig compiles musl once per flag set (35-45 s) and shares it afterwards.

Every command keeps the symbol table (hooks are found by name, faults are reported by
symbol) and keeps every hook even when nothing in the mod calls it (``-u`` for each hook
name; C's ``RISCADE_HOOK`` and the ``@export`` of Zig's ``riscade.exportHooks`` also do).
Debug sections are removed after linking by ``mods.elfslim``, not by the toolchain, whose
stripping options drop the symbols. A Zig mod's file is compiled as the module ``mod``
under the SDK's root file (``ZIG_ROOT``), which supplies std options, panic and ``main``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from .errors import ToolchainMissing
from .host_api import HOOKS
from .manifest import Language, ModSpec
from .sdk.zig import ROOT_FILE as ZIG_ROOT  # the mod's file is its module "mod"

__all__ = [
    "TARGET",
    "ZIG_ROOT",
    "ZIG_VERSION",
    "command",
    "require",
    "tool_versions",
    "write_cc_wrapper",
]

ZIG_VERSION = "0.17.1"  # the version pyproject pins and these flags were measured with
TARGET = ["-target", "riscv64-linux-musl"]  # default cpu: baseline_rv64 = RV64GC

#: Linker flags every language shares: keep hooks alive. (The stack size is added per mod.)
KEEP_HOOKS = [f"-Wl,-u,{hook.name}" for hook in HOOKS]

#: No unwind tables: mods have no exceptions to unwind, and musl is built the same way.
NO_UNWIND = ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"]
#: zig cc: -O2 (= -O1 = -O3: zig maps them all to ReleaseFast); -Os would drop the symbols.
#: No frame pointer (zig keeps it on riscv64 by default): 2-3% fewer instructions retired,
#: 5-11% smaller code; nothing walks a mod's stack.
#: -g: the debug information goes to a file beside the build (``mods.debuginfo``); the
#: shipped ELF is slimmed of it and is the same as without -g.
C_FLAGS = ["-O2", "-g", "-fomit-frame-pointer", "-static", "-fno-sanitize=undefined",
           *NO_UNWIND, "-Wall"]
#: ReleaseSafe: a bug is a deterministic panic (logged, then a trap), not undefined behaviour.
ZIG_FLAGS = ["-O", "ReleaseSafe", "-fno-strip", "-fomit-frame-pointer"]
#: Nim's C is compiled -Os (--opt:size) but linked -O2, so musl and the symbols match C's.
NIM_FLAGS = ["--hints:off", "--skipUserCfg:on", "--skipParentCfg:on", "--cpu:riscv64",
             "--os:linux", "--mm:arc", "--threads:off", "-d:useMalloc", "-d:release",
             "-d:noSignalHandler", "--opt:size", "--lineDir:on", "--passC:-gdwarf-4",
             *[f"--passC:{f}" for f in NO_UNWIND],
             "--passL:-static", "--passL:-O2", *[f"--passL:{f}" for f in NO_UNWIND]]

_INSTALL = {
    "ziglang": "pip install ziglang==" + ZIG_VERSION,
    "nim": "apt-get install nim",
}


def require(language: Language) -> None:
    """Raise ``ToolchainMissing`` (saying what to install) if ``language`` cannot be built."""
    if importlib.util.find_spec("ziglang") is None:
        raise ToolchainMissing("the ziglang Python package", _INSTALL["ziglang"], language.value)
    if language is Language.NIM and shutil.which("nim") is None:
        raise ToolchainMissing("nim", _INSTALL["nim"], language.value)


@functools.cache
def _nim_version() -> str:
    try:
        out = subprocess.run(["nim", "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return "nim: not installed"
    return out.stdout.splitlines()[0] if out.stdout else "nim: unknown"


def tool_versions(language: Language) -> list[str]:
    """Version strings of every tool building ``language`` (part of the cache key)."""
    try:
        versions = ["ziglang " + importlib.metadata.version("ziglang")]
    except importlib.metadata.PackageNotFoundError:
        versions = ["ziglang: not installed"]
    if language is Language.NIM:
        versions.append(_nim_version())
    return versions


def write_cc_wrapper(directory: Path) -> Path:
    """Write (once) the script Nim runs as its C compiler and linker: ``zig cc`` for RISC-V."""
    text = ("#!/bin/sh\n# riscade: Nim's C compiler and linker\n"
            f"exec {shlex.quote(sys.executable)} -m ziglang cc {shlex.join(TARGET)} \"$@\"\n")
    path = directory / f"zigcc-{hashlib.sha256(text.encode()).hexdigest()[:12]}.sh"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(path)
    return path


def command(spec: ModSpec, out: Path, work: Path, sdk_dir: Path, cc_wrapper: Path) -> list[str]:
    """The argv that compiles and links ``spec`` into ``out``, run with cwd ``work``.

    ``work`` is a scratch directory the build owns (Zig's and Nim's caches go there).
    """
    stack = f"-Wl,-z,stack-size={spec.limits.stack}"
    sources = [str(p) for p in spec.source_paths()]
    if spec.language is Language.C:
        return [sys.executable, "-m", "ziglang", "cc", *TARGET, *C_FLAGS, *KEEP_HOOKS, stack,
                f"-I{sdk_dir}", *sources, "-o", str(out)]
    if spec.language is Language.ZIG:
        return [sys.executable, "-m", "ziglang", "build-exe", *TARGET, *ZIG_FLAGS,
                "--stack", str(spec.limits.stack), "--cache-dir", str(work / "zig-cache"),
                "--dep", "riscade", "--dep", "mod", f"-Mroot={sdk_dir / ZIG_ROOT}",
                "--dep", "riscade", f"-Mmod={sources[0]}", f"-Mriscade={sdk_dir / 'riscade.zig'}",
                f"-femit-bin={out}"]
    return ["nim", "c", *NIM_FLAGS, "--cc:clang", f"--clang.exe={cc_wrapper}",
            f"--clang.linkerexe={cc_wrapper}", *[f"--passL:{flag}" for flag in KEEP_HOOKS],
            f"--passL:{stack}", f"--path:{sdk_dir}", f"--nimcache:{work / 'nimcache'}",
            f"--out:{out}", sources[0]]
