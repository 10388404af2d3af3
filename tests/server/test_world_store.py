"""The world file: a server's game recorded tick by tick, resumed after a restart with the
hash recorded for its last tick, mods changed between runs reloaded, foreign or damaged files
refused and left as they were, and ``riscade replay`` catching a tampered tick."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from game.simulation import ModImage
from lockstep import entry_for
from mods.host_api import HOST_API
from protocol import PROTOCOL_VERSION, Hello, Refusal, Welcome, compress_mod
from server.app import GameServer, ServedMod
from server.persist import WorldError, WorldRecorder
from server.replay import main as replay_main
from server.world_store import WorldFileError
from tests.conftest import _image
from vm import VM_ABI

HOST_ABI = HOST_API.abi_hash()
#: Buttons the scripted player holds, cycling by tick: left, right, up, down.
BUTTONS = (1, 2, 4, 8)


@pytest.fixture(scope="module")
def saver() -> ModImage:
    return _image("saver")


@pytest.fixture(scope="module")
def saver_v2() -> ModImage:
    return dataclasses.replace(_image("saver_v2"), name="saver")


def served(*images: ModImage) -> list[ServedMod]:
    return [ServedMod(entry_for(i, version="1.0.0", language="c", dependencies=(),
                                host_abi=HOST_ABI), i, compress_mod(i.elf)) for i in images]


def server(path: Path, mods: list[ServedMod], every: int = 50,
           hashes: dict[int, str] | None = None, *, keep: int = 20,
           grace_ticks: int = 600) -> GameServer:
    world = WorldRecorder.open(path, host_abi=HOST_ABI, every=every, keep=keep)
    on_tick = None if hashes is None else hashes.__setitem__
    return GameServer(mods, host_abi=HOST_ABI, on_log=lambda text: None, world=world,
                      on_tick=on_tick, grace_ticks=grace_ticks)


def play(game: GameServer, ticks: int, pid: int | None = None) -> None:
    """Close ``ticks`` ticks, the player holding ``BUTTONS[tick % 4]`` before each."""
    for _ in range(ticks):
        if pid is not None:
            game.room.set_input(pid, BUTTONS[(game.room.tick + 1) % 4])
        game.step()


def joined(game: GameServer, name: str = "ann") -> int:
    pid = game.room.reserve()
    assert pid is not None
    game.room.admit(pid, name)
    return pid


async def test_a_game_goes_on_from_its_last_tick_with_its_hash(tmp_path: Path,
                                                               walker: ModImage) -> None:
    path = tmp_path / "w.db"
    hashes: dict[int, str] = {}
    first = server(path, served(walker), hashes=hashes)
    pid = joined(first)
    play(first, 130, pid)  # snapshots at 0, 50, 100; ticks 101..130 after the last one
    assert first.room.sim.world.players == {pid: first.room.sim.world.players[pid]}
    # No stop, no final snapshot: the file as a killed server leaves it (committed tick by
    # tick; the kernel drops a dead server's lock as closing it does here).
    assert first.world is not None
    first.world.file.close()
    again = server(path, served(walker))
    assert again.room.tick == 130
    assert again.room.sim.state_hash() == hashes[130]
    # ann joined without a handshake, so without a token: nobody can come back as her.
    assert again.world is not None
    assert "0 players held until tick 730 for their return, 1 leave at tick 131" in \
        again.world.summary, again.world.summary
    again.step()  # nobody plays ann any more: she leaves in the first tick
    assert again.room.sim.world.players == {} and again.room.players == {}
    assert again.room.reserve() == pid + 1  # ids are never given twice
    await again.stop()
    assert replay_main([str(path), "--verify"]) == 0


async def test_a_clean_stop_saves_the_last_tick(tmp_path: Path, walker: ModImage) -> None:
    path = tmp_path / "w.db"
    hashes: dict[int, str] = {}
    first = server(path, served(walker), every=1000, hashes=hashes)
    play(first, 7, joined(first))
    assert first.save_world() == f"saved the world to {path} at tick 7"
    play(first, 3)
    await first.stop()  # saves tick 10 and closes
    assert "at tick 10 and closed" in first.save_world()
    again = server(path, served(walker))
    assert again.room.tick == 10 and again.room.sim.state_hash() == hashes[10]
    await again.stop()


async def test_a_failed_write_stops_recording_not_the_game(
        tmp_path: Path, walker: ModImage, caplog: pytest.LogCaptureFixture) -> None:
    game = server(tmp_path / "w.db", served(walker))
    play(game, 4)
    assert game.world is not None
    game.world.file.close()  # every write from now on fails, as on a full disk
    play(game, 3)
    assert game.room.tick == 7
    errors = [r.getMessage() for r in caplog.records if r.name == "riscade.world"]
    assert len(errors) == 1 and errors[0].startswith("the world is no longer recorded: ")
    assert game.save_world().startswith("cannot save the world: ")
    await game.stop()  # never raises


def test_save_without_a_world_file_says_so(walker: ModImage) -> None:
    game = GameServer(served(walker), host_abi=HOST_ABI, on_log=lambda text: None)
    assert game.save_world() == "no world file (serve --world FILE): nothing saved"


async def test_a_changed_mod_is_reloaded_and_keeps_its_state(
        tmp_path: Path, walker: ModImage, saver: ModImage, saver_v2: ModImage) -> None:
    path = tmp_path / "w.db"
    first = server(path, served(walker, saver))
    play(first, 20)
    machine_before = first.room.sim.machine("walker").state_hash()
    await first.stop()
    again = server(path, served(walker, saver_v2))
    assert again.world is not None and again.world.summary.endswith("mods reloaded: saver")
    again.step()  # tick 21 swaps saver_v2 in (on_save by saver, on_restore by saver_v2)
    sim = again.room.sim
    assert sim.mods[1] == saver_v2
    # saver counts ticks in its entity's score (1 a tick; saver_v2 adds 10): 20, then +10.
    scores = [e.score for e in sim.world.entities.values() if e.kind == 100]
    assert scores == [30]
    assert sim.machine("walker").state_hash() != machine_before  # ran tick 21, not reloaded
    await again.stop()
    assert replay_main([str(path), "--verify"]) == 0  # the reload is in the record


async def test_another_set_of_mods_is_refused_and_the_file_kept(
        tmp_path: Path, walker: ModImage, saver: ModImage) -> None:
    path = tmp_path / "w.db"
    first = server(path, served(walker, saver))
    play(first, 5)
    await first.stop()
    before = path.read_bytes()
    with pytest.raises(WorldError, match=r"runs the mods \['walker', 'saver'\] and the server "
                                         r"has \['walker'\]: a world keeps its set of mods"):
        server(path, served(walker))
    assert path.read_bytes() == before


async def test_one_server_writes_a_world_at_a_time(tmp_path: Path, walker: ModImage) -> None:
    path = tmp_path / "w.db"
    first = server(path, served(walker))
    play(first, 3)
    with pytest.raises(WorldFileError, match=f"^{path} is in use by another server$"):
        WorldRecorder.open(path, host_abi=HOST_ABI)
    assert replay_main([str(path), "--verify"]) == 0  # a reader may read it meanwhile
    await first.stop()
    again = server(path, served(walker))
    assert again.room.tick == 3
    await again.stop()


def _sqlite(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


async def _a_world(path: Path, walker: ModImage) -> None:
    game = server(path, served(walker))
    play(game, 3)
    await game.stop()


@pytest.mark.parametrize("case, message", [
    ("not sqlite", "is not a riscade world (file is not a database)"),
    ("empty", "is an SQLite database, not a riscade world"),
    ("other database", "is an SQLite database, not a riscade world"),
    ("other schema", "is a riscade world of schema version 2; this riscade reads version 1"),
    ("other host", "was recorded with host ABI 0000000000000000; this riscade has"),
    ("other game", "is not a riscade world (no game in its meta table)"),
    ("damaged", "is damaged: *** in database main *** Page 3: "),  # pages count from 1
])
async def test_a_foreign_or_damaged_file_is_refused_and_left_untouched(
        tmp_path: Path, walker: ModImage, case: str, message: str) -> None:
    path = tmp_path / "w.db"
    if case == "not sqlite":
        path.write_bytes(b"riscade-storage 1\n" + bytes(range(256)) * 40)
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "other database":
        _sqlite(path, "CREATE TABLE notes (text TEXT)", "INSERT INTO notes VALUES ('hi')")
    else:
        await _a_world(path, walker)
        if case == "other schema":
            _sqlite(path, "PRAGMA user_version=2")
        elif case == "other host":
            _sqlite(path, "UPDATE meta SET value='" + "0" * 64 + "' WHERE key='host_abi'")
        elif case == "other game":
            _sqlite(path, "DELETE FROM meta WHERE key='game'")
        else:  # a page in the middle overwritten: the b-tree no longer holds together
            data = bytearray(path.read_bytes())
            page = 4096
            assert len(data) >= 4 * page
            data[2 * page:3 * page] = b"\xa5" * page
            path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(WorldFileError) as caught:
        WorldRecorder.open(path, host_abi=HOST_ABI)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert replay_main([str(path)]) == 2
    assert path.read_bytes() == before


async def test_replay_verify_catches_a_tampered_input_at_its_tick(
        tmp_path: Path, walker: ModImage, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.db"
    game = server(path, served(walker))
    play(game, 300, joined(game))
    await game.stop()
    assert replay_main([str(path), "--verify"]) == 0
    # Tick 137's record, written out (lockstep.record): no joins, no leaves, player 1 holds
    # BUTTONS[137 % 4] = 2 (right), no chat, no enables, no reloads.
    conn = sqlite3.connect(path)
    (record,) = conn.execute("SELECT inputs FROM ticks WHERE tick = 137").fetchone()
    assert record == bytes([0x96, 0x90, 0x90, 0x91, 0x92, 0x01, 0x02, 0x90, 0x90, 0x90])
    tampered = bytes([0x96, 0x90, 0x90, 0x91, 0x92, 0x01, 0x01, 0x90, 0x90, 0x90])  # left
    conn.execute("UPDATE ticks SET inputs = ? WHERE tick = 137", (tampered,))
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert replay_main([str(path), "--verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("riscade replay: tick 137: state hash "), err
    # From a snapshot after it, the rest still replays.
    assert replay_main([str(path), "--from", "150", "--verify"]) == 0
    # A snapshot whose hash is not its tick's is named too.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE snapshots SET hash = ? WHERE tick = 150", ("ab" * 32,))
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert replay_main([str(path), "--from", "150"]) == 1
    assert capsys.readouterr().err.startswith("riscade replay: tick 150: the snapshot's state "
                                              "hash abababababababab is not the tick's ")
    # A record that is not one is named too.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE ticks SET inputs = ? WHERE tick = 210", (b"\xc1",))
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert replay_main([str(path), "--from", "200", "--verify"]) == 1
    assert capsys.readouterr().err.startswith("riscade replay: tick 210: malformed record")


@pytest.mark.parametrize("case", ["every 0", "not a world", "no folder"])
def test_serve_refuses_a_world_it_cannot_use_before_building(tmp_path: Path, case: str) -> None:
    root = Path(__file__).resolve().parents[2]
    path = tmp_path / ("missing/w.db" if case == "no folder" else "w.db")
    if case != "no folder":
        path.write_bytes(b"something else")
    args = ("--snapshot-every", "0") if case == "every 0" else ()
    done = subprocess.run(
        [sys.executable, "riscade_cli.py", "serve", "--port", "0", "--mods",
         str(tmp_path / "no-mods"), "--ticks", "1", "--world", str(path), *args],
        capture_output=True, text=True, cwd=root, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    phrase = {"every 0": "every 1 or more ticks, not 0",
              "not a world": "is not a riscade world (file is not a database)",
              "no folder": "cannot create"}[case]
    assert phrase in done.stderr and "building" not in done.stdout
    if case != "no folder":
        assert path.read_bytes() == b"something else"


def hello(name: str, token: str = "") -> Hello:
    return Hello(protocol_versions=(PROTOCOL_VERSION,), vm_abi=VM_ABI, host_abi=HOST_ABI,
                 name=name, token=token)


def welcomed(game: GameServer, name: str) -> tuple[int, str]:
    """A player joined through the handshake, as the server's shell does: id and token."""
    answer = game.handshake.accept(hello(name))
    assert isinstance(answer, Welcome)
    game.handshake.admit(answer.player_id)
    return answer.player_id, answer.token


