"""A real server on 127.0.0.1 (the bundled mods, built by the real toolchain) in a thread of its
own, and a real headless Chromium (Debian's) that opens its page.

Playwright's sync API and the server's asyncio loop cannot share a thread, so the server runs
in its own loop in a thread (``LiveServer``), and Python bots join it there. One server and one
browser profile serve a whole module: Pyodide loads in seconds, not milliseconds.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from mods.host_api import HOST_API
from server.app import GameServer
from server.startup import Prepared
from tests.integration.conftest import bundled  # noqa: F401  (a fixture, used by name)
from web.assets import WebClient

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


@pytest.fixture(scope="module")
def live(bundled: Prepared) -> Iterator[LiveServer]:  # noqa: F811
    """The bundled mods served on 127.0.0.1 (ws and http on one port), ticking at 20 Hz."""
    missing = web_ready()
    if missing:
        pytest.fail(f"not installed (scripts/install.sh installs them): {missing}")
    server = LiveServer(bundled)
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with an empty profile of its own, kept for the module (so a
    second visit finds the first one's cache)."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1280, "height": 720})
        yield context
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    return tmp_path_factory.mktemp("screenshots")
