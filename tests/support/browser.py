"""A real server ticking in a thread of its own, and Debian's Chromium under playwright: what the
browser tests and ``bench.browser`` share.

Playwright's sync API and the server's asyncio loop cannot share a thread, so the server runs
in its own loop in a thread (``LiveServer``), and Python bots join it there.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mods.host_api import HOST_API
from server.app import GameServer
from server.startup import Prepared
from web.assets import WebClient

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "LiveServer", "web_ready", "launch"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class LiveServer:
    """A ``GameServer`` ticking in a thread; ``hashes`` maps every tick to its state hash."""

    def __init__(self, prepared: Prepared, **kwargs: Any) -> None:
        self.hashes: dict[int, str] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = GameServer(prepared.served, host_abi=HOST_API.abi_hash(),
                                 on_log=lambda text: None, on_tick=self._tick, **kwargs)
        self.run(self.server.start("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.port}/"

    def _tick(self, tick: int, state_hash: str) -> None:
        self.hashes[tick] = state_hash

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 120) -> Any:
        """Run ``coro`` in the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Start ``coro`` in the server's loop (a bot); its future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        """Stop the server (idempotent) and its loop."""
        if self.loop.is_running():
            self.run(self.server.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def web_ready() -> list[str]:
    """What the page needs that is not installed (Chromium, Pyodide, the wheels)."""
    missing = [] if shutil.which(CHROMIUM) else [CHROMIUM]
    return missing + WebClient().missing()




def launch(playwright: Any, profile: Path) -> Any:
    """A headless Chromium with the profile ``profile`` (a persistent context)."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1280, "height": 720})
