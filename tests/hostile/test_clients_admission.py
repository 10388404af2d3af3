"""Admission and the wire's edges, beside an honest bot: per-address cap, names, origins, TLS,
idle Hellos and mod blobs in flight, timeouts, text frames, bombs (issue 11)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path

import msgpack
import pytest
import websockets

from client.cache import ModCache
from lockstep.policy import ServerPolicy
from protocol import Code, Refusal

from ..integration.conftest import served_from_image
from .clients_kit import (
    Attacker,
    bundled,
    honest,
    in_world,
    make_server,
    server_log,
    until,
    url,
)

__all__ = ["bundled", "make_server", "server_log"]  # fixtures


async def test_per_address_cap_refuses_with_1013(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    server = await make_server(bundled.served, policy=ServerPolicy(max_conns_per_address=3))
    bot = honest(server, tmp_path, ticks=100)
    await in_world(server, "honest")
    held = [await Attacker.open(server) for _ in range(2)]
    fourth = await Attacker.open(server)
    said, close = await fourth.ending()
    assert said is not None and said.code == Code.FULL and close == 1013
    assert server_log("refused: 3 connections from this address already")
    await held[0].ws.close()
    await until(lambda: server._admission.connections("127.0.0.1") == 2)
    again = await Attacker.open(server)  # a slot opened again
    await again.join(server)
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 100 and server.running


async def test_names_are_unique_and_cleaned_and_shown_escaped(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=100)
    await in_world(server, "honest")
    for raw, why in (("HONEST", "taken"), ("hon\u200best", "taken"),
                     ("\u202e\u200b\u2066", "empty")):
        a = await Attacker.open(server)
        await a.hello(raw)
        said, close = await a.ending()
        assert isinstance(said, Refusal) and said.code == Code.NAME and why in said.reason
        assert close == 1008
    assert server_log("refused '\\u202e\\u200b\\u2066' (name)")  # escaped, never raw
    bidi = await Attacker.open(server)
    await bidi.join(server, "mal\u202elory\u200d")
    pid = await in_world(server, "mallory")
    assert server.room.players[pid] == "mallory"
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 100 and server.running


async def test_text_frames_close_with_1003(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=80)
    await in_world(server, "honest")
    for joined in (False, True):
        a = await Attacker.open(server)
        if joined:
            await a.join(server, "texter")
        await a.ws.send('{"t": "hello"}')
        said, close = await a.ending()
        assert said is not None and said.code == Code.PROTOCOL_ERROR and "text" in said.reason
        assert close == 1003
    assert len(server_log("text frames")) == 2
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 80 and server.running


async def test_deep_nesting_and_big_messages_close_only_the_sender(
    bundled, make_server, server_log, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=80)
    await in_world(server, "honest")
    nested: object = 1
    for _ in range(1000):
        nested = [nested]
    bombs = [msgpack.packb({"t": nested}), b"\x91" * 10_000 + b"\x01",
             msgpack.packb({"t": "hello", "name": nested})]
    for bomb in bombs:
        a = await Attacker.open(server)
        await a.ws.send(bomb)
        said, close = await a.ending()
        assert said is not None and said.code == Code.PROTOCOL_ERROR
        assert said.reason.strip() and close == 1002
    big = await Attacker.open(server)
    await big.ws.send(b"\x00" * (server.limits.max_message_size + 1))
    _, close = await big.ending()
    assert close == 1009
    await until(lambda: bool(server_log("message too big")), 5)
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a client's bytes"
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 80 and server.running


async def test_handshake_timeout_and_keepalive_drop_are_logged(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    policy = ServerPolicy(handshake_timeout=2.0, ping_interval=0.3, ping_timeout=1.0)
    server = await make_server(bundled.served, policy=policy)
    bot = honest(server, tmp_path, ticks=200)
    await in_world(server, "honest")
    silent = await Attacker.open(server)
    said, close = await silent.ending()
    assert said is not None and said.code == Code.TIMEOUT and close == 1008
    assert server_log("handshake timeout")
    deaf = await Attacker.open(server, lazy=True)  # stops reading: its pongs never come
    await deaf.join(server, "deaf")
    await until(lambda: bool(server_log("keepalive ping timeout")), 10)
    deaf.ws.transport.abort()
    summary = await bot  # reads its ticks, sends almost nothing: never dropped
    assert summary["desyncs"] == 0 and summary["ticks"] == 200 and server.running


async def test_wrong_origin_is_refused_same_host_and_no_origin_are_not(
    bundled, make_server, server_log, tmp_path: Path
) -> None:
    server = await make_server(bundled.served)
    bot = honest(server, tmp_path, ticks=60)  # sends no Origin: let in
    await in_world(server, "honest")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url(server), origin="https://evil.example")
    assert refused.value.response.status_code == 403
    assert server_log("origin 'https://evil.example' not allowed")
    page = await Attacker.open(server, origin="http://127.0.0.1:8000")  # same host
    await page.join(server, "page")
    listed = await make_server(bundled.served,
                               policy=ServerPolicy(origins=("https://game.example",)))
    ok = await websockets.connect(url(listed), origin="https://game.example")
    await ok.close()
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(url(listed), origin="http://127.0.0.1:8000")
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 60 and server.running


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the cryptography package."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_wss_with_a_self_signed_certificate(
    bundled, make_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await make_server(bundled.served, ssl=context)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the real client trusts our certificate
    from client.session import ClientOptions, play

    summary = await play(ClientOptions(url(server, "wss"), tmp_path / "c", name="tls",
                                       ticks=60, bot_seed=2))
    assert summary["desyncs"] == 0 and summary["ticks"] == 60
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(ssl.SSLError):  # a client that does not trust it gets nowhere
        await websockets.connect(url(server, "wss"), open_timeout=5)


async def test_a_thousand_idle_hellos_hold_no_mod_blobs(
    bundled, make_server, tmp_path: Path
) -> None:
    # 1,000 sockets say Hello and read nothing more. Only max_players (64) hold a slot and
    # get mods; each has at most blob_bytes_in_flight queued (blobs are encoded once, shared).
    server = await make_server(bundled.served, tick_rate=20,
                               policy=ServerPolicy(max_conns_per_address=None))
    bot = honest(server, tmp_path, ticks=100)
    await in_world(server, "honest")
    idle: list[Attacker] = []
    for batch in range(10):
        opened = await asyncio.gather(*(Attacker.open(server, lazy=True) for _ in range(100)))
        await asyncio.gather(*(a.hello(f"idle{batch}-{i}") for i, a in enumerate(opened)))
        idle += opened
    await until(lambda: server.stats["refused"] >= 1000 - 63, 60)
    held = sum(c.queued_bytes for c in server._live)
    in_transport = sum(c.ws.transport.get_write_buffer_size() for c in server._live)
    blobs = sum(len(m.blob) for m in bundled.served)
    print(f"1000 idle Hellos: {len(server._live)} open, {held} bytes queued, "
          f"{in_transport} bytes in transports (all blobs {blobs} bytes each)")
    assert server.stats["refused"] == 1000 - 63
    assert held + in_transport <= 63 * blobs < 1000 * blobs
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 100 and server.running
    for a in idle:
        a.ws.transport.abort()


async def test_mod_blobs_go_one_at_a_time_as_the_client_takes_them(
    bundled, make_server, tmp_path: Path, walker
) -> None:
    # A 6 MiB blob second (forged: only the attacker downloads it; the honest bot has the
    # mod in its cache). The lazy client stops reading after two messages; the big blob is
    # more than the kernel's buffers take, so the blobs after it wait in no queue at all.
    heavy = served_from_image(walker, blob=bytes(range(256)) * (24 << 10))
    mods = [bundled.served[0], heavy, *bundled.served[1:]]
    ModCache(tmp_path / "honest").put(walker.elf)
    server = await make_server(mods, policy=ServerPolicy(blob_bytes_in_flight=64 << 10))
    bot = honest(server, tmp_path, ticks=100)
    await in_world(server, "honest")
    lazy = await Attacker.open(server, lazy=True)
    await lazy.hello("lazy")
    await until(lambda: any(c.name == "lazy" for c in server._live))
    conn = next(c for c in server._live if c.name == "lazy")
    await until(lambda: conn.queued_bytes >= len(heavy.blob) or not conn.link.pending_mods)
    await asyncio.sleep(0.5)
    assert conn.link.pending_mods, "blobs wait until the client takes the ones queued"
    assert conn.queued_bytes <= 64 * 1024 + len(heavy.blob)
    summary = await bot
    assert summary["desyncs"] == 0 and summary["ticks"] == 100 and server.running
    lazy.ws.transport.abort()
