"""The mods' storage file: loaded at start-up, written atomically, and a real ``riscade
serve`` restart in which a real C mod finds what it stored in the run before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.storage import MAX_BYTES
from server.storage_file import (
    FILE_NAME,
    MAGIC,
    StorageFile,
    StorageFileError,
    load,
    write_atomic,
)

ROOT = Path(__file__).resolve().parents[2]


def test_no_file_yet_is_empty_storage(tmp_path: Path) -> None:
    assert load(tmp_path / "none" / FILE_NAME) == b""


def test_write_then_load_and_nothing_else_is_left(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / FILE_NAME
    write_atomic(path, b"\x00\x01data")
    assert path.read_bytes() == b"riscade-storage 1\n\x00\x01data"
    assert load(path) == b"\x00\x01data"
    write_atomic(path, b"new")
    assert load(path) == b"new"
    assert sorted(p.name for p in path.parent.iterdir()) == [FILE_NAME]  # no temp file


def test_a_file_that_is_not_a_storage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(b"riscade-storage 2\n")
    with pytest.raises(StorageFileError, match="is not a riscade storage file"):
        load(path)
    path.unlink()
    path.mkdir()
    with pytest.raises(StorageFileError, match="cannot read"):
        load(path)


def test_a_file_larger_than_any_storage_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(MAGIC)
    with path.open("r+b") as f:
        f.truncate(len(MAGIC) + MAX_BYTES + 1)  # sparse: nothing to write
    with pytest.raises(StorageFileError, match="larger than any storage"):
        load(path)
    with path.open("r+b") as f:
        f.truncate(len(MAGIC) + MAX_BYTES)
    assert len(load(path)) == MAX_BYTES  # the size is fine; its bytes are the game's to judge


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    write_atomic(path, b"old")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageFileError, match="cannot write"):
            write_atomic(path, b"new")
    finally:
        tmp_path.chmod(0o700)
    assert load(path) == b"old"


def test_a_failed_write_into_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "dir").write_bytes(b"a file where the folder should be")
    with pytest.raises(StorageFileError, match="cannot write"):
        write_atomic(tmp_path / "dir" / FILE_NAME, b"x")


def test_written_every_n_ticks_only_when_changed(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    keeper = StorageFile(path, every=3)
    assert [keeper.tick(t, b"a") for t in (1, 2, 3, 4, 5, 6)] == [
        False, False, True, False, False, False]  # tick 6: unchanged
    assert load(path) == b"a"
    assert keeper.tick(9, b"b") and load(path) == b"b"
    assert keeper.save(b"c") and not keeper.save(b"c")  # at shutdown: whenever it changed
    with pytest.raises(ValueError, match="every 1 or more ticks"):
        StorageFile(path, every=0)


COUNTER_TOML = """name = "counter"
version = "1.0.0"
language = "c"
sources = ["counter.c"]
"""

#: A mod that counts the server's starts in its storage and logs the count.
COUNTER_C = r"""
#include <stdio.h>
#include "riscade.h"

RISCADE_HOOK void on_load(void) {
    char n = 0, line[32];
    if (rc_storage_get("starts", 6, (uint64_t)(uintptr_t)&n, 1) != 1)
        n = 0;
    n++;
    rc_storage_set("starts", 6, &n, 1);
    int len = snprintf(line, sizeof line, "start %d", n);
    rc_log(line, (size_t)len);
}

int main(void) { return 0; }
"""


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "riscade_cli.py", "serve", "--port", "0", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_mod_finds_its_storage_after_a_restart(tmp_path: Path) -> None:
    mods = tmp_path / "mods"
    (mods / "counter").mkdir(parents=True)
    (mods / "counter" / "mod.toml").write_text(COUNTER_TOML)
    (mods / "counter" / "counter.c").write_text(COUNTER_C)
    common = ("--mods", str(mods), "--cache", str(tmp_path / "cache" / "build"),
              "--ticks", "3", "--tick-rate", "50")
    first = serve(*common)
    assert first.returncode == 0, first.stderr
    assert "[counter] start 1" in first.stdout
    default = tmp_path / "cache" / "storage" / FILE_NAME  # beside the build cache
    assert default.read_bytes().startswith(MAGIC)
    second = serve(*common)
    assert "[counter] start 2" in second.stdout, second.stdout
    elsewhere = serve(*common, "--storage", str(tmp_path / "other"))
    assert "[counter] start 1" in elsewhere.stdout
    assert load(tmp_path / "other" / FILE_NAME) != load(default)
    default.write_bytes(MAGIC + b"\xff\xff\xff\xff")
    broken = serve(*common)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert "bad storage: malformed storage" in broken.stderr, broken.stderr


@pytest.mark.parametrize("case", ["every 0", "not a storage file"])
def test_serve_refuses_storage_it_cannot_use_before_building(tmp_path: Path, case: str) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / FILE_NAME).write_bytes(b"something else")
    args = ("--storage-every", "0") if case == "every 0" else ()
    done = serve("--mods", str(tmp_path / "no-mods"), "--ticks", "1",
                 "--storage", str(tmp_path / "storage"), *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    phrase = "every 1 or more ticks, not 0" if case == "every 0" else \
        "is not a riscade storage file"
    assert phrase in done.stderr and "building" not in done.stdout
