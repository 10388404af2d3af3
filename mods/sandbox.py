"""Run a mod's compiler inside bubblewrap, seeing only what the build needs.

A compiler is a program the mod's source steers: Nim's ``staticExec`` runs shell commands,
``staticRead``, C's ``.incbin``/``#embed`` and Zig's ``@embedFile`` copy any readable file
into the ELF that every client downloads. So every compile runs in ``bwrap`` with:

- a fresh mount namespace whose root holds only: the scratch folder (read-write; the mod
  and the SDK staged in it are re-bound read-only), the mod's folder and the SDK
  (read-only; the mod's ``scenarios/`` shows empty: no build input), the toolchain
  (read-only: the Python interpreter and its standard library
  with ``site-packages`` hidden except for the ``ziglang`` package; for Nim, ``nim``, its
  ``lib``, its ``/etc/nim`` configuration and ``/bin/sh``, which Nim runs its C compiler
  through), the shared libraries those programs link (found with ``ldd``, bound file by
  file), ``/proc`` and a minimal ``/dev``. No ``/etc`` (beyond Nim's configuration), no
  home, no ``/tmp``, no ``/usr/bin`` but ``nim``: a symlink in the mod to ``/etc/passwd``
  points at nothing.
- every namespace unshared (no network), all capabilities dropped, a new session (no
  terminal injection), killed with its parent, a clean environment.
- resource limits set before ``bwrap`` starts, inherited by everything in it: address
  space ``BUILD_ADDRESS_SPACE`` bytes, files written at most ``BUILD_FILE_SIZE`` bytes
  each; the caller's timeout bounds wall-clock time (killing ``bwrap`` kills the whole
  PID namespace through ``--die-with-parent``).

Zig's global cache (musl and compiler-rt per flag set, 35-45 s to build once, ~120 MB
here): sharing it writable between untrusted builds would let one build (e.g. Nim's
``staticExec``) replace musl's objects or the standard library's ZIR for every later mod.
bubblewrap 0.8 (Debian 12) has no overlay mounts; zig writes its manifests (``h``) and ZIR
files (``z``) even on a cache hit, so a read-only cache fails ("manifest_create
ReadOnlyFileSystem"); a full private copy costs ~2.5 s per build on this disk. Measured and
decided: **only a trusted warm-up build writes the shared cache** (a fixed, built-in program
per language, compiled with exactly the mods' flags, in the same sandbox but with the cache
writable; once per cache and flag set, recorded by a marker file named after the command's
hash), and **each mod build gets a private copy of ``h`` and ``z`` (9 + 44 MB, 0.2-0.3 s on
tmpfs) over read-only binds of the compiled objects ``o`` and ``b``**. A mod build's own
objects (``ZIG_LOCAL_CACHE_DIR``, ``--cache-dir``) go to its scratch folder, which is on
``/dev/shm`` when there is one. A mod that needs an object the warm-up did not build fails
(read-only file system) rather than writing the shared cache.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import ToolchainMissing

__all__ = [
    "BUILD_ADDRESS_SPACE",
    "BUILD_FILE_SIZE",
    "Sandbox",
    "bwrap_path",
    "scratch_dir",
    "toolchain_roots",
    "zig_global_cache",
]

#: Virtual address space of each process of a build (RLIMIT_AS).
BUILD_ADDRESS_SPACE = 8 << 30
#: Largest file a build may write (RLIMIT_FSIZE).
BUILD_FILE_SIZE = 512 << 20
#: Parts of zig's global cache a build gets a private copy of (zig writes them even on a
#: cache hit: the manifests ``h``; the ZIR of standard library files ``z``) and parts it
#: reads through a read-only bind (compiled objects ``o``, build runners ``b``).
ZIG_PRIVATE = ("h", "z")
ZIG_SHARED = ("o", "b")
_INSTALL_BWRAP = "apt-get install bubblewrap"


def bwrap_path() -> str:
    """The ``bwrap`` program, or ``ToolchainMissing`` (builds never run unsandboxed)."""
    path = shutil.which("bwrap")
    if path is None:
        raise ToolchainMissing("bubblewrap (bwrap), which sandboxes every mod build",
                               _INSTALL_BWRAP)
    return path


def zig_global_cache() -> Path:
    """Zig's global cache: ``ZIG_GLOBAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/zig`` or
    ``~/.cache/zig`` (as zig itself decides)."""
    if os.environ.get("ZIG_GLOBAL_CACHE_DIR"):
        return Path(os.environ["ZIG_GLOBAL_CACHE_DIR"]).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return (Path(base) / "zig").resolve()


@functools.cache
def _linked_libraries(program: str) -> tuple[str, ...]:
    """The shared libraries ``program`` loads (paths as the loader names them), via ldd."""
    try:
        out = subprocess.run(["ldd", program], capture_output=True, text=True, timeout=60)
    except OSError:
        return ()
    libs = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            libs.append(parts[2])
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])  # the dynamic loader
    return tuple(libs)


@functools.cache
def _python_binds() -> tuple[tuple[str, str], ...]:
    """(source, target) read-only binds that let ``python -m ziglang`` run."""
    exe = sys.executable
    real = os.path.realpath(exe)
    binds = {(real, exe), (real, real)}
    stdlib = Path(os.__file__).resolve().parent
    binds.add((str(stdlib), str(stdlib)))
    spec = importlib.util.find_spec("ziglang")
    if spec is not None and spec.origin:
        zig = Path(spec.origin).resolve().parent
        binds.add((str(zig), str(zig)))
    for lib in _linked_libraries(real):
        binds.add((os.path.realpath(lib), lib))
    return tuple(sorted(binds))


@functools.cache
def _nim_binds() -> tuple[tuple[str, str], ...]:
    """(source, target) read-only binds that let ``nim`` and its C compiler wrapper run."""
    nim = shutil.which("nim")
    if nim is None:
        return ()
    real = os.path.realpath(nim)
    binds = {(real, "/usr/bin/nim"), (real, nim)}
    lib = Path(real).parent.parent / "lib" / "nim"
    if lib.is_dir():
        binds.add((str(lib), str(lib)))
    if os.path.isdir("/etc/nim"):
        binds.add(("/etc/nim", "/etc/nim"))
    sh = os.path.realpath("/bin/sh")
    binds.add((sh, "/bin/sh"))
    for program in (real, sh):
        for so in _linked_libraries(program):
            binds.add((os.path.realpath(so), so))
    return tuple(sorted(binds))


def scratch_dir(prefix: str) -> Path:
    """A new, empty scratch folder: on ``/dev/shm`` (tmpfs) when there is one, where
    copying zig's cache manifests (2,000+ small files) takes 0.2 s instead of 2.5 s."""
    shm = Path("/dev/shm")
    root = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root)).resolve()


