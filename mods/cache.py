"""Content-addressed store of built mods: ``<root>/objects/<key>/{<name>.elf,meta.json}``.

The key (see ``mods.build.cache_key``) hashes everything a build reads, so an entry never
goes stale: a changed input is a different key. Entries are written to a scratch directory
and renamed into place, so a reader sees a whole entry or none, and an ELF whose hash no
longer matches its metadata is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BuildCache", "CachedBuild"]


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

    def get(self, key: str, name: str) -> CachedBuild | None:
        """The entry for ``key``, or None if absent or damaged."""
        entry = self.objects / key
        try:
            meta = json.loads((entry / "meta.json").read_text())
            data = (entry / f"{name}.elf").read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None
        return CachedBuild(entry / f"{name}.elf", meta["sha256"], len(data),
                           tuple(meta.get("hooks", ())), meta.get("log", ""))

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
                if self.get(key, name) is None:
                    shutil.rmtree(target, ignore_errors=True)
                    os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return CachedBuild(self.objects / key / f"{name}.elf", sha, len(elf), hooks, log)
