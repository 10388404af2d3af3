"""One exception tree per package: every public exception class a package defines derives
from that package's base, and each base's module draws the tree in its docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from client.session import ClientError
from game.errors import GameError
from lockstep.errors import LockstepError
from mods.errors import ModError
from protocol.errors import ProtocolError
from vm.errors import VMError

BASES: dict[str, type[Exception]] = {
    "vm": VMError, "mods": ModError, "protocol": ProtocolError, "game": GameError,
    "lockstep": LockstepError, "client": ClientError,
}


def exceptions_of(package: str) -> list[type[BaseException]]:
    """Public exception classes defined (not imported) in the modules of ``package``."""
    root = importlib.import_module(package)
    names = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules(root.__path__)
                         if m.name != "__main__"]
    found = []
    for name in names:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == name and not attr.startswith("_")):
                found.append(value)
    return found


@pytest.mark.parametrize("package", sorted(BASES))
def test_every_exception_of_a_package_has_its_base(package: str) -> None:
    found = exceptions_of(package)
    assert BASES[package] in found
    strays = [cls.__qualname__ for cls in found if not issubclass(cls, BASES[package])]
    assert strays == []


@pytest.mark.parametrize("package", sorted(set(BASES) - {"client"}))
def test_the_tree_is_drawn_where_the_base_is_defined(package: str) -> None:
    doc = inspect.getmodule(BASES[package]).__doc__ or ""
    for cls in exceptions_of(package):
        assert cls.__name__ in doc, f"{cls.__name__} is missing from the tree"