async def test_after_a_restart_players_are_held_for_their_tokens_then_leave(
        tmp_path: Path, walker: ModImage) -> None:
    path = tmp_path / "w.db"
    first = server(path, served(walker), grace_ticks=20)
    ann, ann_token = welcomed(first, "ann")
    bob, bob_token = welcomed(first, "bob")
    assert (ann, bob) == (1, 2)
    play(first, 1, ann)  # they join in tick 1
    for _ in range(3):  # walker: "/score" adds 1 to the player's score
        first.room.chat(ann, "/score")
        play(first, 1, ann)
    play(first, 56, ann)
    world = first.room.sim.world
    ann_entity, bob_entity = world.players[ann], world.players[bob]
    assert ann_entity != bob_entity and world.entities[ann_entity].score == 3
    first.identities.ban(99, "10.6.6.6")  # an address banned in this run
    play(first, 1)  # the ban is committed with tick 61
    assert first.world is not None
    first.world.file.close()  # as kill -9 leaves it: no final save
    again = server(path, served(walker), grace_ticks=20)
    assert again.world is not None
    assert again.world.summary.endswith(
        "; 2 players held until tick 81 for their return, 0 leave at tick 62; mods "
        "reloaded: none"), again.world.summary
    assert again.identities.banned("10.6.6.6", "")
    assert again.identities.owner(ann_token) == 1 and again.identities.detached(1)
    # ann comes back with her token: the same player id, whose entity and score are hers.
    answer = again.handshake.accept(hello("ann", ann_token), reclaim=1)
    assert isinstance(answer, Welcome) and answer.player_id == 1 and answer.token == ann_token
    again.identities.attach(1)
    play(again, 19)  # to tick 80: bob is still held
    world = again.room.sim.world
    assert world.players == {1: ann_entity, 2: bob_entity}
    assert world.entities[ann_entity].score == 3
    play(again, 1)  # tick 81: bob's grace period ends with it; he leaves in tick 82
    assert again.room.tick == 81 and 2 in again.room.sim.world.players
    play(again, 1)
    assert again.room.sim.world.players == {1: ann_entity}
    assert again.identities.owner(bob_token) is None
    # A name held for a returning player is taken for anyone else, free after he left.
    assert isinstance(again.handshake.accept(hello("ann")), Refusal)
    # bob again is a new player (the refused "ann" used up id 3): ids are never given twice
    assert welcomed(again, "bob")[0] == 4
    await again.stop()
    assert replay_main([str(path), "--verify"]) == 0
    conn = sqlite3.connect(path)
    (leaves,) = conn.execute("SELECT inputs FROM ticks WHERE tick = 82").fetchone()
    conn.close()
    assert leaves[:2] == bytes([0x96, 0x90]) and leaves[2:4] == bytes([0x91, 0x02]), \
        "no join, and player 2 leaves in tick 82"


