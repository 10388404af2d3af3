"""``riscade test --gdb HOST:PORT MOD``: the mod's machine is served to a real gdb
(``gdb-multiarch`` in batch mode) while its scenario plays; gdb breaks in a hook with the
hook's arguments in registers, and the scenario still passes (the debugger changes nothing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mods.build import build_mods
from mods.manifest import Language
from mods.new import create_mod
from mods.testrunner import main

ROOT = Path(__file__).resolve().parents[2]
GDB = shutil.which("gdb-multiarch")

pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed")


def test_gdb_breaks_in_a_hook_of_the_scenario(tmp_path: Path) -> None:
    assert GDB is not None
    mods, cache = tmp_path / "mods", tmp_path / "cache"
    scenario = create_mod("dbg", Language.C, mods) / "scenarios" / "hello.toml"
    scenario.write_text(scenario.read_text() + '[[chat]]\ntick = 3\nplayer = 1\ntext = "/x"\n')
    (built,) = build_mods(mods, cache)
    assert built.path is not None
    runner = subprocess.Popen(
        [sys.executable, "riscade_cli.py", "test", "--mods", str(mods), "--cache", str(cache),
         "--gdb", "127.0.0.1:0", "dbg"], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert runner.stdout is not None
        line = runner.stdout.readline()
        prefix = "riscade test: dbg's machine waits for gdb: target remote 127.0.0.1:"
        assert line.startswith(prefix), line
        port = int(line[len(prefix):])
        gdb = subprocess.run(
            [GDB, "-batch", "-nx", "-ex", f"file {built.path}",
             "-ex", f"target remote 127.0.0.1:{port}", "-ex", "break on_chat",
             "-ex", "continue", "-ex", "bt", "-ex", "info registers a0 a2",
             "-ex", "x/s $a1", "-ex", "continue"],
            capture_output=True, text=True, timeout=120, check=False)
        rest, _ = runner.communicate(timeout=120)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    out = gdb.stdout
    assert "Breakpoint 1, " in out and " in on_chat ()" in out, out
    assert "#0  0x" in out and " in on_chat ()\n" in out
    assert "a0             0x1\t1\n" in out  # player 1 typed the line in tick 3
    assert "a2             0x2\t2\n" in out  # its length
    assert ':\t"/x"\n' in out
    assert "[Inferior 1 (Remote target) exited normally]" in out
    assert runner.returncode == 0
    assert rest == ("PASS dbg/hello (5 ticks, mods dbg, engines interp and translate agree)\n"
                    "riscade test: 1 passed, 0 failed\n")


@pytest.mark.parametrize("args, phrase", [
    (["--gdb", "127.0.0.1:1"], "--gdb 127.0.0.1:1: names the one MOD whose machine gdb debugs"),
    (["--gdb", "127.0.0.1:99999", "movement"], "--gdb 127.0.0.1:99999: port 99999 out of range"),
])
def test_gdb_usage_errors(args: list[str], phrase: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err == f"riscade test: {phrase}\n"
