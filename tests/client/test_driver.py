"""client.driver: the browser's sans-I/O client, fed by a server played by hand here (a real
simulation with the walker test mod, messages through a server-side ``Link``), no socket."""

from __future__ import annotations

import hashlib

import pytest

from client.driver import Driver, Ending, Phase, ended_line
from game.simulation import ModImage, Simulation, TickInputs
from lockstep.follower import Follower
from lockstep.wire import entry_for, tick_message
from mods.host_api import HOST_API
from protocol import (
    SUPPORTED_VERSIONS,
    Bye,
    Chat,
    Code,
    Desync,
    Fetch,
    Hello,
    Input,
    Link,
    LocalMisuse,
    ModBlob,
    Notice,
    Ready,
    Refusal,
    Reload,
    Role,
    Welcome,
    compress_mod,
    split_snapshot,
)


class Server:
    """The server's side of one connection, over a real simulation."""

    def __init__(self, walker: ModImage) -> None:
        self.image = walker
        self.entry = entry_for(walker, version="1", language="c", dependencies=(),
                               host_abi=HOST_API.abi_hash())
        self.sim = Simulation([walker])
        self.link = Link(Role.SERVER)

    def hello(self, driver: Driver) -> Hello:
        hello = self.link.receive(driver.start())
        assert isinstance(hello, Hello)
        return hello

    def welcome(self, driver: Driver, *, send: bool = True, token: str = "t" * 32) -> None:
        driver.receive(self.link.send(Welcome(
            protocol_version=SUPPORTED_VERSIONS[-1], player_id=1, tick_rate=20,
            manifest=(self.entry,), sending=(self.entry.sha256,) if send else (),
            token=token)))

    def blob(self, driver: Driver, data: bytes | None = None) -> None:
        driver.receive(self.link.send(ModBlob(sha256=self.entry.sha256, size=self.entry.size,
                                              data=data or compress_mod(self.image.elf))))

    def snapshot(self, driver: Driver) -> None:
        for msg in split_snapshot(tick=self.sim.world.tick, state=self.sim.snapshot(),
                                  state_hash=self.sim.state_hash()):
            driver.receive(self.link.send(msg))

    def tick(self, driver: Driver, *, joins: tuple[tuple[int, str], ...] = (),
             wrong_hash: bool = False, announce: tuple[Reload, ...] = (),
             swap: tuple[ModImage, ...] = ()) -> None:
        inputs = TickInputs(tick=self.sim.world.tick + 1, joins=joins, reloads=swap)
        self.sim.step(inputs)
        state_hash = "0" * 64 if wrong_hash else self.sim.state_hash()
        driver.receive(self.link.send(tick_message(inputs, state_hash, announce)))

    def read(self, driver: Driver) -> list[object]:
        return [self.link.receive(data) for data in driver.take_output()]

    def join(self, driver: Driver) -> None:
        """Hello to the first snapshot, the mod sent; the player joins in the next tick."""
        self.hello(driver)
        self.welcome(driver)
        self.blob(driver)
        assert [type(m) for m in self.read(driver)] == [Ready]
        self.snapshot(driver)
        self.tick(driver, joins=((1, "ann"),))


