"""The game page in a real headless Chromium, against a real server on 127.0.0.1 with the
bundled mods, beside a Python bot: the page runs the same Python VM and simulation in Pyodide
(CPython 3.14 in wasm) and must agree with the server (CPython 3.11) on every tick's hash.

The tests share one server and one browser profile and run in order: a cold visit plays
(keys, chat, 100 ticks hash-checked, the canvas checked pixel by pixel), a lie about one
tick's hash is reported and healed, a warm visit finds every mod in the browser's cache, a
taken name and a name too long are refused, and a server shutdown reaches the page with its
reason.
"""

from __future__ import annotations

import base64
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import server.app as server_app
from client.session import ClientOptions, play
from tests.browser.png import read_png
from tests.support.browser import LiveServer

#: Milliseconds to wait for a page to load Pyodide and join (a loaded 2-core machine).
JOIN_MS = 90_000
#: The colours main.js gives kinds no mod styled (kind -> 0xRRGGBB).
DEFAULT_RGB = {1: 0x4FC3F7, 2: 0xF7C948, 3: 0xFFFFFF}
OTHER_RGB = 0xB0B8C8
ARENA_RGB = 0x151A26
#: Pixels main.js leaves around the arena.
MARGIN = 20
BOT = "pybot"

_bot: dict[str, Future[Any]] = {}
_ann: dict[str, int] = {}  # the cold visit's player id


def status(page: Any) -> dict[str, Any]:
    return page.evaluate("window.riscade.status()")


def open_page(browser: Any, live: LiveServer, query: str) -> Any:
    page = browser.new_page()
    page.goto(live.url + query)
    return page


def wait_state(page: Any, *states: str) -> dict[str, Any]:
    page.wait_for_function(
        f"window.riscade && {list(states)!r}.includes(window.riscade.status().state)",
        timeout=JOIN_MS)
    return status(page)


def my_entity(page: Any) -> dict[str, Any]:
    view = page.evaluate("window.riscade.view()")
    eid = next(p["entity"] for p in view["players"] if p["player"] == view["me"])
    return next(e for e in view["entities"] if e["id"] == eid)


def hold(page: Any, key: str, moved: str) -> None:
    """Hold ``key`` until the player's entity moved as ``moved`` (JS, x0/y0: where it was)."""
    start = my_entity(page)
    page.keyboard.down(key)
    try:
        page.wait_for_function(
            "([x0, y0]) => { const v = window.riscade.view();"
            " const p = v.players.find((q) => q.player === v.me);"
            " const e = v.entities.find((q) => q.id === p.entity);"
            f" return {moved}; }}", arg=[start["x"], start["y"]], timeout=20_000)
    finally:
        page.keyboard.up(key)


def expected_rgb(view: dict[str, Any], kind: int) -> int:
    style = next((k for k in view["kinds"] if k["kind"] == kind), None)
    if style is not None and style["shape"]:
        return int(style["rgb"])
    return DEFAULT_RGB.get(kind, OTHER_RGB)


def check_screenshot(capture: dict[str, Any], path: Path) -> int:
    """Save the canvas; check each entity's colour at its place. Returns how many matched."""
    data = base64.b64decode(capture["png"].split(",", 1)[1])
    path.write_bytes(data)
    width, height, rows, bpp = read_png(data)
    view = capture["view"]
    scale = min((width - 2 * MARGIN) / view["width"], (height - 2 * MARGIN) / view["height"])
    ox, oy = (width - view["width"] * scale) / 2, (height - view["height"] * scale) / 2

    def pixel(x: float, y: float) -> int:
        px, py = min(width - 1, int(ox + x * scale)), min(height - 1, int(oy + y * scale))
        r, g, b = rows[py][px * bpp:px * bpp + 3]
        return (r << 16) | (g << 8) | b

    places = [(e, ox + e["x"] * scale, oy + e["y"] * scale) for e in view["entities"]]
    matched = 0
    for e, sx, sy in places:
        if pixel(e["x"], e["y"]) == expected_rgb(view, e["kind"]):
            matched += 1
            continue
        # Another entity, a name or a label drawn over it: only where another entity is near.
        near = [o for o, ox2, oy2 in places if o is not e and abs(ox2 - sx) + abs(oy2 - sy) < 40]
        assert near, f"entity {e} is not drawn at ({sx:.0f}, {sy:.0f}): {pixel(e['x'], e['y']):06x}"
    # Corners of the arena far from every entity are the arena's colour (the middle of a
    # grid cell; the top-left corner holds the debug overlay).
    w, h, inset = view["width"], view["height"], 5 * 256
    corners = [(w - inset, inset), (inset, h - inset), (w - inset, h - inset)]
    far = view["width"] // 8
    free = [c for c in corners
            if all(abs(c[0] - e["x"]) + abs(c[1] - e["y"]) > far for e, _, _ in places)]
    assert free and all(pixel(*c) == ARENA_RGB for c in free)
    return matched


