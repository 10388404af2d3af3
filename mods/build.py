"""Build every mod of a directory into a static RISC-V ELF, in parallel, through a cache.

``build_mods`` reads and validates every mod.toml, orders the mods by dependency, then
builds them on ``jobs`` threads (each build is one compiler process). A build whose cache
key is in the cache compiles nothing. A mod that fails to build gets its error in its
``BuildResult``; the others still build.

Mods compile with debug information. After linking, ``mods.debuginfo`` splits it off into a
debug file kept beside the cache entry (for gdb and the server's fault lines), ``mods.elfslim``
drops it from the ELF that clients download (keeping symbols), and ``mods.elfcheck`` checks
the result and lists its hooks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import debuginfo, elfslim, hookcheck, sandbox, toolchain
from .cache import BuildCache
from .elfcheck import ElfCheckError, check_limits, exported_hooks, global_functions
from .errors import ModBuildError, ModError
from .host_api import HOST_API
from .manifest import SCENARIO_DIR, Language, ModSpec, discover
from .order import load_order
from .sdk import SDK_DIR, stale_files

__all__ = ["BuildResult", "build_mods", "cache_key", "check_elf", "failed", "outside_links"]

#: SDK files each language's build reads.
SDK_INPUTS = {
    Language.C: ("riscade.h",),
    Language.ZIG: ("riscade.zig", toolchain.ZIG_ROOT),
    Language.NIM: ("riscade.nim", "riscade.h"),
}

#: Lines of compiler output kept in a ModBuildError.
TAIL_LINES = 40
#: Seconds one compiler run may take.
BUILD_TIMEOUT = 900
#: Files in a mod directory the build ignores (everything else is an input).
_IGNORED = ("__pycache__", "nimcache", "zig-cache", ".zig-cache")


@dataclass(frozen=True)
class BuildResult:
    """The outcome of building one mod: an ELF (``error is None``) or an error."""

    spec: ModSpec
    seconds: float
    cached: bool
    key: str
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    hooks: tuple[str, ...] = ()
    log: str = ""
    error: ModError | None = None
    #: The debug information of ``path`` (``mods.debuginfo``), if the build has one.
    debug_path: Path | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def language(self) -> Language:
        return self.spec.language

    @property
    def ok(self) -> bool:
        return self.error is None

    def manifest_entry(self) -> dict[str, Any]:
        """What the server's manifest lists for this mod (see DESIGN.md section 4)."""
        if self.error is not None:
            raise self.error
        spec = self.spec
        return {
            "name": spec.name, "version": spec.version, "sha256": self.sha256,
            "size": self.size, "language": spec.language.value,
            "dependencies": list(spec.dependencies), "memory": spec.limits.memory,
            "stack": spec.limits.stack, "instructions": spec.limits.instructions,
            "host_abi": HOST_API.abi_hash(), "hooks": list(self.hooks),
            "permissions": list(spec.permissions),
        }


def failed(results: list[BuildResult]) -> list[BuildResult]:
    """The results that carry an error."""
    return [r for r in results if not r.ok]


def build_mods(mods_dir: Path, cache_dir: Path, jobs: int = 2, *,
               sdk_dir: Path = SDK_DIR) -> list[BuildResult]:
    """Build every mod under ``mods_dir``; return one result per mod, in load order.

    Args:
        mods_dir: holds one directory per mod, each with a mod.toml.
        cache_dir: the build cache (created if missing); built ELFs stay there.
        jobs: compilers run at once.
        sdk_dir: the SDK files mods compile against (the committed ones by default).

    Raises:
        ModManifestError: a mod.toml is invalid (nothing is built).
        ModDependencyError: a dependency is missing or cyclic (nothing is built).
        ModError: the SDK files in ``sdk_dir`` differ from the generator's output.
    """
    specs = load_order(discover(Path(mods_dir)))
    stale = stale_files(sdk_dir)
    if stale:
        raise ModError(f"SDK file(s) {', '.join(stale)} in {sdk_dir} are stale: "
                       "run `python -m mods.sdk`")
    cache = BuildCache(Path(cache_dir))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_build_one, spec, cache, sdk_dir) for spec in specs]
        return [f.result() for f in futures]


def _mod_files(directory: Path) -> Iterator[Path]:
    """Every input file of a mod directory, sorted by relative path: not its scenarios
    (``SCENARIO_DIR``: no scenario can change the ELF, so editing one rebuilds nothing, and
    the build's sandbox shows the folder empty)."""
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if (path.is_file() and rel.parts[0] != SCENARIO_DIR
                and not any(p.startswith(".") or p in _IGNORED for p in rel.parts)):
            yield path


