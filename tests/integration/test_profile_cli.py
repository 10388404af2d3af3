"""``riscade profile`` on the bundled mods: exits 0, prints the table, writes the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from riscade_cli import main
from server.startup import Prepared
from vm.profiler import parse_collapsed

ROOT = Path(__file__).resolve().parents[2]


def test_profile_the_bundled_mods(bundled: Prepared, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    built = bundled.results[0].path
    assert built is not None
    cache = built.parents[2]  # <cache>/objects/<key>/<name>.elf: the session's warm cache
    out = tmp_path / "out"
    status = main(["profile", "--mods", str(ROOT / "mods"), "--cache", str(cache),
                   "--ticks", "30", "--players", "3", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    names = [s.entry.name for s in bundled.served]
    for name in names:
        assert f"== {name}:" in printed
    assert "on_tick" in printed and "hottest functions" in printed
    assert "DIFFERENT" not in printed
    assert printed.count(", equal); start-up") == len(names)
    assert (out / "profile.txt").read_text() in printed
    stacks = parse_collapsed((out / "profile.folded").read_text().splitlines())
    assert {k[0] for k in stacks} == set(names)


@pytest.mark.parametrize("args", [["--ticks", "0"], ["--players", "-1"], ["--max-depth", "0"],
                                  ["--top", "-2"]])
def test_profile_refuses_bad_numbers(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", *args]) == 2
    assert "at least" in capsys.readouterr().out
