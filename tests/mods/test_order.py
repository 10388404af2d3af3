"""Dependency (load) order: topological, ties by name; missing and cyclic dependencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from mods import ModDependencyError
from mods.manifest import Language, ModSpec
from mods.order import load_order


def spec(name: str, *deps: str) -> ModSpec:
    return ModSpec(name, "1.0.0", Language.C, ("x.c",), Path("/mods") / name, deps)


def names(specs: list[ModSpec]) -> list[str]:
    return [s.name for s in specs]


def test_independent_mods_load_by_name() -> None:
    assert names(load_order([spec("c"), spec("a"), spec("b")])) == ["a", "b", "c"]


def test_dependencies_first_then_names() -> None:
    mods = [spec("app", "zlib", "core"), spec("zlib"), spec("core"), spec("extra", "core"),
            spec("ui", "app")]
    assert names(load_order(mods)) == ["core", "extra", "zlib", "app", "ui"]


def test_order_does_not_depend_on_input_order() -> None:
    mods = [spec("b", "a"), spec("a"), spec("d", "b", "c"), spec("c", "a")]
    assert names(load_order(mods)) == names(load_order(list(reversed(mods)))) == [
        "a", "b", "c", "d"]


def test_missing_dependency() -> None:
    with pytest.raises(ModDependencyError) as info:
        load_order([spec("a", "ghost", "b"), spec("b")])
    assert (info.value.name, info.value.missing) == ("a", ("ghost",))
    assert str(info.value) == "mod 'a' depends on missing mod(s): ghost"


@pytest.mark.parametrize("mods, cycle", [
    ([spec("a", "b"), spec("b", "a")], ("a", "b", "a")),
    ([spec("x", "y"), spec("y", "z"), spec("z", "x"), spec("w", "x"), spec("ok")],
     ("x", "y", "z", "x")),
    ([spec("top", "mid"), spec("mid", "low"), spec("low", "mid")], ("low", "mid", "low")),
])
def test_cycles_are_reported_as_a_path(mods, cycle) -> None:
    with pytest.raises(ModDependencyError) as info:
        load_order(mods)
    assert info.value.cycle == cycle
    assert str(info.value) == "mod dependency cycle: " + " -> ".join(cycle)
