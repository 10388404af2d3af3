"""The browser client's costs: page load cold and warm, simulation time per tick in the browser
(CPython 3.14 in wasm) against CPython here, frames per second while playing, join time.

    python -m bench.browser [--ticks N] [--screenshot docs/screenshot.png] [--json PATH]

A real server with the bundled mods (built by the real toolchain) runs on 127.0.0.1 beside two
Python bots; Debian's headless Chromium opens the page. Cold: an empty profile; warm: the same
profile again (HTTP cache revalidated by ETag, mods from the page's IndexedDB cache). Bytes
are what the page and its worker fetched over the network (Resource Timing's transferSize:
headers and bodies, 0 from the HTTP cache) and the size of the files they used, plus the
mods' compressed bytes over the websocket. The simulation time per tick
is what ``client.browser.BrowserClient`` measures around each message that applied ticks
(decode, apply, state hash), in the page and in CPython following the same game. Timings are
for reading; nothing asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import websockets

from client.browser import BrowserClient
from client.session import ClientOptions, play
from server.startup import prepare_mods
from tests.support.browser import LiveServer, launch, web_ready

ROOT = Path(__file__).resolve().parent.parent


async def cpython_client(url: str, ticks: int) -> dict[str, Any]:
    """Follow ``ticks`` ticks with the browser's client code, run by this CPython."""
    client = BrowserClient("cpython", "[]", ticks=ticks)
    async with websockets.connect(url, compression=None, max_size=None) as ws:
        await ws.send(client.start())
        while not client.ended():
            client.feed(await ws.recv())
            for sha in client.needs():
                client.give(sha, None)
            client.store()
            for out in client.output():
                await ws.send(out)
    result: dict[str, Any] = json.loads(client.status_json())
    return result


def visit(context: Any, url: str, wait_ticks: int) -> dict[str, Any]:
    """Open the page, wait until it has applied ``wait_ticks`` ticks; its figures."""
    page = context.new_page()
    began = time.perf_counter()
    page.goto(url)
    page.wait_for_function("window.riscade.status().state === 'playing'", timeout=180_000)
    playing = time.perf_counter() - began
    page.wait_for_function(f"window.riscade.status().ticks >= {wait_ticks}", timeout=180_000)
    status: dict[str, Any] = page.evaluate("window.riscade.status()")
    status["seconds_to_play"] = round(playing, 2)
    worker, own = status["load"]["transfer"], status["page"]
    status["http_bytes"] = worker["network_bytes"] + own["network_bytes"]
    status["file_bytes"] = worker["file_bytes"] + own["file_bytes"]
    status["files"] = worker["files"] + own["files"]
    status["page"] = page
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__)
    parser.add_argument("--ticks", type=int, default=200, help="ticks each client follows")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="save a screenshot of the warm game here (e.g. docs/screenshot.png)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    missing = web_ready()
    if missing:
        print(f"cannot run: not installed: {missing}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="riscade-bench-browser-") as tmp:
        work = Path(tmp)
        prepared = prepare_mods(ROOT / "mods", ROOT / ".riscade-cache" / "bench-browser")
        live = LiveServer(prepared)
        ws_url = f"ws://127.0.0.1:{live.server.port}"
        bots = [live.spawn(play(ClientOptions(ws_url, work / f"bot{i}", name=f"bot{i}",
                                              bot_seed=i))) for i in (1, 2)]
        figures: dict[str, Any] = {"python": platform.python_version(),
                                   "mods": [m.entry.name for m in prepared.served]}
        try:
            with sync_playwright() as p:
                context = launch(p, work / "profile")
                cold = visit(context, live.url + "?name=cold&bot=3", args.ticks)
                cold.pop("page").close()
                warm = visit(context, live.url + "?name=warm&bot=4", args.ticks)
                page = warm.pop("page")
                time.sleep(2)  # a steady state for the frame rate
                fps = page.evaluate("window.riscade.status().fps")
                if args.screenshot is not None:
                    page.screenshot(path=str(args.screenshot))
                page.close()
                context.close()
            native = asyncio.run(cpython_client(ws_url, args.ticks))
        finally:
            live.close()
            for bot in bots:
                bot.cancel()
    for name, visit_ in (("cold", cold), ("warm", warm)):
        load = visit_["load"]["load_ms"]
        figures[name] = {
            "seconds_to_play": visit_["seconds_to_play"],
            "http_bytes": visit_["http_bytes"], "file_bytes": visit_["file_bytes"],
            "files": visit_["files"],
            "mod_bytes": visit_["mod_bytes_received"], "mods_from_cache": visit_["mods_from_cache"],
            "pyodide_ms": load.get("pyodide"), "import_ms": load.get("import"),
            "join_ms": visit_["load"].get("join_ms"),
            "sim_ms_per_tick": visit_["sim_ms_mean"], "desyncs": visit_["desyncs"],
        }
    figures["fps_playing"] = fps
    figures["cpython_sim_ms_per_tick"] = native["sim_ms_mean"]
    browser_ms = warm["sim_ms_mean"]
    figures["browser_over_cpython"] = (round(browser_ms / native["sim_ms_mean"], 2)
                                       if browser_ms and native["sim_ms_mean"] else None)
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
