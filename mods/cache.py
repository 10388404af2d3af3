"""Content-addressed store of built mods: ``<root>/objects/<key>/{<name>.elf,meta.json}``.

The key (see ``mods.build.cache_key``) hashes everything a build reads, so an entry never
goes stale: a changed input is a different key. Entries are written to a scratch directory
and renamed into place, so a reader sees a whole entry or none. An entry is never trusted:
an ELF whose hash does not match its metadata, or that the caller's ``verify`` rejects
(``mods.build`` re-runs its ELF checks), is a miss, and the rebuilt entry replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BuildCache", "CachedBuild", "DEFAULT_CACHE_DIR"]

#: The build cache every command uses unless told otherwise (``riscade build``, ``serve``,
#: ``test``), relative to the working directory: one build warms the others.
DEFAULT_CACHE_DIR = Path(".riscade-cache") / "build"


@dataclass(frozen=True)
class CachedBuild:
    """A built mod in the cache."""

    path: Path
    sha256: str
    size: int
    hooks: tuple[str, ...]
    log: str


class BuildCache:
    """A build cache rooted at ``root`` (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.objects = self.root / "objects"
        self.tools = self.root / "tools"

    def get(self, key: str, name: str,
            verify: Callable[[bytes], tuple[str, ...]] | None = None) -> CachedBuild | None:
        """The entry for ``key``, or None if absent or damaged.

        ``verify(elf)`` returns the ELF's hooks or raises ``ValueError``; an entry it
        rejects, or whose stored hooks differ from what it returns, is damaged.
        """
        entry = self.objects / key
        try:
            meta = json.loads((entry / "meta.json").read_text())
            data = (entry / f"{name}.elf").read_bytes()
            if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta["sha256"]:
                return None
            hooks, log = tuple(meta["hooks"]), str(meta["log"])
            if verify is not None and verify(data) != hooks:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return CachedBuild(entry / f"{name}.elf", meta["sha256"], len(data), hooks, log)

    def put(self, key: str, name: str, elf: bytes, hooks: tuple[str, ...],
            log: str) -> CachedBuild:
        """Store a built ELF under ``key`` and return the entry."""
        sha = hashlib.sha256(elf).hexdigest()
        self.objects.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=self.objects))
        try:
            (staging / f"{name}.elf").write_bytes(elf)
            (staging / f"{name}.elf").chmod(0o755)  # runnable under qemu-riscv64 as is
            meta = {"name": name, "sha256": sha, "size": len(elf), "hooks": list(hooks),
                    "log": log}
            (staging / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
            target = self.objects / key
            try:
                os.replace(staging, target)
            except OSError:  # the key exists: stored by a concurrent build, or damaged
                if (self.get(key, name) or CachedBuild(target, "", 0, (), "")).sha256 != sha:
                    shutil.rmtree(target, ignore_errors=True)
                    os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return CachedBuild(self.objects / key / f"{name}.elf", sha, len(elf), hooks, log)