def toolchain_roots() -> list[Path]:
    """The toolchain folders and files every build can read (a build's messages may name
    them without having read outside the mod)."""
    return [Path(target) for _, target in (*_python_binds(), *_nim_binds())]


def _limit_resources() -> None:  # runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (BUILD_ADDRESS_SPACE, BUILD_ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_FSIZE, (BUILD_FILE_SIZE, BUILD_FILE_SIZE))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Sandbox:
    """How one build runs: what it may read, where it may write.

    Args:
        scratch: the one writable folder (the build's cwd, outputs and local caches).
        read_only: folders or files the build reads (the mod, the SDK, the cc wrapper),
            bound at their own paths, after ``scratch`` (so they may lie inside it).
        nim: also bind Nim and ``/bin/sh``.
        zig_cache: zig's global cache; bound read-only unless ``trusted``.
        trusted: the build is riscade's own warm-up program: the zig cache is writable.
        hidden: folders inside ``read_only`` the build sees as empty (an empty read-only
            tmpfs over each; they must exist).
    """

    def __init__(self, scratch: Path, read_only: Iterable[Path], *, nim: bool = False,
                 zig_cache: Path | None = None, trusted: bool = False,
                 hidden: Iterable[Path] = ()) -> None:
        self.scratch = Path(scratch)
        self.read_only = tuple(Path(p) for p in read_only)
        self.nim = nim
        self.zig_cache = zig_cache or zig_global_cache()
        self.trusted = trusted
        self.hidden = tuple(Path(p) for p in hidden)

    def argv(self, command: Sequence[str]) -> list[str]:
        """The bwrap command line that runs ``command`` inside this sandbox."""
        scratch = str(self.scratch)
        args = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--clearenv",
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", scratch,
                "--setenv", "TMPDIR", scratch, "--setenv", "LC_ALL", "C",
                "--setenv", "ZIG_GLOBAL_CACHE_DIR", str(self.zig_cache),
                "--setenv", "ZIG_LOCAL_CACHE_DIR", str(self.scratch / "zig-local"),
                "--proc", "/proc", "--dev", "/dev"]
        binds = list(_python_binds()) + (list(_nim_binds()) if self.nim else [])
        for source, target in binds:
            args += ["--ro-bind", source, target]
        args += ["--bind", scratch, scratch]
        args += self._zig_cache_binds()
        for path in self.read_only:
            args += ["--ro-bind", str(path), str(path)]
        for path in self.hidden:
            args += ["--size", "4096", "--tmpfs", str(path), "--remount-ro", str(path)]
        return [*args, "--chdir", scratch, "--", *command]

    def _zig_cache_binds(self) -> list[str]:
        """Bind zig's global cache: writable for a trusted build; else a private copy of its
        small, mutable parts (manifests ``h``, ZIR ``z``) over read-only objects."""
        real = self.zig_cache
        real.mkdir(parents=True, exist_ok=True)
        if self.trusted:
            return ["--bind", str(real), str(real)]
        private = self.scratch / ".zig-global"
        private.mkdir()
        args = ["--bind", str(private), str(real)]
        for part in ZIG_PRIVATE:
            if (real / part).is_dir():
                shutil.copytree(real / part, private / part, symlinks=True)
        for part in ZIG_SHARED:
            (private / part).mkdir()
            if (real / part).is_dir():
                args += ["--ro-bind", str(real / part), str(real / part)]
        return args

    def run(self, command: Sequence[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run ``command`` sandboxed; output captured as text (raises ``TimeoutExpired``)."""
        return subprocess.run(self.argv(command), cwd=self.scratch, capture_output=True,
                              text=True, errors="replace", timeout=timeout,
                              preexec_fn=_limit_resources, stdin=subprocess.DEVNULL)


_warm_locks: dict[str, threading.Lock] = {}
_warm_locks_guard = threading.Lock()


def warm_marker(zig_cache: Path, command: Sequence[str]) -> Path:
    """The file that records a trusted warm-up of ``zig_cache`` for ``command``'s flags."""
    digest = hashlib.sha256("\0".join(command).encode()).hexdigest()[:16]
    return zig_cache / f"riscade-warm-{digest}"


def warm_lock(marker: Path) -> threading.Lock:
    """Held while the warm-up of ``marker`` runs, so builds of one process do not warm it
    twice (zig's own file locks keep concurrent processes safe)."""
    with _warm_locks_guard:
        return _warm_locks.setdefault(str(marker), threading.Lock())
