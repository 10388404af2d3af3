"""build_mods: cold and warm builds, the cache, per-mod errors, toolchains, the CLI."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from mods import ModBuildError, ModDependencyError, ModManifestError, ToolchainMissing
from mods.__main__ import main as cli
from mods.build import build_mods, cache_key
from mods.host_api import HOST_API
from mods.manifest import Language, load_manifest

from .conftest import MODS_DIR, SHIPPED

EXPECTED_HOOKS = {
    "movement": ("on_load", "on_player_leave", "on_player_join", "on_input", "on_tick"),
    "pickups": ("on_load", "on_tick", "on_message", "on_save", "on_restore"),
    "greeter": ("on_player_leave", "on_player_join", "on_chat", "on_event", "on_timer",
                "on_mod_disabled"),
    "waypoints": ("on_load", "on_chat", "on_tick"),
}


def by_name(results):
    return {r.name: r for r in results}


def test_cold_build_of_the_shipped_mods(cold_build) -> None:
    assert [r.name for r in cold_build] == [
        "movement", "pickups", "greeter", "waypoints"]  # load order
    for r in cold_build:
        assert r.ok, r.error
        assert not r.cached
        assert r.hooks == EXPECTED_HOOKS[r.name]
        data = r.path.read_bytes()
        assert len(data) == r.size and r.size < 128 * 1024
        assert hashlib.sha256(data).hexdigest() == r.sha256
    assert {r.name: r.language for r in cold_build} == {
        "movement": Language.ZIG, "pickups": Language.C, "greeter": Language.NIM,
        "waypoints": Language.C}


@pytest.mark.parametrize("name", SHIPPED)
def test_built_elf_is_static_riscv_with_global_hooks(shipped, name) -> None:
    elf = ELFFile(io.BytesIO(shipped[name].path.read_bytes()))
    assert elf.header.e_machine == "EM_RISCV" and elf.header.e_type == "ET_EXEC"
    assert elf.elfclass == 64
    kinds = {s["p_type"] for s in elf.iter_segments()}
    assert "PT_INTERP" not in kinds and "PT_DYNAMIC" not in kinds
    assert not any(s.name.startswith(".debug") for s in elf.iter_sections())
    symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols()}
    for hook in EXPECTED_HOOKS[name]:
        assert symbols[hook]["st_info"]["bind"] == "STB_GLOBAL"
        assert symbols[hook]["st_info"]["type"] == "STT_FUNC"
    stack = next(s for s in elf.iter_segments() if s["p_type"] == "PT_GNU_STACK")
    assert stack["p_memsz"] == load_manifest(MODS_DIR / name).limits.stack


@pytest.mark.skipif(shutil.which("qemu-riscv64") is None, reason="qemu-user not installed")
@pytest.mark.parametrize("name", SHIPPED)
def test_built_elf_runs_under_qemu(shipped, name) -> None:
    out = subprocess.run(["qemu-riscv64", str(shipped[name].path)], capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == {"movement": b"", "pickups": b"pickups: ready\n",
                          "greeter": b"greeter: ready\n", "waypoints": b""}[name]


def test_rebuild_with_nothing_changed_compiles_nothing(tmp_path, mods_copy) -> None:
    first = by_name(build_mods(mods_copy, tmp_path / "cache"))
    again = by_name(build_mods(mods_copy, tmp_path / "cache"))
    assert all(r.ok and r.cached for r in again.values())
    assert {n: r.sha256 for n, r in again.items()} == {n: r.sha256 for n, r in first.items()}
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["objects", "tools"]


def test_touching_one_source_rebuilds_only_that_mod(tmp_path, mods_copy) -> None:
    build_mods(mods_copy, tmp_path / "cache")
    source = mods_copy / "pickups" / "pickups.c"
    source.write_text(source.read_text() + "\n/* touched */\n")
    after = by_name(build_mods(mods_copy, tmp_path / "cache"))
    assert {n: r.cached for n, r in after.items()} == {
        "movement": True, "pickups": False, "greeter": True, "waypoints": True}
    assert after["pickups"].ok


def test_editing_a_scenario_rebuilds_nothing(tmp_path, mods_copy) -> None:
    first = by_name(build_mods(mods_copy, tmp_path / "cache"))
    scenarios = mods_copy / "pickups" / "scenarios"
    coins = scenarios / "coins.toml"
    coins.write_text(coins.read_text() + "\n# edited\n")
    (scenarios / "new.toml").write_text("# a new scenario\n")
    again = by_name(build_mods(mods_copy, tmp_path / "cache"))
    assert all(r.ok and r.cached for r in again.values())
    assert again["pickups"].key == first["pickups"].key
    source = mods_copy / "pickups" / "pickups.c"
    source.write_text(source.read_text() + "\n/* touched */\n")
    after = by_name(build_mods(mods_copy, tmp_path / "cache"))
    assert after["pickups"].ok and not after["pickups"].cached


def test_builds_are_reproducible_across_directories(tmp_path, mods_copy, shipped) -> None:
    elsewhere = by_name(build_mods(mods_copy, tmp_path / "other-cache"))
    assert {n: r.sha256 for n, r in elsewhere.items()} == {
        n: r.sha256 for n, r in shipped.items()}


def test_cache_key_covers_sdk_manifest_and_location_independence(tmp_path, mods_copy) -> None:
    spec = load_manifest(mods_copy / "pickups")
    key = cache_key(spec)
    assert key == cache_key(load_manifest(MODS_DIR / "pickups"))  # path-independent
    sdk = tmp_path / "sdk"
    shutil.copytree(MODS_DIR / "sdk", sdk)
    (sdk / "riscade.h").write_text((sdk / "riscade.h").read_text() + "\n")
    assert cache_key(spec, sdk) != key
    assert cache_key(load_manifest(mods_copy / "movement"), sdk) == cache_key(
        load_manifest(mods_copy / "movement"))  # Zig does not read riscade.h
    toml = mods_copy / "pickups" / "mod.toml"
    toml.write_text(toml.read_text().replace("instructions = 500000", "instructions = 500001"))
    assert cache_key(load_manifest(mods_copy / "pickups")) != key


def test_damaged_cache_entry_is_rebuilt(tmp_path, mods_copy) -> None:
    first = by_name(build_mods(mods_copy, tmp_path / "cache"))
    path = first["movement"].path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    again = by_name(build_mods(mods_copy, tmp_path / "cache"))
    assert not again["movement"].cached and again["movement"].sha256 == first["movement"].sha256


SYNTAX_ERRORS = {
    # mod: (file, text appended, a message the compiler prints)
    "pickups": ("pickups.c", "\nint broken(void) { return 1 }\n", "expected ';'"),
    "movement": ("movement.zig", "\nfn broken() void { const x = ; }\n", "expected expression"),
    "greeter": ("greeter.nim", "\nproc broken() =\n  let x = \n", "Error"),
    "waypoints": ("waypoints.c", "\nint broken(void) { return 1 }\n", "expected ';'"),
}


@pytest.mark.parametrize("mod", SHIPPED)
def test_syntax_error_names_file_and_line_and_others_still_build(tmp_path, mods_copy,
                                                                 mod) -> None:
    file, text, message = SYNTAX_ERRORS[mod]
    source = mods_copy / mod / file
    lines_before = source.read_text().count("\n")
    source.write_text(source.read_text() + text)
    results = by_name(build_mods(mods_copy, tmp_path / "cache"))
    error = results[mod].error
    assert isinstance(error, ModBuildError) and error.name == mod and error.rc != 0
    assert message in error.tail
    # the compiler's own location: the real file (not a staging copy) and an appended line
    appended = range(lines_before + 1, lines_before + text.count("\n") + 2)
    assert any(f"{source}:{n}:" in error.tail or f"{source}({n}," in error.tail
               for n in appended), error.tail
    assert all(r.ok for n, r in results.items() if n != mod)


def test_cli_lists_failed_mods_and_exits_nonzero(tmp_path, mods_copy, capsys) -> None:
    source = mods_copy / "pickups" / "pickups.c"
    source.write_text(source.read_text() + "\nint broken(void) { return 1 }\n")
    rc = cli(["build", str(mods_copy), "--cache", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "failed: pickups" in err and "pickups.c:" in err
    assert "movement" in out and "FAILED" in out


def test_cli_builds_and_prints_manifest_json(tmp_path, mods_copy, capsys) -> None:
    import json

    assert cli(["build", str(mods_copy), "--cache", str(tmp_path / "c"), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == ["movement", "pickups", "greeter", "waypoints"]
    assert all(e["host_abi"] == HOST_API.abi_hash() for e in entries)
    assert entries[1]["dependencies"] == ["movement"] and entries[1]["memory"] == 1048576


def test_unknown_on_export_is_rejected(tmp_path) -> None:
    mod = tmp_path / "mods" / "typo"
    mod.mkdir(parents=True)
    (mod / "mod.toml").write_text('name = "typo"\nversion = "1.0.0"\nlanguage = "c"\n'
                                  'sources = ["typo.c"]\n')
    (mod / "typo.c").write_text('#include "riscade.h"\n'
                                "RISCADE_HOOK void on_tik(int64_t t) { (void)t; }\n"
                                "int main(void) { return 0; }\n")
    [result] = build_mods(tmp_path / "mods", tmp_path / "cache")
    assert isinstance(result.error, ModBuildError) and result.error.rc == 0
    assert "on_tik" in str(result.error) and "on_tick" in str(result.error)


def test_missing_nim_says_what_to_install(tmp_path, mods_copy, monkeypatch) -> None:
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda n, *a, **k: None if n == "nim" else
                        real_which(n, *a, **k))
    results = by_name(build_mods(mods_copy, tmp_path / "cache"))
    error = results["greeter"].error
    assert isinstance(error, ToolchainMissing)
    assert "apt-get install nim" in str(error)
    assert results["pickups"].ok and results["movement"].ok


def test_missing_ziglang_says_what_to_install(tmp_path, mods_copy, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: None if n == "ziglang" else real(n, *a))
    results = build_mods(mods_copy, tmp_path / "cache")
    for r in results:
        assert isinstance(r.error, ToolchainMissing)
        assert "pip install ziglang==0.17.1" in str(r.error)


def test_invalid_manifest_stops_the_build(tmp_path, mods_copy, capsys) -> None:
    (mods_copy / "greeter" / "mod.toml").write_text('name = "greeter"\nlanguage = "rust"\n')
    with pytest.raises(ModManifestError) as info:
        build_mods(mods_copy, tmp_path / "cache")
    assert "language 'rust' is not one of c, zig, nim" in str(info.value)
    assert not (tmp_path / "cache").exists()
    assert cli(["build", str(mods_copy), "--cache", str(tmp_path / "cache")]) == 2
    assert "rust" in capsys.readouterr().err


def test_dependency_errors_stop_the_build(tmp_path, mods_copy) -> None:
    toml = mods_copy / "movement" / "mod.toml"
    toml.write_text(toml.read_text().replace("dependencies = []", 'dependencies = ["greeter"]'))
    with pytest.raises(ModDependencyError) as info:
        build_mods(mods_copy, tmp_path / "cache")
    assert info.value.cycle == ("greeter", "pickups", "movement", "greeter")
    shutil.rmtree(mods_copy / "movement")
    with pytest.raises(ModDependencyError) as info:
        build_mods(mods_copy, tmp_path / "cache")
    assert info.value.missing == ("movement",)
    assert "'pickups' depends on missing mod(s): movement" in str(info.value)


def test_stale_sdk_stops_the_build(tmp_path, mods_copy) -> None:
    from mods import ModError

    sdk = tmp_path / "sdk"
    shutil.copytree(MODS_DIR / "sdk", sdk)
    (sdk / "riscade.zig").write_text("// edited by hand\n")
    with pytest.raises(ModError, match="riscade.zig .* stale"):
        build_mods(mods_copy, tmp_path / "cache", sdk_dir=sdk)


def test_sdk_dir_is_found_from_any_cwd(tmp_path, mods_copy, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert all(r.ok for r in build_mods(Path("mods"), Path("cache")))


def test_zig_mod_gets_std_options_from_the_build(shipped) -> None:
    """movement.zig declares no std_options or panic: the build's root file supplies them,
    so the ELF has no signal stack (elfcheck refuses one) and its hooks are exported."""
    source = (MODS_DIR / "movement" / "movement.zig").read_text()
    assert "std_options" not in source and "export fn" not in source
    assert shipped["movement"].hooks == EXPECTED_HOOKS["movement"]
