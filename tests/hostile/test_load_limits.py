"""One mod never stops the server from starting: an ELF over its memory limit fails its
own build, a tampered cache entry is rebuilt, and start-up leaves out (with a one-line
reason) any mod a real vm.Machine cannot load, and its dependents, serving the rest."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

from game.simulation import ModImage, Simulation
from mods import ModBuildError
from mods.build import build_mods
from server.startup import load_error, prepare_mods

from .build_mods import stage


def test_static_data_over_the_memory_limit_fails_that_build_only(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "honest", "big_static")
    results = {r.name: r for r in build_mods(mods, tmp_path / "cache")}
    assert results["honest"].ok
    error = results["big_static"].error
    assert isinstance(error, ModBuildError) and error.rc == 0
    reason = error.tail
    assert "\n" not in reason and "memory limit 983040" in reason  # 1 MiB - 64 KiB stack
    assert "[limits] memory = 1048576" in reason


def test_startup_serves_the_rest_and_names_each_left_out_mod(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "honest", "big_static", "needs_big")
    prepared = prepare_mods(mods, tmp_path / "cache")
    assert [m.entry.name for m in prepared.served] == ["honest"]
    assert set(prepared.failed) == {"big_static", "needs_big"}
    assert prepared.failed["needs_big"] == "depends on big_static, which failed"
    sim = Simulation([m.image for m in prepared.served])  # what the server runs
    assert sim.faults == []


def _tamper(path: Path, data: bytes) -> None:
    """Replace a cached ELF and make its metadata agree (sha256 and size)."""
    path.write_bytes(data)
    meta_path = path.parent / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    meta_path.write_text(json.dumps(meta))


def _huge_memsz(elf: bytes) -> bytes:
    """The ELF with its last PT_LOAD's memsz set to 2**40."""
    data = bytearray(elf)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    last = max(i for i in range(phnum)
               if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1)
    struct.pack_into("<Q", data, phoff + last * phentsize + 0x28, 1 << 40)
    return bytes(data)


def _wrong_machine(elf: bytes) -> bytes:
    return elf[:0x12] + struct.pack("<H", 62) + elf[0x14:]  # EM_X86_64


def test_tampered_cache_entries_are_rebuilt_never_trusted(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "honest")
    first = build_mods(mods, tmp_path / "cache")[0]
    assert first.ok
    original = first.path.read_bytes()
    for tamper in (_huge_memsz, _wrong_machine):
        _tamper(first.path, tamper(original))
        again = build_mods(mods, tmp_path / "cache")[0]
        assert again.ok and not again.cached, tamper.__name__
        assert again.sha256 == first.sha256 and again.path.read_bytes() == original
        assert build_mods(mods, tmp_path / "cache")[0].cached  # the good entry is back


def test_startup_leaves_out_a_file_changed_after_the_build(tmp_path, monkeypatch) -> None:
    """A built file swapped between the build and the load (sha256 differs)."""
    import server.startup as startup

    mods = stage(tmp_path / "mods", "honest", "needs_big")
    (mods / "needs_big" / "mod.toml").write_text(
        (mods / "needs_big" / "mod.toml").read_text().replace('"big_static"', '"honest"'))
    real_build = startup.build_mods

    def build_then_tamper(*args, **kwargs):
        results = real_build(*args, **kwargs)
        honest = next(r for r in results if r.name == "honest")
        honest.path.write_bytes(_huge_memsz(honest.path.read_bytes()))
        return results

    monkeypatch.setattr(startup, "build_mods", build_then_tamper)
    prepared = prepare_mods(mods, tmp_path / "cache")
    assert prepared.served == []
    assert "sha256 differs" in prepared.failed["honest"]
    assert prepared.failed["needs_big"] == "depends on honest, which failed"


def test_load_error_is_one_line_for_hostile_elves(tmp_path) -> None:
    mods = stage(tmp_path / "mods", "honest")
    elf = build_mods(mods, tmp_path / "cache")[0].path.read_bytes()
    assert load_error(ModImage("honest", elf, memory=1 << 20, stack=64 << 10)) is None
    for bad in (_huge_memsz(elf), _wrong_machine(elf), elf[:100], b"\x7fELF" + bytes(60)):
        reason = load_error(ModImage("honest", bad, memory=1 << 20, stack=64 << 10))
        assert reason is not None and reason.startswith("cannot load: ")
        assert "\n" not in reason
