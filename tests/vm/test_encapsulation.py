"""No vm module reaches into another's private members.

Every ``.py`` file under ``vm/`` is parsed with :mod:`ast` (nothing is imported). An attribute
access ``x._name`` (a single leading underscore, not a dunder) where ``x`` is not ``self`` or
``cls`` is allowed only in a module that defines ``_name`` itself (a function, class, module
name or ``self._name`` assignment): a module may use its own private helpers on objects it
made, never another module's. Private names are not imported across modules either.
"""

from __future__ import annotations

import ast
from pathlib import Path

VM = Path(__file__).resolve().parent.parent.parent / "vm"

#: Known exceptions not yet removed, as "file: access". Empty: keep it so.
KNOWN: frozenset[str] = frozenset()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined(tree: ast.AST) -> set[str]:
    """Names a module defines: functions, classes, assigned names, ``self.<name> = ...``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id == "self"):
            names.add(node.attr)
    return names


def violations(source: str, where: str) -> list[str]:
    """Accesses of another module's private members in ``source`` (``where`` names it)."""
    tree = ast.parse(source)
    own = _defined(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"{where}:{node.lineno}: imports {a.name}" for a in node.names
                      if _private(a.name)]
    return found


def test_no_vm_module_touches_another_modules_privates() -> None:
    files = sorted(p for p in VM.rglob("*.py") if "__pycache__" not in p.parts)
    assert len(files) > 15, "the scan found the vm package"
    found: list[str] = []
    for path in files:
        found += violations(path.read_text(), str(path.relative_to(VM.parent)))
    unknown = [v for v in found if _without_line(v) not in KNOWN]
    assert unknown == []
    stale = KNOWN - {_without_line(v) for v in found}
    assert not stale, f"fixed: remove {sorted(stale)} from KNOWN"


def _without_line(violation: str) -> str:
    where, line, what = violation.split(":", 2)
    return f"{where}:{what}"


def test_the_check_can_fail() -> None:
    source = (
        "from .machine import _CallReturn\n"
        "class Engine:\n"
        "    def __init__(self, m):\n"
        "        self._own = 1\n"
        "        m._frames.append(self._own)\n"
        "    def run(self, other):\n"
        "        return other._own + type(self)._own\n"
    )
    assert violations(source, "x.py") == ["x.py:1: imports _CallReturn",
                                          "x.py:5: m._frames"]
