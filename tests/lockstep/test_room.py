"""Room keeps every limit of a tick where a message is accepted (sans-I/O, real Simulation)."""

from __future__ import annotations

from game.simulation import Simulation
from lockstep.room import Room
from protocol import DEFAULT_LIMITS, Player, Tick, TickChat, TickInput, encode


def room(**kwargs) -> Room:
    return Room(Simulation([], seed=1), **kwargs)


def encode_tick(r: Room) -> bytes:
    """Close a tick and encode it as the server does: must never raise."""
    t = r.close_tick().inputs
    return encode(Tick(tick=t.tick, state_hash="0" * 64,
                       joins=tuple(Player(id=p, name=n) for p, n in t.joins),
                       leaves=t.leaves,
                       inputs=tuple(TickInput(player_id=p, buttons=b) for p, b in t.inputs),
                       chats=tuple(TickChat(player_id=p, text=x) for p, x in t.chats)),
                  limits=DEFAULT_LIMITS)


def join(r: Room, n: int) -> list[int]:
    pids = []
    for i in range(n):
        pid = r.reserve()
        assert pid is not None
        r.admit(pid, f"p{i}")
        pids.append(pid)
    r.close_tick()
    return pids


def test_reserve_refuses_past_max_players_counting_handshakes_and_joins() -> None:
    r = room(max_players=3)
    a = r.reserve()
    b = r.reserve()
    assert a is not None and b is not None
    r.admit(a, "a")  # joining
    assert r.reserve() is not None  # third slot: a handshake
    assert r.reserve() is None
    r.leave(b)  # a handshake that gave up frees its slot
    assert r.reserve() is not None


def test_a_leaving_player_holds_its_slot_until_its_tick_closes() -> None:
    r = room(max_players=2)
    a, _ = join(r, 2)
    r.leave(a)
    assert r.reserve() is None  # a is still in players until the tick closes
    r.close_tick()
    assert r.reserve() is not None


def test_65_players_each_with_an_input_make_a_tick_that_encodes() -> None:
    r = room()
    pids = join(r, 64)
    assert r.reserve() is None
    for pid in pids:
        r.set_input(pid, 1)
    encode_tick(r)


def test_buttons_leave_with_their_player_and_with_one_who_never_joined() -> None:
    r = room()
    (a,) = join(r, 1)
    b = r.reserve()
    assert b is not None
    r.admit(b, "b")
    r.set_input(a, 4)
    r.set_input(b, 8)
    r.leave(a)
    r.leave(b)  # b leaves before its join tick closed
    r.set_input(a, 16)  # an input after leaving counts for nothing
    ticked = r.close_tick().inputs
    assert ticked.inputs == () and ticked.joins == () and ticked.leaves == (a,)
    assert r._buttons == {}


def test_chat_is_capped_per_player_per_tick_in_lines_and_in_bytes() -> None:
    r = room(chat_lines_per_player=2, chat_bytes_per_tick=1000)
    a, b = join(r, 2)
    assert r.chat(a, "one") and r.chat(a, "two")
    assert not r.chat(a, "three")
    assert r.chat(b, "é" * 400)  # 800 bytes
    assert not r.chat(b, "x" * 300)  # 800 + 300 > 1000
    assert [text for _, text in r.close_tick().inputs.chats] == ["one", "two", "é" * 400]
    assert r.chat(a, "next tick")  # the counts start again


def test_65_chat_lines_in_one_tick_are_cut_at_max_chats_per_tick() -> None:
    r = room(chat_lines_per_player=100, chat_bytes_per_tick=1 << 20)
    (a,) = join(r, 1)
    accepted = [r.chat(a, f"line {i}") for i in range(65)]
    assert accepted == [True] * 64 + [False]
    encode_tick(r)


def test_chat_from_a_leaving_or_unknown_player_is_refused() -> None:
    r = room()
    (a,) = join(r, 1)
    assert not r.chat(99, "ghost")
    r.leave(a)
    assert not r.chat(a, "bye")


def test_buttons_tells_what_a_player_holds_in_the_next_ticks() -> None:
    r = room()
    (a,) = join(r, 1)
    assert r.buttons(a) is None
    r.set_input(a, 5)
    r.close_tick()
    r.set_input(a, 0)  # held buttons go on in every tick until changed
    assert r.buttons(a) == 0
    assert r.close_tick().inputs.inputs == ((a, 0),) and r.close_tick().inputs.inputs == ((a, 0),)
    r.leave(a)
    assert r.buttons(a) is None and r.buttons(99) is None
