"""``python -m mods build`` and ``riscade build`` on a mods folder that cannot be built at all
(a mod.toml that is not TOML or breaks the manifest's rules, a dependency cycle): one line on
stderr, exit status 2, nothing compiled, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mods.__main__ import main as mods_main
from tests.support.bad_mods import BAD_FOLDERS, write_bad_folder

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("case", sorted(BAD_FOLDERS))
def test_build_of_a_bad_folder_is_one_line_and_2(case: str, tmp_path: Path, capsys) -> None:
    folder, phrase = write_bad_folder(tmp_path, case)
    status = mods_main(["build", str(folder), "--cache", str(tmp_path / "cache")])
    assert status == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert phrase in err
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.elf"))


def test_riscade_build_in_a_real_process(tmp_path: Path) -> None:
    folder, phrase = write_bad_folder(tmp_path, "bad-limits")
    done = subprocess.run(
        [sys.executable, "riscade_cli.py", "build", str(folder), "--cache", str(tmp_path / "c")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: {folder / 'greedy' / 'mod.toml'}: ")
    assert phrase in done.stderr