@pytest.mark.parametrize("value", [
    '{"grace_ticks": 5}', "{", "[" * 100_000, "null",
    '{"grace_ticks": 5, "tokens": [[1, "' + "a" * 64 + '"]], "detached": [[1, "soon"]], '
    '"banned_addresses": [], "banned_tokens": []}',
])
async def test_damaged_identities_stop_a_restart_and_the_file_is_kept(
        tmp_path: Path, walker: ModImage, value: str) -> None:
    path = tmp_path / "w.db"
    first = server(path, served(walker))
    welcomed(first, "ann")
    play(first, 3)
    await first.stop()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'identities'", (value,))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(WorldError, match=r"w\.db: its player identities are damaged: "):
        server(path, served(walker))
    assert path.read_bytes() == before


def snapshot_ticks(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [t for (t,) in conn.execute("SELECT tick FROM snapshots ORDER BY tick")]
    finally:
        conn.close()


async def test_snapshots_are_pruned_to_the_first_and_the_latest_n(
        tmp_path: Path, walker: ModImage, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.db"
    game = server(path, served(walker), every=10, keep=3)
    play(game, 97, joined(game))
    assert snapshot_ticks(path) == [0, 70, 80, 90]
    assert game.save_world() == f"saved the world to {path} at tick 97"
    assert snapshot_ticks(path) == [0, 80, 90, 97]
    play(game, 3)
    await game.stop()  # tick 100's snapshot was taken by the tick itself
    assert snapshot_ticks(path) == [0, 90, 97, 100]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*), MIN(tick), MAX(tick) FROM ticks").fetchone() == \
        (100, 1, 100)
    conn.close()
    capsys.readouterr()
    assert replay_main([str(path), "--from", "95", "--to", "99", "--verify"]) == 0
    assert "replayed ticks 91..99 from the snapshot of tick 90: 9 ticks" in \
        capsys.readouterr().out
    assert replay_main([str(path), "--from", "50", "--verify"]) == 0  # before 90: the first
    assert "replayed ticks 1..100 from the snapshot of tick 0: 100 ticks" in \
        capsys.readouterr().out


@pytest.mark.parametrize("keep", [0, -1])
def test_keeping_no_snapshot_is_refused(tmp_path: Path, keep: int) -> None:
    with pytest.raises(ValueError, match="at least 1 snapshot is kept"):
        WorldRecorder.open(tmp_path / "w.db", host_abi=HOST_ABI, keep=keep)
    assert not (tmp_path / "w.db").exists()
