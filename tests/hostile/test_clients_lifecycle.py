"""How the server ends: a failing tick, a busy port, ``--ticks`` (issues 10 and 11)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from client.session import ClientError, GameEnded
from protocol import Code

from .clients_kit import ROOT, Attacker, bundled, honest, in_world, make_server, server_log, until

__all__ = ["bundled", "make_server", "server_log"]  # fixtures


async def test_a_failing_tick_says_bye_to_everyone_and_stop_does_not_raise(
    bundled, make_server, server_log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=10_000)
    await in_world(server, "honest")
    watcher = await Attacker.open(server)
    await watcher.join(server, "watcher")
    fail_at = server.room.tick + 20
    real = server.room.close_tick

    def close_tick():
        if server.room.tick + 1 >= fail_at:
            raise RuntimeError("a bug in the server")
        return real()
    monkeypatch.setattr(server.room, "close_tick", close_tick)
    said, close = await watcher.ending()
    assert said is not None and said.code == Code.SHUTDOWN
    assert f"server error at tick {fail_at}" in said.reason and close == 1001
    with pytest.raises(GameEnded) as ended:  # the real client says how it ended, no traceback
        await bot
    assert ended.value.code == Code.SHUTDOWN and f"tick {fail_at}" in ended.value.reason
    assert ended.value.summary["desyncs"] == 0 and ended.value.summary["ticks"] < 10_000
    assert not server.running and server.failure
    assert server_log(f"the tick loop failed at tick {fail_at}")
    late = await Attacker.open(server)  # still listening until stop(): refused, not ignored
    said, close = await late.ending()
    assert said is not None and said.code == Code.SHUTDOWN and close == 1001
    await server.stop()
    await server.stop()  # twice: still no exception


async def test_stop_after_ends_at_exactly_that_tick(bundled, make_server) -> None:
    server = await make_server(bundled.served, tick_rate=500, stop_after=50)
    await until(lambda: not server.running)
    assert server.room.tick == 50 and server.failure is None


def serve(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """``riscade serve`` (no mods: an empty game) in a subprocess."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, str(ROOT / "riscade_cli.py"), "serve", "--mods", str(kwargs["mods"]),
         "--cache", str(kwargs["mods"] / "cache"), *args],
        capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve("--port", str(port), mods=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_ticks_stops_at_exactly_that_tick(tmp_path: Path) -> None:
    done = serve("--port", "0", "--ticks", "100", "--tick-rate", "1000", mods=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "stopped at tick 100;" in done.stdout


def test_certfile_without_keyfile_is_one_line(tmp_path: Path) -> None:
    done = serve("--port", "0", "--certfile", str(tmp_path / "missing.pem"), mods=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "riscade serve: --certfile and --keyfile go together"


async def test_a_snapshot_the_server_cannot_send_turns_the_joiner_away_alone(
    bundled, make_server, server_log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A state over the server's own limits (here: the encoder refuses it) reaches nobody:
    # the joiner gets Bye(server_error) and a 1011 close, the server ticks on.
    import server.app as app
    from protocol import LocalMisuse

    def refuse(**kwargs):
        raise LocalMisuse("Snapshot of 999 bytes is over max_message_size=1")

    server = await make_server(bundled.served)
    monkeypatch.setattr(app, "split_snapshot", refuse)
    with pytest.raises(ClientError, match="server_error|cannot send its state"):
        await honest(server, tmp_path, ticks=5)
    assert server_log("cannot send the snapshot")
    tick = server.room.tick
    await until(lambda: server.room.tick > tick + 5)
    assert server.running
