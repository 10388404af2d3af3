"""``riscade connect`` ends every way a join can fail with one line on stderr and a non-zero
exit status, never a traceback: a server that refuses the connection, and a server that sends a
snapshot the follower cannot continue from. Real websockets on 127.0.0.1, a real protocol
``Link`` on the server side, ``client.cli.main`` called as the command calls it."""

from __future__ import annotations

import asyncio
import socket

import msgpack
import pytest
import websockets

from client.cli import EXIT_ERROR
from client.cli import main as connect_main
from game.simulation import Simulation
from tests.support.bare_server import welcome_with_snapshot


def refused_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_error_line(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    for needle in needles:
        assert needle in err, err


def test_a_server_that_refuses_the_connection(tmp_path, capsys) -> None:
    port = refused_port()
    status = connect_main([f"ws://127.0.0.1:{port}", "--headless", "--ticks", "1",
                           "--cache", str(tmp_path / "c")])
    assert status == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, "riscade connect: cannot connect", str(port))


async def snapshot_server(state: bytes, state_hash: str) -> websockets.Server:
    """A server without mods that welcomes the client and sends it ``state`` as its snapshot
    of tick 0, with ``state_hash`` as the hash it claims."""

    async def handler(ws) -> None:
        await welcome_with_snapshot(ws, state, state_hash)
        await ws.wait_closed()

    return await websockets.serve(handler, "127.0.0.1", 0)


GOOD = Simulation([])


@pytest.mark.parametrize("state, state_hash, needle", [
    # A state the simulation cannot parse (game.SimulationError).
    (b"\xc1 not msgpack", GOOD.state_hash(), "bad snapshot"),
    # A well-formed state that is not the one its hash names (lockstep.SnapshotRejected).
    (GOOD.snapshot(), "0" * 64, "does not match its own state hash"),
    # A state of other mods (game.SimulationError).
    (msgpack.packb({"world": GOOD.world.to_bytes(),
                    "mods": [{"name": "ghost", "faults": 0, "disabled": False,
                              "machine": b""}]}),
     GOOD.state_hash(), "snapshot is of a different set of mods"),
], ids=["garbage", "wrong-hash", "other-mods"])
async def test_a_snapshot_the_follower_cannot_load(state, state_hash, needle, tmp_path,
                                                   capsys) -> None:
    fake = await snapshot_server(state, state_hash)
    port = fake.sockets[0].getsockname()[1]
    try:
        status = await asyncio.to_thread(
            connect_main, [f"ws://127.0.0.1:{port}", "--headless", "--ticks", "5",
                           "--cache", str(tmp_path / "c")])
    finally:
        fake.close()
        await fake.wait_closed()
    assert status == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, "riscade connect: the server's snapshot of tick 0 is unusable", needle)


def test_a_password_file_it_cannot_read(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        connect_main(["ws://127.0.0.1:1", "--headless", "--password-file",
                      str(tmp_path / "missing")])
    assert info.value.code == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err and "cannot read the password file" in err
