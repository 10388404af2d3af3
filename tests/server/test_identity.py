"""server.identity: tokens, grace periods, bans and the server's secrets, without a socket."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from protocol import PROTOCOL_VERSION, Code, Hello
from server.identity import (
    MIN_ADMIN_TOKEN,
    Credentials,
    Identities,
    SecretError,
    read_secret,
)
from vm import VM_ABI


def hello(**kwargs: str) -> Hello:
    return Hello(protocol_versions=(PROTOCOL_VERSION,), vm_abi=VM_ABI, host_abi="h",
                 name="ann", **kwargs)


def test_tokens_are_random_urlsafe_192_bits_and_only_their_digest_is_kept() -> None:
    ids = Identities()
    tokens = [ids.issue(pid) for pid in range(1, 201)]
    assert len(set(tokens)) == 200 and all(len(t) == 32 for t in tokens)
    assert all(ids.owner(t) == pid for pid, t in enumerate(tokens, 1))
    kept = repr(vars(ids))
    assert not any(t in kept for t in tokens)  # the raw tokens are nowhere
    with pytest.raises(ValueError, match="already holds"):
        ids.issue(1)


@pytest.mark.parametrize("token", ["", "A" * 32, "x", "~" * 64, "é" * 10, "\x00" * 5000])
def test_an_unknown_or_odd_token_names_nobody(token: str) -> None:
    ids = Identities()
    ids.issue(1)
    assert ids.owner(token) is None


def test_a_detached_player_is_kept_for_the_grace_period_then_forgotten() -> None:
    ids = Identities(grace_ticks=10)
    token = ids.issue(7)
    assert ids.detach(7, 100) and ids.detached(7)
    assert ids.expired(109) == [] and ids.owner(token) == 7
    ids.attach(7)  # back at tick 105, say: no longer timed
    assert not ids.detached(7) and ids.expired(10_000) == []
    assert ids.detach(7, 200)
    assert ids.expired(210) == [7]
    assert ids.owner(token) is None and ids.tokens == 0 and ids.expired(1 << 62) == []


def test_no_grace_or_no_token_means_leaving_at_once() -> None:
    ids = Identities(grace_ticks=0)
    token = ids.issue(1)
    assert not ids.detach(1, 5) and ids.owner(token) is None
    assert not Identities().detach(3, 5)  # never issued a token
    with pytest.raises(ValueError, match="grace_ticks"):
        Identities(grace_ticks=-1)


def test_expired_players_come_in_id_order() -> None:
    ids = Identities(grace_ticks=5)
    for pid in (9, 3, 6):
        ids.issue(pid)
        ids.detach(pid, 0)
    assert ids.expired(5) == [3, 6, 9]


def test_a_ban_covers_the_address_and_the_token_for_good() -> None:
    ids = Identities()
    token = ids.issue(4)
    other = ids.issue(5)
    ids.ban(4, "10.0.0.9")
    assert ids.banned("10.0.0.9", "") and ids.banned("10.0.0.1", token)
    assert not ids.banned("10.0.0.1", other) and not ids.banned("10.0.0.1", "")
    assert ids.owner(token) is None  # and it no longer names a player
    ids.ban(5, None)  # a player whose address is not known: its token only
    assert ids.banned("10.0.0.2", other)


def test_credentials_check_the_password_and_the_admin_token() -> None:
    open_server = Credentials()
    assert open_server.check(hello()) is False
    assert open_server.check(hello(password="anything")) is False  # no password: ignored
    assert open_server.check(hello(admin_token="a" * 20)) == (Code.PASSWORD,
                                                              "wrong admin token")
    locked = Credentials(password="s3cret pass", admin_token="b" * MIN_ADMIN_TOKEN)
    assert locked.check(hello()) == (Code.PASSWORD, "this server needs a password")
    assert locked.check(hello(password="s3cret pas")) == (Code.PASSWORD, "wrong password")
    assert locked.check(hello(password="s3cret pass")) is False
    assert locked.check(hello(password="s3cret pass", admin_token="b" * MIN_ADMIN_TOKEN)) is True
    assert locked.check(hello(password="s3cret pass", admin_token="b" * 17)) == \
        (Code.PASSWORD, "wrong admin token")
    # The admin token does not stand for the password.
    assert locked.check(hello(admin_token="b" * MIN_ADMIN_TOKEN)) == \
        (Code.PASSWORD, "this server needs a password")
    assert "s3cret" not in repr(locked) and "bbbb" not in repr(locked)


@pytest.mark.parametrize("token", ["short", "a" * 65, "with space" * 2, "é" * 20])
def test_an_admin_token_a_hello_cannot_carry_is_refused(token: str) -> None:
    with pytest.raises(SecretError, match="admin token"):
        Credentials(admin_token=token)


def test_read_secret_takes_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("open sesame\r\nsecond line\n")
    assert read_secret(path, "password") == "open sesame"
    for bad, words in (("", "empty first line"), ("\nx", "empty first line"),
                       ("x" * 257, "over 256"), ("a\x1bb", "control characters")):
        path.write_text(bad)
        with pytest.raises(SecretError, match=words):
            read_secret(path, "password")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(SecretError, match="cannot read the password file"):
        read_secret(path, "password")
    with pytest.raises(SecretError, match="No such file"):
        read_secret(tmp_path / "missing", "admin token")
    if os.geteuid() != 0:
        path.write_text("x")
        path.chmod(0)
        with pytest.raises(SecretError, match="Permission denied"):
            read_secret(path, "password")


def test_the_oldest_detached_slot_is_the_one_whose_grace_ends_first() -> None:
    ids = Identities(grace_ticks=100)
    assert ids.oldest_detached() is None
    for pid, tick in ((5, 30), (2, 10), (9, 10), (4, 50)):
        ids.issue(pid)
        ids.detach(pid, tick)
    assert ids.oldest_detached() == 2  # ends at 110, as 9 does: the lower id
    ids.forget(2)
    assert ids.oldest_detached() == 9


def test_the_state_a_store_would_keep_round_trips_without_raw_tokens() -> None:
    ids = Identities(grace_ticks=50)
    kept, gone, live = ids.issue(1), ids.issue(2), ids.issue(3)
    ids.detach(1, 10)
    ids.ban(2, "10.1.1.1")
    doc = ids.to_state()
    assert all(t not in repr(doc) for t in (kept, gone, live))
    back = Identities.from_state(doc)
    assert back.to_state() == doc
    assert back.owner(kept) == 1 and back.detached(1) and back.owner(live) == 3
    assert back.banned("10.1.1.1", "") and back.banned("x", gone)
    assert back.expired(60) == [1]
    for bad in (None, {}, {**doc, "tokens": [[1, "zz"]]}, {**doc, "detached": [[7, 1]]},
                {**doc, "tokens": [["1", "a" * 64]]}, {**doc, "grace_ticks": -1}):
        with pytest.raises(ValueError):
            Identities.from_state(bad)


def test_resume_holds_the_world_s_players_for_a_whole_grace_period_from_the_restart() -> None:
    before = Identities(grace_ticks=50)
    t1, t2, t3, t9 = (before.issue(pid) for pid in (1, 2, 3, 9))
    assert before.detach(2, 40)  # was in its grace period (until 90) when the server died
    before.ban(3, "10.0.0.3")
    saved = Identities.from_state(before.to_state())
    after = Identities(grace_ticks=20)  # this run's grace period, not the saved one
    # 9 had a token but had not joined yet: it is not in the world, its token names nobody.
    assert after.resume(saved, [2, 1, 4], 1000) == [1, 2]  # 4: in the world, no token
    assert after.owner(t1) == 1 and after.owner(t2) == 2
    assert after.owner(t3) is None and after.owner(t9) is None
    assert after.detached(1) and after.detached(2)
    assert after.banned("10.0.0.3", "") and after.banned("10.9.9.9", t3)
    assert after.expired(1019) == [] and after.expired(1020) == [1, 2]


def test_resume_without_a_grace_period_holds_nobody_but_keeps_the_bans() -> None:
    before = Identities()
    before.issue(1)
    banned = before.issue(2)
    before.ban(2, None)
    after = Identities(grace_ticks=0)
    assert after.resume(Identities.from_state(before.to_state()), [1, 2], 7) == []
    assert after.tokens == 0 and after.banned("1.1.1.1", banned)


@pytest.mark.parametrize("doc", [
    None, [], {}, {"grace_ticks": 5, "tokens": [[1, "x"]], "detached": [],
                   "banned_addresses": [], "banned_tokens": []},
    {"grace_ticks": 5, "tokens": [[1, "a" * 64], [2, "a" * 64]], "detached": [],
     "banned_addresses": [], "banned_tokens": []},
    {"grace_ticks": 5, "tokens": [], "detached": [[1, 3]], "banned_addresses": [],
     "banned_tokens": []},
    {"grace_ticks": -1, "tokens": [], "detached": [], "banned_addresses": [],
     "banned_tokens": []},
    {"grace_ticks": 5, "tokens": 7, "detached": [], "banned_addresses": [],
     "banned_tokens": []},
])
def test_a_state_that_is_not_one_is_refused(doc: object) -> None:
    with pytest.raises(ValueError):
        Identities.from_state(doc)