def test_a_join_then_ticks_in_step_with_the_server(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.join(driver)
    assert driver.phase is Phase.PLAYING
    assert driver.take_store() == [walker.elf]
    status = driver.status()
    assert status["state"] == "playing" and status["ticks"] == 1 and status["desyncs"] == 0
    assert status["state_hash"] == server.sim.state_hash()
    assert status["mods"] == ["walker"] and status["mods_from_cache"] == 0
    assert status["mod_bytes_received"] == len(compress_mod(walker.elf))
    view = driver.view()
    assert view is not None and view["players"][0]["name"] == "ann" and view["me"] == 1


def test_keys_and_chat_are_sent_once_in_game(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.hello(driver)
    driver.press(8)  # not in game: nothing to send
    assert driver.say("hi") == "not in game"
    server.welcome(driver)
    server.blob(driver)
    server.read(driver)
    server.snapshot(driver)
    driver.press(8)
    driver.press(8)  # unchanged: not sent again
    driver.press(8 | 16)
    assert driver.say("hello") is None
    assert driver.say("x" * 10_000) is not None  # over the chat limit: refused here
    sent = server.read(driver)
    assert [(type(m), getattr(m, "buttons", None)) for m in sent] == [
        (Input, 8), (Input, 24), (Chat, None)]
    assert [m.seq for m in sent if isinstance(m, Input)] == [1, 2]


def test_a_warm_join_takes_the_mod_from_the_cache(walker: ModImage) -> None:
    sha = hashlib.sha256(walker.elf).hexdigest()
    server, driver = Server(walker), Driver("ann", [sha])
    server.hello(driver)
    server.welcome(driver, send=False)
    assert driver.needs == [sha] and driver.phase is Phase.DOWNLOADING
    driver.cached(sha, walker.elf)
    assert [type(m) for m in server.read(driver)] == [Ready]
    assert driver.take_store() == []  # nothing new to cache
    server.snapshot(driver)
    assert driver.status()["mods_from_cache"] == 1 and driver.status()["mod_bytes_received"] == 0


def test_a_cached_elf_that_is_not_the_mod_ends_the_join(walker: ModImage) -> None:
    sha = hashlib.sha256(walker.elf).hexdigest()
    server, driver = Server(walker), Driver("ann", [sha])
    server.hello(driver)
    server.welcome(driver, send=False)
    driver.cached(sha, walker.elf[:-1] + bytes([walker.elf[-1] ^ 1]))  # tampered with
    assert driver.phase is Phase.ENDED and "neither cached nor sent" in (driver.ended or "")
    (bye,) = server.read(driver)
    assert isinstance(bye, Bye) and bye.code == Code.MOD_VERIFICATION


def test_a_blob_that_is_not_the_mod_ends_the_join(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.hello(driver)
    server.welcome(driver)
    other = walker.elf[:-1] + bytes([walker.elf[-1] ^ 1])
    server.blob(driver, compress_mod(other))
    assert driver.phase is Phase.ENDED and "failed verification" in (driver.ended or "")
    (bye,) = server.read(driver)
    assert isinstance(bye, Bye) and bye.code == Code.MOD_VERIFICATION
    assert driver.take_store() == []  # nothing unverified is ever cached


def test_a_refusal_ends_with_the_servers_reason(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.hello(driver)
    driver.receive(server.link.send(Refusal(code=Code.NAME, reason="the name ann is taken")))
    assert driver.phase is Phase.ENDED
    assert driver.ended == "refused (name): the name ann is taken"
    assert driver.take_output() == []
    driver.receive(b"\x00garbage")  # after the end, nothing is read
    assert driver.ended == "refused (name): the name ann is taken"


@pytest.mark.parametrize("name", ["n" * 200, "", "a\nb"])
def test_a_name_the_protocol_refuses_is_refused_before_anything_is_sent(name: str) -> None:
    with pytest.raises(LocalMisuse, match="name"):
        Driver(name, ())


def test_garbage_from_the_server_is_a_protocol_error(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.hello(driver)
    driver.receive(b"\xc1" * 64)
    assert driver.phase is Phase.ENDED and driver.end_code == Code.PROTOCOL_ERROR
    assert (driver.ended or "").startswith("protocol error")


def test_a_desync_is_reported_then_healed_by_a_snapshot(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.join(driver)
    server.read(driver)
    server.tick(driver, wrong_hash=True)
    assert driver.phase is Phase.DESYNC
    (desync,) = server.read(driver)
    assert isinstance(desync, Desync) and desync.state_hash == server.sim.state_hash()
    server.snapshot(driver)
    server.tick(driver)
    assert driver.phase is Phase.PLAYING
    status = driver.status()
    assert status["desyncs"] == 1 and status["resyncs"] == 1
    assert status["state_hash"] == server.sim.state_hash()


@pytest.mark.parametrize("bot", [None, 5])
def test_ticks_leave_after_n_and_a_bot_presses_buttons(walker: ModImage, bot: int | None) -> None:
    server, driver = Server(walker), Driver("ann", (), bot_seed=bot, ticks=6)
    server.join(driver)
    for _ in range(5):
        server.tick(driver)
    sent = server.read(driver)
    assert driver.phase is Phase.ENDED and driver.ended == "left after 6 ticks"
    assert isinstance(sent[-1], Bye) and sent[-1].code == Code.QUIT
    inputs = [m for m in sent if isinstance(m, Input)]
    assert bool(inputs) == (bot is not None)


def test_the_servers_bye_ends_the_game_with_its_reason(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.join(driver)
    driver.receive(server.link.send(Bye(code=Code.SHUTDOWN, reason="the server is stopping")))
    assert driver.ended == "server said shutdown: the server is stopping"
    assert driver.status()["state"] == "ended" and driver.status()["end_code"] == "shutdown"


@pytest.mark.parametrize("cache_holds", ["build", "another", "nothing"])
def test_a_reloads_build_comes_from_the_cache_else_is_fetched(
        walker: ModImage, painter: ModImage, cache_holds: str) -> None:
    new = ModImage("walker", painter.elf, memory=walker.memory, stack=walker.stack,
                   instructions=walker.instructions, permissions=walker.permissions)
    new_sha = hashlib.sha256(new.elf).hexdigest()
    server, driver = Server(walker), Driver("ann", [new_sha] if cache_holds != "nothing" else [])
    server.join(driver)
    server.read(driver)
    entry = entry_for(new, version="2", language="c", dependencies=(),
                      host_abi=HOST_API.abi_hash())
    at = server.sim.world.tick + 3
    server.tick(driver, announce=(Reload(tick=at, mods=(entry,)),))
    if cache_holds == "nothing":
        assert driver.needs == []
        (fetch,) = server.read(driver)
        assert isinstance(fetch, Fetch) and fetch.sha256 == new_sha
        driver.receive(server.link.send(ModBlob(sha256=new_sha, size=entry.size,
                                                data=compress_mod(new.elf))))
    else:
        assert driver.needs == [new_sha]
        wrong = walker.elf if cache_holds == "another" else new.elf
        driver.cached(new_sha, wrong)
        sent = server.read(driver)
        assert [type(m) for m in sent] == ([Fetch] if cache_holds == "another" else [])
        if sent:
            driver.receive(server.link.send(ModBlob(sha256=new_sha, size=entry.size,
                                                    data=compress_mod(new.elf))))
    server.tick(driver)
    server.tick(driver, swap=(new,))
    server.tick(driver)
    status = driver.status()
    assert status["state"] == "playing" and status["desyncs"] == 0, driver.ended
    assert status["state_hash"] == server.sim.state_hash()
    assert status["mods_from_cache"] == (1 if cache_holds == "build" else 0)
    fetched = cache_holds != "build"
    assert (status["mod_bytes_received"] > len(compress_mod(walker.elf))) == fetched


def test_the_token_is_sent_back_and_the_new_one_kept(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", (), token="old-token-0123456789")
    assert server.hello(driver).token == "old-token-0123456789"
    assert driver.token == ""
    server.welcome(driver, token="new-token-9876543210")
    assert driver.token == "new-token-9876543210"
    assert "new-token" not in str(driver.status())  # the status is for tools: no secret


def test_a_notice_is_a_line_to_this_player(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", ())
    server.join(driver)
    driver.receive(server.link.send(Notice(text="kicked bob")))
    assert list(driver.chat)[-1] == {"tick": 1, "text": "kicked bob", "server": True}
    assert driver.phase is Phase.PLAYING


# -- what the asyncio shell (client.session) needs of the driver ----------------------------------


def test_on_tick_sees_each_applied_tick_and_its_line_goes_out_between_desync_and_bot(
        walker: ModImage) -> None:
    ticks: list[tuple[int, int]] = []
    driver: Driver

    def on_tick(f: Follower) -> None:
        ticks.append((f.tick, f.ticks))
        if f.ticks == 2:
            assert driver.say("from on_tick") is None

    server = Server(walker)
    driver = Driver("ann", (), bot_seed=5, on_tick=on_tick)
    server.join(driver)
    server.read(driver)
    for n in range(2, 6):
        server.tick(driver, wrong_hash=n == 2)
    assert ticks == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]
    sent = server.read(driver)
    kinds = [type(m) for m in sent]
    # tick 2: its Desync, then the line said in on_tick; the bot's first buttons after tick 5
    assert kinds[:2] == [Desync, Chat] and getattr(sent[1], "text", None) == "from on_tick"
    assert kinds[2:] == [Input]


def test_on_notice_hears_the_servers_lines_to_this_player(walker: ModImage) -> None:
    notices: list[str] = []
    server, driver = Server(walker), Driver("ann", (), on_notice=notices.append)
    server.join(driver)
    driver.receive(server.link.send(Notice(text="kicked bob")))
    driver.receive(server.link.send(Notice(text="saved")))
    assert notices == ["kicked bob", "saved"]


def test_ticks_zero_leaves_as_soon_as_the_game_begins(walker: ModImage) -> None:
    server, driver = Server(walker), Driver("ann", (), ticks=0)
    server.hello(driver)
    server.welcome(driver)
    server.blob(driver)
    server.read(driver)
    server.snapshot(driver)
    assert driver.phase is Phase.ENDED and driver.ending is Ending.DONE
    assert driver.ended == "left after 0 ticks"
    (bye,) = server.read(driver)
    assert isinstance(bye, Bye) and bye.code == Code.QUIT and bye.reason == "done"


def test_the_hello_carries_the_abis_password_and_admin_token() -> None:
    server_link = Link(Role.SERVER)
    driver = Driver("ann", (), host_abi="h" * 64, vm_abi="rv64gc-test", password="pw",
                    admin_token="adm")
    hello = server_link.receive(driver.start())
    assert isinstance(hello, Hello)
    assert (hello.host_abi, hello.vm_abi, hello.password, hello.admin_token) == (
        "h" * 64, "rv64gc-test", "pw", "adm")


def test_ending_says_how_and_keeps_the_bare_reason(walker: ModImage) -> None:
    refused, server = Driver("ann", ()), Server(walker)
    server.hello(refused)
    refused.receive(server.link.send(Refusal(code=Code.NAME, reason="taken")))
    assert (refused.ending, refused.end_code, refused.end_reason) == (Ending.REFUSED, "name",
                                                                      "taken")

    bye, server = Driver("ann", ()), Server(walker)
    server.join(bye)
    bye.receive(server.link.send(Bye(code=Code.KICKED, reason="flooding")))
    assert (bye.ending, bye.end_code, bye.end_reason) == (Ending.SERVER, "kicked", "flooding")
    assert bye.ended == ended_line("kicked", "flooding") == "server said kicked: flooding"

    lost, server = Driver("ann", ()), Server(walker)
    server.join(lost)
    lost.lost("no close frame")
    assert (lost.ending, lost.end_code, lost.end_reason) == (Ending.LOST, None, "no close frame")
    assert lost.ended == "connection lost: no close frame"
    lost.receive(server.link.send(Bye(code=Code.SHUTDOWN, reason="late")))  # over: ignored
    assert lost.ending is Ending.LOST

    broken, server = Driver("ann", ()), Server(walker)
    server.join(broken)
    broken.receive(b"\xc1" * 8)
    assert broken.ending is Ending.ERROR and broken.end_code == Code.PROTOCOL_ERROR
    assert broken.end_reason == broken.ended and (broken.ended or "").startswith("protocol error")

    left, server = Driver("ann", ()), Server(walker)
    server.join(left)
    left.leave()
    assert (left.ending, left.end_code, left.ended) == (Ending.DONE, Code.QUIT, "left")