def cache_key(spec: ModSpec, sdk_dir: Path = SDK_DIR) -> str:
    """SHA-256 of everything that decides a mod's ELF.

    The mod's files (mod.toml and sources, by relative path; not its scenarios), the
    compile command with its flags (paths replaced by fixed placeholders), the tool
    versions, the host ABI hash, the SDK files the language reads and the source of the ELF
    post-processing.
    """
    h = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        h.update(f"{label}:{len(data)}:".encode())
        h.update(data)

    feed("format", b"riscade-mod-build/1")
    placeholder = dataclasses.replace(spec, directory=Path("/MOD"))
    argv = toolchain.command(placeholder, Path("/OUT/mod.elf"), Path("/WORK"), Path("/SDK"),
                             Path("/TOOLS/cc"))
    feed("command", "\0".join("python" if a == sys.executable else a for a in argv).encode())
    feed("tools", "\0".join(toolchain.tool_versions(spec.language)).encode())
    feed("host-abi", HOST_API.abi_hash().encode())
    for name in SDK_INPUTS[spec.language]:
        feed("sdk:" + name, (sdk_dir / name).read_bytes())
    for module in (elfslim, hookcheck):
        assert module.__file__ is not None  # both are source modules
        feed("post", Path(module.__file__).read_bytes())
    for path in _mod_files(spec.directory):
        feed("file:" + path.relative_to(spec.directory).as_posix(), path.read_bytes())
    return h.hexdigest()


def _tail(output: str) -> str:
    lines = output.rstrip().splitlines()
    return "\n".join(lines[-TAIL_LINES:])


def outside_links(directory: Path) -> list[str]:
    """Symlinks under ``directory`` that lead outside it, as "relative -> target" lines.

    A build sees only the mod's folder, so such a link would point at nothing in the
    sandbox; it is refused before anything reads through it (the cache key and Nim's
    staging read the mod's files outside the sandbox).
    """
    root = directory.resolve()
    found = []
    for here, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(here) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                found.append(f"{path.relative_to(root)} -> {os.readlink(path)}")
    return sorted(found)


def _build_one(spec: ModSpec, cache: BuildCache, sdk_dir: Path) -> BuildResult:
    start = time.perf_counter()
    links = outside_links(spec.directory)
    if links:
        error = ModBuildError(spec.name, -1, "reads outside the mod's folder through "
                              f"symlink(s): {'; '.join(links)}")
        return BuildResult(spec, time.perf_counter() - start, False, "", error=error)
    key = cache_key(spec, sdk_dir)
    hit = cache.get(key, spec.name, verify=lambda data: check_elf(spec, data))
    if hit is not None:
        return BuildResult(spec, time.perf_counter() - start, True, key, hit.path, hit.sha256,
                           hit.size, hit.hooks, hit.log, debug_path=hit.debug_path)
    try:
        data, log, debug = _compile(spec, cache, sdk_dir)
        try:
            wrong = hookcheck.problems(spec, global_functions(data))
            if wrong:
                raise ModBuildError(spec.name, 0, "\n".join(wrong))
            hooks = check_elf(spec, data)
        except ElfCheckError as exc:
            raise ModBuildError(spec.name, 0, str(exc)) from None
        entry = cache.put(key, spec.name, data, hooks, log, debug=debug)
    except ModError as exc:
        return BuildResult(spec, time.perf_counter() - start, False, key, error=exc)
    return BuildResult(spec, time.perf_counter() - start, False, key, entry.path, entry.sha256,
                       entry.size, entry.hooks, entry.log, debug_path=entry.debug_path)


def check_elf(spec: ModSpec, data: bytes) -> tuple[str, ...]:
    """The hooks of ``data`` if it is a loadable mod within ``spec``'s limits.

    Raises:
        ElfCheckError: why not, in one line.
    """
    hooks = exported_hooks(data)
    check_limits(data, memory=spec.limits.memory, stack=spec.limits.stack)
    return hooks


