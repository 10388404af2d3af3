"""``riscade new``: a mod in each language that builds with the real toolchain and passes its
own scenario at once, every hook stubbed; bad names refused in one line, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mods.host_api import HOOKS
from mods.manifest import Language, load_manifest
from mods.new import create_mod, main
from mods.testrunner import main as riscade_test

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["c", "zig", "nim"])
def test_a_new_mod_builds_and_passes_its_scenario(
        lang: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mods = tmp_path / "mods"
    assert main([f"hello_{lang}", "--lang", lang, "--dir", str(mods)]) == 0
    capsys.readouterr()
    status = riscade_test(["--mods", str(mods), "--cache", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out == (f"PASS hello_{lang}/hello (5 ticks, mods hello_{lang}, engines interp and "
                   "translate agree)\nriscade test: 1 passed, 0 failed\n")


@pytest.mark.parametrize("language", list(Language))
def test_the_new_mod_is_valid_and_stubs_every_hook(language: Language, tmp_path: Path) -> None:
    folder = create_mod("fresh", language, tmp_path)
    spec = load_manifest(folder)  # the manifest's own rules
    assert (spec.name, spec.language, spec.sources) == ("fresh", language,
                                                       (f"fresh{language.suffix}",))
    source = (folder / spec.sources[0]).read_text()
    for hook in HOOKS:
        assert source.count(f" {hook.name}(") == 1, hook.name
    assert "mods/README.md" in source
    assert (folder / "scenarios" / "hello.toml").is_file()


@pytest.mark.parametrize("name, phrase", [
    ("../evil", "a mod name is a folder name, not a path: '../evil'"),
    ("a/b", "a mod name is a folder name, not a path: 'a/b'"),
    ("a\\b", "a mod name is a folder name, not a path"),
    ("..", "a mod name is a folder name, not a path: '..'"),
    ("Caps", "mod name 'Caps' must match [a-z][a-z0-9_]{0,31}"),
    ("9lives", "mod name '9lives' must match"),
    ("", "mod name '' must match"),
    ("x" * 33, "must match"),
    ("riscade", "mod name 'riscade' is the SDK's module name"),
])
def test_bad_names_are_refused_in_one_line(name: str, phrase: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--lang", "c", "--dir", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("riscade new: ")
    assert phrase in err
    assert list(tmp_path.iterdir()) == []


def test_a_nim_keyword_is_refused_for_nim_only(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proc", "--lang", "nim", "--dir", str(tmp_path)]) == 2
    assert "mod name 'proc' is a Nim keyword" in capsys.readouterr().err
    assert main(["proc", "--lang", "c", "--dir", str(tmp_path)]) == 0


def test_an_existing_folder_is_left_alone(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    for name in ("taken", "link"):
        assert main([name, "--lang", "zig", "--dir", str(tmp_path)]) == 2
        assert capsys.readouterr().err == f"riscade new: {tmp_path / name} already exists\n"
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]
    assert not (tmp_path / "nowhere").exists()


def test_riscade_new_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "riscade_cli.py", "new", "../up", "--lang", "c", "--dir",
         str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == "riscade new: a mod name is a folder name, not a path: '../up'\n"