def test_cold_visit_plays_in_lockstep(live: LiveServer, browser: Any, shots: Path,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.mktemp("bot-cache")
    _bot["pybot"] = live.spawn(play(ClientOptions(f"ws://127.0.0.1:{live.server.port}", cache,
                                                  name=BOT, bot_seed=1)))
    page = open_page(browser, live, "?name=ann")
    st = wait_state(page, "playing")
    assert st["mods"] == [m.entry.name for m in live.server.mods]
    assert st["mods_from_cache"] == 0
    assert st["mod_bytes_received"] == sum(len(m.blob) for m in live.server.mods)
    assert page.locator("#state").inner_text() == "in game"
    page.wait_for_function("(() => { const v = window.riscade.view();"
                           " return v && v.players.some((p) => p.player === v.me); })()",
                           timeout=30_000)  # the player joins in the tick after the snapshot

    # Keys move the player's entity: right (arrow), then left (WASD), down, up.
    hold(page, "ArrowRight", "e.x > x0 + 256")
    hold(page, "KeyA", "e.x < x0 - 256")
    hold(page, "ArrowDown", "e.y > y0 + 256")
    hold(page, "KeyW", "e.y < y0 - 256")

    # Enter to chat: the line comes back through the tick stream, with the player's name.
    page.keyboard.press("Enter")
    page.keyboard.type("hello from the browser")
    page.keyboard.press("Enter")
    page.locator("#chat li", has_text="<ann> hello from the browser").wait_for(timeout=20_000)

    page.wait_for_function("window.riscade.status().ticks >= 100", timeout=60_000)
    st = status(page)
    assert st["desyncs"] == 0 and st["state"] == "playing"
    assert st["state_hash"] == live.hashes[st["tick"]]
    names = {p["name"] for p in page.evaluate("window.riscade.view()")["players"]}
    assert {"ann", BOT} <= names
    assert page.locator("#debug").inner_text().startswith("tick ")

    matched = check_screenshot(page.evaluate("window.riscade.capture()"), shots / "canvas.png")
    assert matched >= 2
    page.screenshot(path=str(shots / "page.png"))
    # The server's token is kept for the next visit under this name (ident's Welcome.token).
    token = page.evaluate("localStorage.getItem(`riscade.token.${location.host}.ann`)")
    assert token and len(token) >= 16
    _ann["player_id"] = st["player_id"]
    page.close()


def test_a_desync_is_reported_and_healed(live: LiveServer, browser: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The server claims a wrong hash for one tick: the page reports the desync, takes the
    server's snapshot and plays on in step (the Python bot does the same)."""
    page = open_page(browser, live, "?name=dee")
    wait_state(page, "playing")
    real = server_app.tick_message
    lied: list[int] = []

    def lying(inputs: Any, state_hash: str, *args: Any) -> Any:
        if not lied:
            lied.append(inputs.tick)
            state_hash = "f" * 64 if state_hash != "f" * 64 else "e" * 64
        return real(inputs, state_hash, *args)

    monkeypatch.setattr(server_app, "tick_message", lying)
    page.wait_for_function("window.riscade.status().resyncs >= 1", timeout=30_000)
    monkeypatch.setattr(server_app, "tick_message", real)
    page.wait_for_function(f"window.riscade.status().tick > {lied[0] + 5}", timeout=30_000)
    st = status(page)
    assert st["desyncs"] == 1 and st["resyncs"] == 1 and st["state"] == "playing"
    assert st["state_hash"] == live.hashes[st["tick"]]
    assert "resynced 1x" in page.locator("#detail").inner_text()
    page.close()


def test_warm_visit_downloads_no_mod_bytes(live: LiveServer, browser: Any) -> None:
    """ann comes back (as a bot this time) within the server's grace period: the same player,
    thanks to the token the page kept, and every mod from the browser's cache."""
    page = open_page(browser, live, "?name=ann&bot=7&ticks=60")
    st = wait_state(page, "ended")
    assert st["ended"] == "left after 60 ticks", st["ended"]
    assert st["mod_bytes_received"] == 0
    assert st["mods_from_cache"] == len(live.server.mods) == len(st["mods"])
    assert st["desyncs"] == 0 and st["ticks"] == 60
    assert st["state_hash"] == live.hashes[st["tick"]]
    assert st["buttons"] != 0  # the bot pressed something
    assert st["player_id"] == _ann["player_id"]
    page.close()


def test_refusal_shows_the_reason(live: LiveServer, browser: Any) -> None:
    page = open_page(browser, live, f"?name={BOT}")
    st = wait_state(page, "ended")
    assert st["ended"].startswith("refused (name): "), st["ended"]
    assert page.locator("#ended-reason").inner_text() == st["ended"]
    assert page.locator("#ended").is_visible()
    page.close()


def test_a_name_the_protocol_refuses_ends_before_connecting(live: LiveServer,
                                                            browser: Any) -> None:
    page = open_page(browser, live, "?name=" + "n" * 200)
    st = wait_state(page, "ended")
    assert st["ended"].startswith('cannot join as "nnnn'), st["ended"]
    assert "name" in st["ended"].split(":", 1)[1]
    assert page.locator("#ended-reason").inner_text() == st["ended"]
    page.close()


def test_shutdown_shows_the_reason(live: LiveServer, browser: Any) -> None:
    page = open_page(browser, live, "?name=cat")
    wait_state(page, "playing")
    live.close()
    st = wait_state(page, "ended")
    assert st["ended"] == "server said shutdown: the server is stopping", st["ended"]
    assert page.locator("#ended-reason").inner_text() == st["ended"]
    assert page.locator("#state").inner_text() == "disconnected"
    summary = _bot["pybot"].result(30)
    assert summary["desyncs"] == 1 and summary["ticks"] > 100  # the one lie, healed
    page.close()
