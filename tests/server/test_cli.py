"""``riscade serve`` with a mods folder that cannot be built at all, or options it cannot use:
one line on stderr saying why, exit status 2, never a traceback. Real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.bad_mods import BAD_FOLDERS, write_bad_folder

ROOT = Path(__file__).resolve().parents[2]


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "riscade_cli.py", "serve", "--port", "0", "--ticks", "1", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("case", sorted(BAD_FOLDERS))
def test_a_mods_folder_that_cannot_be_built(case: str, tmp_path: Path) -> None:
    folder, phrase = write_bad_folder(tmp_path, case)
    done = serve("--mods", str(folder), "--cache", str(tmp_path / "cache"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("riscade serve: ") and phrase in done.stderr
    assert "listening" not in done.stdout


def test_a_policy_it_cannot_use(tmp_path: Path) -> None:
    done = serve("--mods", str(tmp_path), "--max-conns-per-address", "-3")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "ServerPolicy.max_conns_per_address must be positive, got -3" in done.stderr


@pytest.mark.parametrize(("flag", "content", "words"), [
    ("--password-file", None, "cannot read the password file"),
    ("--password-file", "", "has an empty first line"),
    ("--admin-token-file", "short\n", "an admin token is 16-64 printable ASCII"),
    ("--admin-token-file", None, "cannot read the admin token file"),
])
def test_a_secret_file_it_cannot_use(tmp_path: Path, flag: str, content: str | None,
                                     words: str) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    done = serve("--mods", str(tmp_path), flag, str(path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("riscade serve: ") and words in done.stderr


def test_a_negative_grace_period(tmp_path: Path) -> None:
    done = serve("--mods", str(tmp_path), "--grace-ticks", "-1")
    assert done.returncode == 2 and "--grace-ticks must be 0 or more" in done.stderr
