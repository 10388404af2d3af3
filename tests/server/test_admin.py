"""server.admin: the command table shared by the console and admins' chat, parsed without a
server (the commands that act on a server are run over websockets in
tests/integration/test_identity.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from lockstep.room import Room
from server.admin import COMMANDS, HELP, is_admin_line, run
from server.console import admin_command


@dataclass
class Recorder:
    """A target that records what the commands ask of it."""

    room: Room = field(default=None)  # type: ignore[assignment]  # /mods, /enable unused here
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def kick(self, name: str, *, ban: bool = False, by: str = "console") -> str:
        self.calls.append(("ban" if ban else "kick", name, by))
        return f"did {name}"

    def save_world(self) -> str:
        self.calls.append(("save",))
        return "saved"

    def reload_mod(self, name: str, reply: Callable[[str], None]) -> str:
        self.calls.append(("reload", name))
        reply(f"{name} reloaded")
        return f"rebuilding {name}"


def test_each_command_reaches_its_target() -> None:
    target, replies = Recorder(), []
    assert run(target, "/kick bob", by="admin ann") == "did bob"
    assert run(target, "  /ban   Bob the Builder  ") == "did Bob the Builder"  # NAME: the rest
    assert run(target, "/save") == "saved"
    assert run(target, "/reload movement", reply=replies.append) == "rebuilding movement"
    assert target.calls == [("kick", "bob", "admin ann"), ("ban", "Bob the Builder", "console"),
                            ("save",), ("reload", "movement")]
    assert replies == ["movement reloaded"]


@pytest.mark.parametrize(("line", "answer"), [
    ("", ""),
    ("   ", ""),
    ("/kick", "usage: /kick NAME"),
    ("/save now", "usage: /save"),
    ("/reload a b", "usage: /reload MOD"),
    ("/help", HELP),
    ("/help me", f"unknown command '/help me'; {HELP}"),
    ("/nope " + "x" * 100, f"unknown command '/nope {'x' * 34}'; {HELP}"),
])
def test_a_line_that_is_no_command_does_nothing(line: str, answer: str) -> None:
    target = Recorder()
    assert run(target, line) == answer
    assert target.calls == []


def test_admin_lines_in_chat_are_the_table_but_help() -> None:
    assert all(is_admin_line(f"{name} x") for name in COMMANDS)
    for line in ("/help", "/kickbob", "kick bob", "", " ", "/score", "hi /kick bob"):
        assert not is_admin_line(line)
    assert is_admin_line("  /kick bob")
    assert HELP.startswith("commands: /kick NAME, /ban NAME, /save, /reload MOD, /enable MOD")


def test_the_console_logs_each_command_and_its_answer(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="riscade.server")
    target = Recorder()
    assert admin_command(target, " /kick bob ") == "did bob"
    assert admin_command(target, "") == ""
    assert [r.getMessage() for r in caplog.records] == ["console: '/kick bob' -> 'did bob'"]
    assert target.calls == [("kick", "bob", "console")]
