"""mod.toml parsing and validation, and mod discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from mods import ModManifestError
from mods.manifest import Language, Limits, discover, load_manifest

from .conftest import MODS_DIR, SHIPPED

GOOD = """\
name = "demo"
version = "0.2.10"
language = "c"
sources = ["a.c", "b.c"]
dependencies = ["movement"]
description = "a demo"

[limits]
memory = 2_097_152
stack = 65536
instructions = 12345
"""


def write_mod(root: Path, toml: str, name: str = "demo",
              files: tuple[str, ...] = ("a.c", "b.c")) -> Path:
    mod = root / name
    mod.mkdir(parents=True, exist_ok=True)
    (mod / "mod.toml").write_text(toml)
    for f in files:
        (mod / f).write_text("int x;\n")
    return mod


def problems(tmp_path: Path, toml: str, **kw) -> str:
    with pytest.raises(ModManifestError) as info:
        load_manifest(write_mod(tmp_path, toml, **kw))
    assert info.value.path.name == "mod.toml"
    return str(info.value)


def test_valid_manifest(tmp_path) -> None:
    spec = load_manifest(write_mod(tmp_path, GOOD))
    assert (spec.name, spec.version, spec.language) == ("demo", "0.2.10", Language.C)
    assert spec.sources == ("a.c", "b.c") and spec.dependencies == ("movement",)
    assert spec.limits == Limits(memory=2 << 20, stack=65536, instructions=12345)
    assert spec.source_paths()[0] == (tmp_path / "demo" / "a.c").resolve()


def test_defaults(tmp_path) -> None:
    spec = load_manifest(write_mod(tmp_path, 'name = "demo"\nversion = "1.0.0"\n'
                                             'language = "c"\nsources = ["a.c"]\n'))
    assert spec.dependencies == () and spec.description == ""
    assert spec.limits == Limits(memory=4 << 20, stack=256 << 10, instructions=500_000)
    assert spec.permissions == ()


def test_permissions(tmp_path) -> None:
    base = 'name = "demo"\nversion = "1.0.0"\nlanguage = "c"\nsources = ["a.c"]\n'
    spec = load_manifest(write_mod(tmp_path, base + 'permissions = ["players"]\n'))
    assert spec.permissions == ("players",)
    with pytest.raises(ModManifestError, match="permission 'root' is not one of entities, players"):
        load_manifest(write_mod(tmp_path, base + 'permissions = ["root"]\n'))


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('language = "c"', 'language = "rust"'),
     "language 'rust' is not one of c, zig, nim"),
    (lambda t: t.replace('version = "0.2.10"', 'version = "1.0"'),
     "version '1.0' must be MAJOR.MINOR.PATCH"),
    (lambda t: t.replace('version = "0.2.10"', "version = 1"),
     "'version' must be a string, not int"),
    (lambda t: t.replace('name = "demo"', 'name = "other"'),
     "name 'other' differs from the directory name 'demo'"),
    (lambda t: t.replace('name = "demo"', 'name = "Demo!"'), "name 'Demo!' must match"),
    (lambda t: t.replace('name = "demo"\n', ""), "missing required key 'name'"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = ["missing.c"]'),
     "source 'missing.c' does not exist"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = ["../a.c"]'),
     "source '../a.c' must be a relative path inside the mod"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = ["/etc/passwd"]'),
     "must be a relative path inside the mod"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = []'), "'sources' is empty"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = ["./scenarios/a.c"]'),
     "source './scenarios/a.c' lies in scenarios/, which builds never see"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = [""]'),
     "source '' "),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = "a.c"'),
     "'sources' must be a list of strings"),
    (lambda t: t.replace('sources = ["a.c", "b.c"]', 'sources = ["a.c", "a.c"]'),
     "'sources' lists a.c more than once"),
    (lambda t: t.replace('language = "c"', 'language = "zig"'),
     "source 'a.c' is not a zig file (expected suffix .zig)"),
    (lambda t: t.replace('["movement"]', '["demo"]'), "a mod cannot depend on itself"),
    (lambda t: t.replace('["movement"]', '["Bad Name"]'), "dependency 'Bad Name' is not"),
    (lambda t: 'colour = "red"\n' + t, "unknown key(s) colour"),
    (lambda t: t.replace("memory = 2_097_152", "memory = 100"),
     "limits.memory = 100 is outside 65536..16777216"),
    (lambda t: t.replace("memory = 2_097_152", "memory = 100_000"),
     "limits.memory = 100000 is not a multiple of 4096"),
    (lambda t: t.replace("stack = 65536", "stack = 2_097_152"),
     "limits.stack = 2097152 is outside 16384..1048576"),
    (lambda t: t.replace("instructions = 12345", "instructions = true"),
     "limits.instructions must be an integer"),
    (lambda t: t.replace("instructions = 12345", "instructions = 12345\ngas = 1"),
     "unknown limit(s) gas"),
    (lambda t: t.replace("[limits]", "limits = 3\n[other]"), "'limits' must be a table"),
    (lambda t: t.replace('name = "demo"', 'name = "demo'), "not valid TOML"),
])
def test_invalid_manifests(tmp_path, edit, message) -> None:
    assert message in problems(tmp_path, edit(GOOD))


def test_every_problem_is_reported_at_once(tmp_path) -> None:
    text = problems(tmp_path, 'name = "demo"\nlanguage = "cobol"\nsources = []\n')
    for message in ("missing required key 'version'", "language 'cobol'", "'sources' is empty"):
        assert message in text


def test_missing_manifest(tmp_path) -> None:
    (tmp_path / "demo").mkdir()
    with pytest.raises(ModManifestError, match="no mod.toml"):
        load_manifest(tmp_path / "demo")


def test_discover_finds_mods_sorted_and_skips_other_directories(tmp_path) -> None:
    write_mod(tmp_path, GOOD.replace('"demo"', '"zeta"'), name="zeta")
    write_mod(tmp_path, GOOD, name="demo")
    (tmp_path / "notes").mkdir()
    (tmp_path / "README.md").write_text("hi")
    assert [s.name for s in discover(tmp_path)] == ["demo", "zeta"]
    with pytest.raises(ModManifestError, match="not a directory"):
        discover(tmp_path / "README.md")


def test_shipped_mods_are_valid() -> None:
    specs = {s.name: s for s in discover(MODS_DIR)}
    assert set(specs) == set(SHIPPED)  # mods/sdk has no mod.toml
    assert {s.language for s in specs.values()} == set(Language)
