"""A real server on 127.0.0.1 (the bundled mods, built by the real toolchain) in a thread of its
own (``tests.support.browser.LiveServer``), and a real headless Chromium (Debian's) that opens
its page. One server and one browser profile serve a whole module: Pyodide loads in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.startup import Prepared
from tests.integration.conftest import bundled  # noqa: F401  (a fixture, used by name)
from tests.support.browser import LiveServer, launch, web_ready


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
        context = launch(p, profile)
        yield context
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    return tmp_path_factory.mktemp("screenshots")
