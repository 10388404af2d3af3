"""Builds run in bubblewrap: a mod's compiler cannot run host programs, write outside its
scratch folder, or compile a host file into the ELF that every client downloads.

Every test builds real hostile mods with the real toolchain next to an honest mod, which
must still build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mods import ModBuildError, ToolchainMissing
from mods.build import SANDBOX_HINT, build_mods

from .build_mods import stage

SECRET = "riscade-test-secret-7f3a9c"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A host file outside every mod's folder (next to the mods dir)."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def build(mods_dir: Path, cache: Path) -> dict:
    return {r.name: r for r in build_mods(mods_dir, cache)}


def assert_honest_ok(results: dict) -> None:
    honest = results["honest"]
    assert honest.ok, honest.error
    assert honest.hooks == ("on_tick",)


def assert_refused(result, *, leaked: bytes = SECRET.encode()) -> str:
    """The build failed with a ModBuildError naming the mod; nothing was shipped."""
    assert not result.ok and result.path is None
    assert isinstance(result.error, ModBuildError) and result.error.name == result.name
    text = str(result.error)
    assert f"mod {result.name!r}" in text
    return text


def test_nim_static_exec_cannot_touch_the_host(tmp_path, secret) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    mods = stage(tmp_path / "mods", "honest", "nim_static_exec", outside=str(outside))
    results = build(mods, tmp_path / "cache")
    assert_honest_ok(results)
    assert not (outside / "pwned").exists()
    hostile = results["nim_static_exec"]
    if hostile.ok:  # the commands ran in the sandbox, where they could do nothing
        data = hostile.path.read_bytes()
        assert b"root:x:0:0" not in data  # no /etc/passwd
        assert b"cat: not found" in data and b"id: not found" in data  # no programs
        assert b"Directory nonexistent" in data  # the folder is not there for it
    assert not (outside / "pwned").exists()


def test_nim_static_read_of_a_host_file_fails(tmp_path, secret) -> None:
    mods = stage(tmp_path / "mods", "honest", "nim_static_read", secret=str(secret))
    results = build(mods, tmp_path / "cache")
    assert_honest_ok(results)
    text = assert_refused(results["nim_static_read"])
    assert SANDBOX_HINT in text and SECRET not in text
    assert f"reads outside the mod's folder: {secret}" in text


@pytest.mark.parametrize("mod", ["c_incbin", "c_embed"])
@pytest.mark.parametrize("target", ["secret", "/etc/hostname", "/etc/passwd"])
def test_c_embeds_of_host_files_fail(tmp_path, secret, mod, target) -> None:
    path = str(secret) if target == "secret" else target
    mods = stage(tmp_path / "mods", "honest", mod, secret=path)
    results = build(mods, tmp_path / "cache")
    assert_honest_ok(results)
    text = assert_refused(results[mod])
    assert SANDBOX_HINT in text
    assert f"reads outside the mod's folder: {path}" in text
    assert SECRET not in text  # the message names the file, never its content


def test_a_build_does_not_see_its_own_scenarios(tmp_path) -> None:
    """Scenarios are no build input (editing one rebuilds nothing), so the build cannot
    read them either: an .incbin of the mod's own scenario file fails."""
    scenario = tmp_path / "mods" / "c_incbin" / "scenarios" / "secret.toml"
    mods = stage(tmp_path / "mods", "honest", "c_incbin", secret=str(scenario))
    scenario.parent.mkdir()
    scenario.write_text(f"# {SECRET}\n")
    results = build(mods, tmp_path / "cache")
    assert_honest_ok(results)
    text = assert_refused(results["c_incbin"])
    assert SECRET not in text and "secret.toml" in text
    assert scenario.read_text() == f"# {SECRET}\n"  # the folder was hidden, not emptied


@pytest.mark.parametrize("target", ["secret", "/etc/passwd"])
def test_zig_embed_through_a_symlink_out_of_the_mod_fails(tmp_path, secret, target) -> None:
    path = str(secret) if target == "secret" else target
    mods = stage(tmp_path / "mods", "honest", "zig_embed_link")
    (mods / "zig_embed_link" / "secret.txt").symlink_to(path)
    results = build(mods, tmp_path / "cache")
    assert_honest_ok(results)
    text = assert_refused(results["zig_embed_link"])
    assert "reads outside the mod's folder" in text and f"secret.txt -> {path}" in text


def test_a_symlink_inside_the_mod_is_fine(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "honest")
    (mods / "honest" / "alias.c").symlink_to("honest.c")
    assert_honest_ok(build(mods, tmp_path / "cache"))


def test_the_sandbox_itself_refuses_what_the_link_check_would_miss(tmp_path, secret) -> None:
    """An absolute path (no symlink at all) to a file next to the mods dir: not visible."""
    mods = stage(tmp_path / "mods", "honest", "c_incbin", secret=str(secret))
    results = build(mods, tmp_path / "cache")
    assert "could not find incbin file" in str(results["c_incbin"].error).lower()


def test_missing_bwrap_fails_the_build_and_never_builds_unsandboxed(tmp_path,
                                                                    monkeypatch) -> None:
    mods = stage(tmp_path / "mods", "honest")
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which",
                        lambda n, *a, **k: None if n == "bwrap" else real_which(n, *a, **k))
    result = build(mods, tmp_path / "cache")["honest"]
    assert isinstance(result.error, ToolchainMissing)
    assert "bubblewrap" in str(result.error) and "apt-get install bubblewrap" in str(
        result.error)
    assert not (tmp_path / "cache" / "objects").exists() or not any(
        (tmp_path / "cache" / "objects").iterdir())


def test_build_sees_a_clean_environment(tmp_path, monkeypatch) -> None:
    """A variable of the server's environment does not reach the compiler."""
    monkeypatch.setenv("RISCADE_TEST_TOKEN", SECRET)
    mods = stage(tmp_path / "mods", "honest", "nim_static_exec",
                 outside=str(tmp_path))
    source = mods / "nim_static_exec" / "static_exec.nim"
    source.write_text(source.read_text().replace(
        'staticExec("', 'staticExec("echo token=$RISCADE_TEST_TOKEN; '))
    results = build(mods, tmp_path / "cache")
    hostile = results["nim_static_exec"]
    assert hostile.ok, hostile.error
    assert SECRET.encode() not in hostile.path.read_bytes()
    assert os.environ["RISCADE_TEST_TOKEN"] == SECRET
