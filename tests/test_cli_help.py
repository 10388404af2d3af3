"""``riscade --help`` lists every command with one line, and ``riscade CMD --help`` of each
exits 0 with its usage (the real entry point, in-process)."""

from __future__ import annotations

import pytest

from riscade_cli import USAGE, main

COMMANDS = ("demo", "serve", "connect", "build", "new", "test", "profile", "replay", "run")


def test_the_usage_lists_every_command_once_on_one_line() -> None:
    lines = [line.split()[0] for line in USAGE.splitlines() if line.startswith("  ")]
    assert sorted(lines) == sorted(COMMANDS)


def test_riscade_help_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: riscade COMMAND")
    assert main([]) == 2  # no command: the usage, but an error


def test_an_unknown_command_is_refused_with_the_usage(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "riscade: unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: riscade {command}"), out[:200]
    assert "--help" in out
