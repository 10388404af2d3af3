"""``riscade build``, ``serve`` and ``test`` share one build cache by default, so a build
warms a serve: after ``riscade build``, ``prepare_mods`` (what ``serve`` runs) compiles
nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mods.__main__ import main as mods_main
from mods.__main__ import parser as build_parser
from mods.cache import DEFAULT_CACHE_DIR
from mods.manifest import Language
from mods.new import create_mod
from mods.testrunner import _parser as riscade_test_parser
from server.cli import build_parser as serve_parser
from server.startup import prepare_mods


def test_every_command_defaults_to_the_same_cache() -> None:
    assert DEFAULT_CACHE_DIR == Path(".riscade-cache") / "build"  # where serve always read
    assert build_parser().parse_args(["build"]).cache == DEFAULT_CACHE_DIR
    assert serve_parser().parse_args([]).cache == DEFAULT_CACHE_DIR
    assert riscade_test_parser().parse_args([]).cache == DEFAULT_CACHE_DIR


def test_a_build_warms_a_serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    mods = tmp_path / "mods"
    create_mod("warm_c", Language.C, mods)
    create_mod("warm_zig", Language.ZIG, mods)
    monkeypatch.chdir(tmp_path)  # the default cache is relative to the working directory
    assert mods_main(["build", str(mods)]) == 0
    assert "built" in capsys.readouterr().out
    assert (tmp_path / DEFAULT_CACHE_DIR / "objects").is_dir()
    prepared = prepare_mods(mods, DEFAULT_CACHE_DIR)
    assert sorted(m.entry.name for m in prepared.served) == ["warm_c", "warm_zig"]
    assert [(r.name, r.cached) for r in prepared.results] == [("warm_c", True),
                                                               ("warm_zig", True)]
    assert sorted(os.listdir(tmp_path)) == [".riscade-cache", "mods"]  # nothing else written