def _compile(spec: ModSpec, cache: BuildCache, sdk_dir: Path, *,
             trusted: bool = False) -> tuple[bytes, str, bytes | None]:
    """Compile ``spec`` in a sandbox with a scratch folder; return the slimmed ELF, the
    compiler's messages and the debug information split off (None if there is none, or
    ``llvm-objcopy`` is missing: the build does not depend on it). ``trusted`` is for
    riscade's own warm-up programs only (it lets the build write zig's global cache; see
    ``mods.sandbox``)."""
    toolchain.require(spec.language)
    sandbox.bwrap_path()
    wrapper = toolchain.write_cc_wrapper(cache.tools)
    if not trusted:
        _warm_up(spec.language, cache, sdk_dir)
    work = sandbox.scratch_dir(f"riscade-{spec.name}-")
    try:
        paths: dict[str, str]
        built, paths = spec, {}
        if spec.language is Language.NIM:
            built, sdk_dir, paths = _stage(spec, sdk_dir, work)
        out = work / f"{spec.name}.elf"
        argv = toolchain.command(built, out, work, sdk_dir, wrapper)
        readable = [built.directory, wrapper,
                    *(sdk_dir / name for name in SDK_INPUTS[spec.language])]
        scenarios = built.directory / SCENARIO_DIR
        hidden = [scenarios] if scenarios.is_dir() and not scenarios.is_symlink() else []
        box = sandbox.Sandbox(work, readable, nim=spec.language is Language.NIM,
                              trusted=trusted, hidden=hidden)
        try:
            proc = box.run(argv, BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise ModBuildError(spec.name, -1, f"timed out after {BUILD_TIMEOUT} s") from None
        log = (proc.stdout + proc.stderr).strip()
        for staged, real in paths.items():
            log = log.replace(staged, real)
        if proc.returncode != 0 or not out.is_file():
            raise ModBuildError(spec.name, proc.returncode or -1,
                                _explain(hookcheck.locate_compiler_errors(spec, _tail(log))
                                         or "no output file and no message",
                                         [spec.directory, sdk_dir, work,
                                          *sandbox.toolchain_roots()]))
        data = out.read_bytes()
        # Outside the sandbox: a trusted tool that reads only the build's output file.
        debug = None if trusted else debuginfo.split_debug(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        data = elfslim.slim_elf(data)
    except elfslim.ElfSlimError:
        pass  # unusual layout: ship it unslimmed rather than not at all
    return data, log, debug


#: Compiler messages that mean "a file is not there", which in the sandbox is what reading
#: a file outside the mod's folder looks like.
_NOT_FOUND = ("no such file", "filenotfound", "cannot open file", "file not found",
              "could not find", "cannot find", "read-only file system", "permission denied")
SANDBOX_HINT = ("(builds run sandboxed: they can read only the mod's folder, the SDK and the "
                "toolchain, and write only a scratch folder; a file outside the mod's folder "
                "does not exist for them)")
_QUOTED_PATH = re.compile(r"""(?:["']|: )(/[^"'\s]+)""")


def _explain(tail: str, inside: list[Path]) -> str:
    """``tail``, with a note on the sandbox when the compiler says a file is missing, naming
    the absolute paths it quotes (or puts after ": ") that lie outside every folder in
    ``inside``."""
    if not any(s in tail.lower() for s in _NOT_FOUND):
        return tail
    outside = sorted({p for p in _QUOTED_PATH.findall(tail)
                      if not any(Path(p).is_relative_to(root) for root in inside)})
    if outside:
        tail += f"\nreads outside the mod's folder: {', '.join(outside)}"
    return f"{tail}\n{SANDBOX_HINT}"


#: Trusted programs that fill zig's global cache (musl, compiler-rt) for each language's
#: flags before any mod builds against it read-only.
_WARM_UP = {
    Language.C: ("warmup.c", '#include "riscade.h"\nint main(void) { return 0; }\n'),
    Language.ZIG: ("warmup.zig", "pub fn main() void {}\n"),
    Language.NIM: ("warmup.nim", "import riscade\nlog(\"warm\")\n"),
}


def _warm_up(language: Language, cache: BuildCache, sdk_dir: Path) -> None:
    """Build the warm-up program of ``language`` once per zig cache and flag set."""
    source, text = _WARM_UP[language]
    spec = ModSpec("warmup", "1.0.0", language, (source,), Path("/MOD"))
    argv = toolchain.command(spec, Path("/OUT/warmup.elf"), Path("/WORK"), Path("/SDK"),
                             Path("/TOOLS/cc"))
    marker = sandbox.warm_marker(sandbox.zig_global_cache(),
                                 [*argv, *toolchain.tool_versions(language)])
    with sandbox.warm_lock(marker):
        if marker.is_file():
            return
        with tempfile.TemporaryDirectory(prefix="riscade-warmup-") as tmp:
            directory = Path(tmp).resolve() / "warmup"
            directory.mkdir()
            (directory / source).write_text(text)
            _compile(dataclasses.replace(spec, directory=directory), cache, sdk_dir,
                     trusted=True)
        marker.write_text("riscade: zig's global cache holds what these flags need\n")


def _stage(spec: ModSpec, sdk_dir: Path, work: Path) -> tuple[ModSpec, Path, dict[str, str]]:
    """Copy a Nim mod and the SDK to ``work/mod`` and ``work/sdk``.

    Nim names module symbols after the path from the mod to each module (the SDK, the
    standard library), so building from the same place keeps the ELF identical wherever the
    mod lives. Returns the staged spec, the staged SDK directory and the staged-to-real path
    map that makes compiler messages name the real files.
    """
    mod, sdk = work / "mod", work / "sdk"
    for path in _mod_files(spec.directory):
        target = mod / path.relative_to(spec.directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    sdk.mkdir()
    for name in SDK_INPUTS[spec.language]:
        shutil.copyfile(sdk_dir / name, sdk / name)
    paths = {str(mod): str(spec.directory), str(sdk): str(sdk_dir)}
    return dataclasses.replace(spec, directory=mod), sdk, paths
