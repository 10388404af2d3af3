"""``riscade serve`` as operators run it, in real processes: SIGTERM or SIGINT saves the
world, tells every client why and exits 0 within the bound; riscade.toml drives it; JSON logs.

The server serves copies of two bundled mods (movement in Zig, pickups in C) built by the
real toolchain; a real bot client (``riscade connect --bot``) plays until the server stops.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from server.shutdown import STOP_BOUND

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: Seconds a process may take beyond the stop bound before the test calls it hung (the
#: machine is shared: this is a hang detector, not a speed measure).
SLACK = 15.0


class Lines:
    """The lines a pipe gives, read by a thread, with waiting for one that matches."""

    def __init__(self, pipe: IO[str]) -> None:
        self.all: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 120.0) -> re.Match[str]:
        """The first line (from now on) matching ``pattern``; fails after ``timeout`` s."""
        end = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; had {self.all}") from None
            if line is None:
                raise AssertionError(f"ended without {pattern!r}; had {self.all}")
            self.all.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def rest(self) -> list[str]:
        """Every line, once the pipe is closed."""
        self._thread.join(30)
        while True:
            line = self._queue.get_nowait() if not self._queue.empty() else None
            if line is None:
                return self.all
            self.all.append(line)


@pytest.fixture(scope="module")
def two_mods(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A mods folder with copies of movement and pickups, and a build cache for it."""
    base = tmp_path_factory.mktemp("ops-mods")
    for name in ("movement", "pickups"):
        shutil.copytree(ROOT / "mods" / name, base / "mods" / name)
    return base / "mods", base / "cache"


def start(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], Lines, Lines]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "riscade_cli.py"), *args], cwd=cwd,
                            env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    return proc, Lines(proc.stdout), Lines(proc.stderr)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes started by a test: killed if the test left them running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def stuck_client(port: int) -> socket.socket:
    """A websocket client that opens the connection and then neither reads nor answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    return sock


def wait_playing(port: int, name: str) -> None:
    """Poll ``GET /status`` until player ``name`` is playing."""
    for _ in range(1200):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10) as answer:
            players = json.loads(answer.read())["players"]
        if any(p["name"] == name and p["playing"] for p in players):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never played")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_says_why_and_exits_0_in_time(
    sig: signal.Signals, two_mods: tuple[Path, Path], tmp_path: Path,
    procs: list[subprocess.Popen[str]],
) -> None:
    mods, cache = two_mods
    server, out, err = start(["serve", "--mods", str(mods), "--cache", str(cache), "--port", "0",
                              "--log-format", "json"], tmp_path)
    procs.append(server)
    port = int(out.wait_for(r"listening on ws://127\.0\.0\.1:(\d+)", 300).group(1))
    bot, bot_out, bot_err = start(["connect", f"ws://127.0.0.1:{port}", "--headless", "--bot",
                                   "--ticks", "1000000", "--name", "bot", "--cache",
                                   str(tmp_path / "bot-cache"), "--reports",
                                   str(tmp_path / "reports")], tmp_path)
    procs.append(bot)
    err.wait_for(r'"event": "joined"')
    wait_playing(port, "bot")  # it has its snapshot: the Bye comes after it
    stuck = stuck_client(port)
    err.wait_for(r'"event": "connected"')  # the stuck one is in too
    asked = time.monotonic()
    server.send_signal(sig)
    assert server.wait(STOP_BOUND + SLACK) == 0
    took = time.monotonic() - asked
    stuck.close()
    name = sig.name
    stdout = out.rest()
    assert f"riscade serve: server stopping ({name})" in stdout
    assert "riscade serve: world: no world file (serve --world FILE): nothing saved" in stdout
    assert any(line.startswith("riscade serve: stopped at tick ") for line in stdout)
    records = [json.loads(line) for line in err.rest()]  # every log line is one JSON object
    assert {"signal", "connected", "joined"} <= {r["event"] for r in records}
    assert bot.wait(60) == 4, bot_err.rest()  # the game ended early: EXIT_ENDED
    bot_lines = bot_err.rest()
    assert any(f"server stopping ({name})" in line for line in bot_lines), bot_lines
    summary = json.loads(bot_out.rest()[-1])
    assert summary["desyncs"] == 0 and summary["ticks"] > 0
    print(f"{name}: the server exited {took:.2f} s after the signal (bound {STOP_BOUND} s)")


def test_riscade_toml_drives_serve_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "riscade.toml").write_text(
        'mods = "empty"\nport = 0\ntick_rate = 50\nticks = 3\nlog-format = "json"\n')
    done = subprocess.run([sys.executable, str(ROOT / "riscade_cli.py"), "serve",
                           "--tick-rate", "40"], cwd=tmp_path, env=ENV, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert re.search(r"listening on ws://127\.0\.0\.1:\d+ \(0 mods, 40 ticks/s\)", done.stdout)
    assert "stopped at tick 3;" in done.stdout


@pytest.mark.parametrize(("text", "phrase"), [
    ("tick-rat = 20\n", "riscade.toml: unknown key 'tick-rat': not an option of riscade serve"),
    ("port = \n", "riscade.toml: not valid TOML: Invalid value (at line 1, column 8)"),
    ('port = "80"\n', "riscade.toml: port must be an integer, not a string"),
])
def test_a_bad_riscade_toml_is_one_line_and_exit_2(tmp_path: Path, text: str,
                                                   phrase: str) -> None:
    (tmp_path / "riscade.toml").write_text(text)
    done = subprocess.run([sys.executable, str(ROOT / "riscade_cli.py"), "serve"], cwd=tmp_path,
                          env=ENV, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr == f"riscade serve: {phrase}\n"
    assert done.stdout == ""


def test_a_signal_while_the_mods_build_stops_at_once(tmp_path: Path,
                                                     procs: list[subprocess.Popen[str]]) -> None:
    """SIGTERM during the first (cold) build: one line, exit 0, no traceback."""
    mods = tmp_path / "mods"
    for name in ("movement", "pickups"):
        shutil.copytree(ROOT / "mods" / name, mods / name)
    server, out, err = start(["serve", "--mods", str(mods), "--cache", str(tmp_path / "cache"),
                              "--port", "0"], tmp_path)
    procs.append(server)
    out.wait_for(r"building mods in")
    server.send_signal(signal.SIGTERM)
    assert server.wait(SLACK) == 0
    stdout, stderr = out.rest(), err.rest()
    if any("listening" in line for line in stdout):  # the build beat the signal: a clean stop
        assert "riscade serve: server stopping (SIGTERM)" in stdout
    else:
        assert stderr == ["riscade serve: stopped while starting (SIGTERM)"], stderr
