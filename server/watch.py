"""Hot reload's file side (``riscade serve --watch``): notice a saved mod, rebuild, hand over.

``ModWatcher.run`` polls the mods folder from the server's event loop: every ``interval``
seconds it takes a fingerprint of each mod folder (every file's path, size and mtime, as
``os.stat`` gives them; no new dependency, no inotify). When one changes, ``rebuild`` runs
the ordinary start-up build (``server.startup.prepare_mods``: the bubblewrap sandbox and the
build cache, so the unchanged mods cost a cache lookup) on a worker thread while the game
ticks on, and gives every running mod whose build changed to ``GameServer.reload``. A build
that fails, or a reload the server refuses, changes nothing: the old version runs on, and
the console gets the compiler's message (file:line) or the reason.

The watcher decides nothing about the game: what a reload replaces and when is
``lockstep.reload``'s and the room's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from lockstep.reload import ReloadRefused
from mods.errors import ModError
from protocol import ProtocolError, Reload

from .app import GameServer
from .startup import prepare_mods

__all__ = ["ModWatcher", "fingerprints"]

#: Seconds between two looks at the mods folder.
POLL_INTERVAL = 0.25
_SKIPPED = ("__pycache__", "nimcache", "zig-cache", ".zig-cache")

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprints(mods_dir: Path) -> dict[str, Fingerprint]:
    """Per mod folder of ``mods_dir`` (by folder name): each file's relative path, size and
    mtime in nanoseconds, sorted. Hidden files and build caches are left out."""
    out: dict[str, Fingerprint] = {}
    try:
        folders = sorted(p for p in Path(mods_dir).iterdir() if p.is_dir())
    except OSError:
        return out
    for folder in folders:
        files = []
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED)
            for name in sorted(names):
                if name.startswith("."):
                    continue
                path = Path(root) / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                files.append((str(path.relative_to(folder)), st.st_size, st.st_mtime_ns))
        out[folder.name] = tuple(sorted(files))
    return out


class ModWatcher:
    """Rebuilds the mods of ``mods_dir`` when their files change; reloads what changed.

    Args:
        server: the running game.
        mods_dir, cache_dir: as ``riscade serve`` builds them.
        interval: seconds between two looks at the folder.
        say: where console lines go (the server's console).
    """

    def __init__(self, server: GameServer, mods_dir: Path, cache_dir: Path, *,
                 interval: float = POLL_INTERVAL, say: Callable[[str], None] = print) -> None:
        self.server = server
        self.mods_dir = Path(mods_dir)
        self.cache_dir = Path(cache_dir)
        self.interval = interval
        self.say = say

    async def run(self) -> None:
        """Poll until cancelled; rebuild each time a mod folder changes."""
        seen = fingerprints(self.mods_dir)
        while True:
            await asyncio.sleep(self.interval)
            now = fingerprints(self.mods_dir)
            if now != seen:
                changed = sorted(n for n in now.keys() | seen.keys() if now.get(n) != seen.get(n))
                seen = now
                await self.rebuild(changed)

    async def rebuild(self, changed: Iterable[str] | None = None) -> list[Reload]:
        """Build every mod (the cache skips the unchanged ones) and reload each running mod
        whose build changed, one reload at a time. ``changed``: the mod folders that
        changed (their failures are printed; None: every mod's). Returns the reloads
        announced."""
        folders = None if changed is None else set(changed)
        self.say(f"riscade serve: rebuilding ({', '.join(sorted(folders or ())) or 'all'})")
        try:
            prepared = await asyncio.to_thread(prepare_mods, self.mods_dir, self.cache_dir)
        except ModError as exc:  # a bad mod.toml, a dependency cycle: nothing was built
            self.say(f"riscade serve: nothing reloaded, the old versions run on: {exc}")
            return []
        for result in prepared.results:
            reason = prepared.failed.get(result.name)
            if reason is not None and (folders is None or result.spec.directory.name in folders):
                self.say(f"riscade serve: mod {result.name} not reloaded, the old version runs "
                         f"on: {reason}")
        announced = []
        for mod in prepared.served:
            running = {e.name: e.sha256 for e in self.server.handshake.manifest}
            if running.get(mod.entry.name, mod.entry.sha256) == mod.entry.sha256:
                continue
            while self.server.room.reloads.pending and self.server.running:
                await asyncio.sleep(1 / self.server.tick_rate)
            try:
                announced.append(self.server.reload(mod))
            except (ReloadRefused, ProtocolError) as exc:
                self.say(f"riscade serve: {exc}; the old version runs on")
        return announced

    async def reload_one(self, name: str) -> str:
        """Build mod ``name`` afresh (as ``rebuild``: the cache skips unchanged mods) and
        hot-reload it if its build changed: the admin's ``/reload``. The outcome, one line."""
        try:
            prepared = await asyncio.to_thread(prepare_mods, self.mods_dir, self.cache_dir)
        except ModError as exc:
            return f"nothing reloaded, the old version runs on: {exc}"
        if name in prepared.failed:
            return f"mod {name} not reloaded, the old version runs on: {prepared.failed[name]}"
        built = {m.entry.name: m for m in prepared.served}.get(name)
        running = {e.name: e.sha256 for e in self.server.handshake.manifest}
        if built is None or name not in running:
            return f"no mod named {name!r} in {self.mods_dir}"
        if running[name] == built.entry.sha256:
            return f"mod {name} is unchanged ({built.entry.sha256[:12]})"
        try:
            notice = self.server.reload(built)
        except (ReloadRefused, ProtocolError) as exc:
            return f"{exc}; the old version runs on"
        return f"mod {name} becomes {built.entry.sha256[:12]} at tick {notice.tick}"
