"""Plain HTTP on the game's port: real requests over loopback to a real GameServer.

Requests are written as raw bytes on a socket, so a hostile path reaches the server exactly as
an attacker would send it (no client library normalises or refuses it first).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from websockets.http11 import Request
from websockets.typing import Origin

from client.session import ClientOptions, play
from mods.host_api import HOST_API
from server.app import GameServer
from server.http import MAX_PATH, reply
from web.assets import PYODIDE_DIR, PYODIDE_FILES, STATIC_DIR, WebClient
from web.wheels import WHEELS_DIR, wheel_files

ROOT = Path(__file__).resolve().parents[2]


class Got:
    """One HTTP response as read off the socket."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers = {k.lower(): v.strip() for k, _, v in
                        (line.partition(":") for line in lines[1:])}


async def request(port: int, path: str | bytes, *, method: str = "GET",
                  headers: dict[str, str] | None = None) -> Got:
    """Send one request line (``path`` as given, unescaped) and read the whole answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    raw_path = path if isinstance(path, bytes) else path.encode()
    lines = [method.encode() + b" " + raw_path + b" HTTP/1.1", f"Host: 127.0.0.1:{port}".encode()]
    lines += [f"{k}: {v}".encode() for k, v in (headers or {}).items()]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return Got(raw)


@pytest.fixture
async def server() -> AsyncIterator[GameServer]:
    """A GameServer without mods on a free loopback port."""
    srv = GameServer([], host_abi=HOST_API.abi_hash(), on_log=lambda text: None)
    await srv.start("127.0.0.1", 0)
    yield srv
    await srv.stop()


needs_pyodide = pytest.mark.skipif(not (PYODIDE_DIR / "pyodide.asm.wasm").is_file(),
                                   reason="Pyodide not installed (scripts/install.sh)")
needs_wheels = pytest.mark.skipif(None in wheel_files().values(),
                                  reason="wheels not built (python -m web.wheels)")


async def test_the_page_is_served_at_the_root_with_its_headers(server: GameServer) -> None:
    got = await request(server.port, "/")
    assert got.status == 200
    assert got.body == (STATIC_DIR / "index.html").read_bytes()
    assert got.headers["content-type"] == "text/html; charset=utf-8"
    assert got.headers["content-length"] == str(len(got.body))
    assert got.headers["cache-control"] == "no-cache"
    assert (await request(server.port, "/?name=bob&bot=3")).body == got.body
    assert (await request(server.port, "/static/index.html")).body == got.body


@needs_pyodide
async def test_pyodide_files_are_served_byte_for_byte(server: GameServer) -> None:
    for name in PYODIDE_FILES:
        got = await request(server.port, f"/pyodide/{name}")
        assert got.status == 200, name
        assert got.body == (PYODIDE_DIR / name).read_bytes(), name
    wasm = await request(server.port, "/pyodide/pyodide.asm.wasm")
    assert wasm.headers["content-type"] == "application/wasm"  # streaming compile needs it
    assert len(wasm.body) > 1_000_000
    # the package holds more than a page needs; only the listed files are served
    for name in ("package.json", "README.md", "pyodide.d.ts", "console.html"):
        assert (PYODIDE_DIR / name).is_file()
        assert (await request(server.port, f"/pyodide/{name}")).status == 404


@needs_wheels
async def test_manifest_names_the_bundle_and_wheels_with_their_hashes(server: GameServer) -> None:
    manifest = json.loads((await request(server.port, "/py/manifest.json")).body)
    assert manifest["pyodide"] == json.loads(
        (ROOT / "web" / "package.json").read_text())["dependencies"]["pyodide"]
    zipped = await request(server.port, "/py/riscade.zip")
    assert zipped.headers["content-type"] == "application/zip"
    assert hashlib.sha256(zipped.body).hexdigest() == manifest["bundle"]["sha256"]
    assert len(zipped.body) == manifest["bundle"]["size"]
    assert sorted(w["file"].split("-")[0] for w in manifest["wheels"]) == ["msgpack",
                                                                          "pyelftools"]
    for wheel in manifest["wheels"]:
        got = await request(server.port, f"/wheels/{wheel['file']}")
        assert got.body == (WHEELS_DIR / wheel["file"]).read_bytes()
        assert hashlib.sha256(got.body).hexdigest() == wheel["sha256"]
        assert wheel["file"].endswith("-py3-none-any.whl")  # pure: no C extension inside
        names = zipfile.ZipFile(io.BytesIO(got.body)).namelist()
        assert not [n for n in names if n.endswith((".so", ".pyd"))], names


async def test_the_bundle_is_the_code_the_server_runs(server: GameServer) -> None:
    zipped = zipfile.ZipFile(io.BytesIO((await request(server.port, "/py/riscade.zip")).body))
    names = set(zipped.namelist())
    for rel in ("vm/machine.py", "vm/translator/__init__.py", "protocol/compression.py",
                "protocol/zstd.py", "game/simulation.py", "lockstep/follower.py",
                "mods/host_api.py", "client/view.py"):
        assert zipped.read(rel) == (ROOT / rel).read_bytes(), rel
    # the server, the build (toolchain, sandbox) and the websockets client are not shipped
    assert not [n for n in names if n.startswith("server/")]
    assert not names & {"mods/build.py", "mods/sandbox.py", "client/session.py",
                        "client/cli.py"}
    assert not [n for n in names if "__pycache__" in n or not n.endswith(".py")]


@pytest.mark.parametrize("path", [
    "/nope", "/static/", "/static/missing.html", "/index.html", "/py/", "/py/other.zip",
    "/wheels/", "/wheels/missing-1.0-py3-none-any.whl", "/pyodide/", "/pyodide",
])
async def test_unknown_paths_are_404(server: GameServer, path: str) -> None:
    got = await request(server.port, path)
    assert got.status == 404
    assert got.body == b"404 Not Found\n"


TRAVERSALS: list[bytes] = [
    b"/static/../server/app.py", b"/static/../../pyproject.toml", b"/static/./index.html",
    b"/static/%2e%2e/server/app.py", b"/static/%2E%2E%2Fserver%2Fapp.py",
    b"/static/..%2fserver%2fapp.py", b"/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/static//etc/passwd", b"/static/%2fetc%2fpasswd", b"//etc/passwd", b"/etc/passwd",
    b"/static/..\\..\\pyproject.toml", b"/static/index.html%00.png", b"/static/index.html\x00",
    b"/static/.gitignore", b"/static/~/.bashrc", b"/pyodide/../../../pyproject.toml",
    b"/pyodide/..%2f..%2fpackage.json", b"/wheels/../assets.py", b"/wheels/.", b"/wheels/..",
    b"/py/../server/app.py", b"file:///etc/passwd", b"http://127.0.0.1/../pyproject.toml",
    b"*", b"/static/index.html/", b"/static/index.html/..",
]


@pytest.mark.parametrize("path", TRAVERSALS, ids=[p.decode("latin-1") for p in TRAVERSALS])
async def test_traversal_attempts_get_nothing(server: GameServer, path: bytes) -> None:
    got = await request(server.port, path)
    assert 400 <= got.status < 500, (got.status, got.body[:80])
    for secret in (b"GameServer", b"[build-system]", b"root:", b"riscade-web"):
        assert secret not in got.body


async def test_a_link_out_of_the_static_folder_is_not_followed(tmp_path: Path) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_bytes(b"page")
    (tmp_path / "secret.txt").write_bytes(b"secret")
    (static / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (static / "sub").mkdir()
    (static / "sub" / "ok.js").write_bytes(b"js")
    srv = GameServer([], on_log=lambda text: None, web=WebClient(static=static))
    port = await srv.start("127.0.0.1", 0)
    try:
        assert (await request(port, "/static/leak.txt")).status == 404
        assert (await request(port, "/static/sub")).status == 404  # a folder is not a file
        got = await request(port, "/static/sub/ok.js")
        assert (got.status, got.body) == (200, b"js")
        assert got.headers["content-type"] == "text/javascript; charset=utf-8"
    finally:
        await srv.stop()


async def test_long_paths_are_refused_and_the_server_keeps_serving(server: GameServer) -> None:
    assert (await request(server.port, "/" + "a" * (MAX_PATH + 1))).status == 414
    assert (await request(server.port, "/static/" + "a" * 200)).status == 404
    # past the request line limit of websockets itself: it refuses the request alone
    huge = await request(server.port, "/" + "a" * 100_000)
    assert 400 <= huge.status < 500
    assert (await request(server.port, "/")).status == 200


async def test_head_has_the_headers_and_no_body(server: GameServer) -> None:
    get = await request(server.port, "/py/riscade.zip")
    head = await request(server.port, "/py/riscade.zip", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(get.body))
    assert head.headers["etag"] == get.headers["etag"]
    assert (await request(server.port, "/nope", method="HEAD")).status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "get"])
async def test_other_methods_are_405(server: GameServer, method: str) -> None:
    got = await request(server.port, "/", method=method)
    assert got.status == 405
    assert got.headers["allow"] == "GET, HEAD"


async def test_a_matching_etag_gets_304_without_a_body(server: GameServer) -> None:
    first = await request(server.port, "/py/riscade.zip")
    again = await request(server.port, "/py/riscade.zip",
                          headers={"If-None-Match": f'"x", {first.headers["etag"]}'})
    assert again.status == 304 and again.body == b""
    other = await request(server.port, "/py/riscade.zip", headers={"If-None-Match": '"x"'})
    assert other.status == 200 and other.body == first.body


async def test_a_route_is_one_line(server: GameServer) -> None:
    server.http.add("/status", lambda req: reply(b'{"ok": true}', "application/json"))
    got = await request(server.port, "/status")
    assert (got.status, got.body, got.headers["content-type"]) == (
        200, b'{"ok": true}', "application/json")
    assert "/status" in server.http.paths()


async def test_a_failing_route_is_a_500_and_the_server_goes_on(server: GameServer) -> None:
    def broken(req: Request) -> object:
        raise RuntimeError("bug")

    server.http.add("/broken", broken)  # type: ignore[arg-type]
    assert (await request(server.port, "/broken")).status == 500
    assert (await request(server.port, "/")).status == 200


async def test_the_game_still_plays_on_the_same_port(server: GameServer, tmp_path: Path) -> None:
    page = await request(server.port, "/")
    assert page.status == 200
    summary = await play(ClientOptions(url=f"ws://127.0.0.1:{server.port}", name="bot",
                                       cache_dir=tmp_path / "cache", ticks=5, bot_seed=1))
    assert summary["ticks"] == 5 and summary["desyncs"] == 0
    # the upgrade path keeps its origin check
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"ws://127.0.0.1:{server.port}",
                                 origin=Origin("https://evil.example"))
    assert refused.value.response.status_code == 403
    # a plain GET that asks for no upgrade is never taken for a websocket
    assert (await request(server.port, "/", headers={"Connection": "Upgrade"})).status == 200


def test_what_is_missing_is_said_in_one_line(tmp_path: Path) -> None:
    bare = WebClient(static=tmp_path, pyodide=tmp_path, wheels=tmp_path)
    line = bare.summary("http://127.0.0.1:1/")
    assert line.startswith("the game page at http://127.0.0.1:1/ cannot load: missing ")
    for part in ("pyodide.asm.wasm", "msgpack wheel", "pyelftools wheel", "index.html",
                 "scripts/install.sh"):
        assert part in line
    assert "\n" not in line


async def test_a_missing_page_is_a_404_not_a_crash(tmp_path: Path) -> None:
    srv = GameServer([], on_log=lambda text: None, web=WebClient(static=tmp_path / "none"))
    port = await srv.start("127.0.0.1", 0)
    try:
        assert (await request(port, "/")).status == 404
        assert (await request(port, "/static/index.html")).status == 404
    finally:
        await srv.stop()


@needs_pyodide
async def test_gzip_for_clients_that_take_it(server: GameServer) -> None:
    gz = {"Accept-Encoding": "gzip, deflate, br"}
    raw = (PYODIDE_DIR / "pyodide.asm.wasm").read_bytes()
    got = await request(server.port, "/pyodide/pyodide.asm.wasm", headers=gz)
    assert got.headers["content-encoding"] == "gzip" and got.headers["vary"] == "Accept-Encoding"
    assert got.headers["content-type"] == "application/wasm"
    assert gzip.decompress(got.body) == raw
    assert int(got.headers["content-length"]) == len(got.body) < len(raw) // 2
    again = await request(server.port, "/pyodide/pyodide.asm.wasm", headers=gz)  # cached
    assert again.body == got.body
    plain = await request(server.port, "/pyodide/pyodide.asm.wasm")
    assert "content-encoding" not in plain.headers and plain.body == raw
    assert plain.headers["etag"] != got.headers["etag"]  # two representations, two tags
    revalidated = await request(server.port, "/pyodide/pyodide.asm.wasm",
                                headers={**gz, "If-None-Match": got.headers["etag"]})
    assert revalidated.status == 304 and revalidated.body == b""
    head = await request(server.port, "/pyodide/pyodide.asm.wasm", method="HEAD", headers=gz)
    assert head.body == b"" and head.headers["content-length"] == str(len(got.body))
    refused = await request(server.port, "/pyodide/pyodide.asm.wasm",
                            headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers and refused.body == raw


async def test_no_gzip_for_zips_small_bodies_and_errors(server: GameServer) -> None:
    gz = {"Accept-Encoding": "gzip"}
    server.http.add("/tiny", lambda req: reply(b"x" * 1023, "text/plain"))
    server.http.add("/big", lambda req: reply(b"x" * 1024, "text/plain"))
    assert (await request(server.port, "/big", headers=gz)).headers["content-encoding"] == "gzip"
    for path in ("/py/riscade.zip", "/tiny", "/nope"):  # compressed already; small; a 404
        got = await request(server.port, path, headers=gz)
        assert "content-encoding" not in got.headers, path
