"""The project's import graph has no cycle, and shared constants are defined once.

Every ``.py`` file of the project's packages is parsed with :mod:`ast` (nothing is imported),
and every import of a project module becomes an edge of a module graph: imports at module level
*and* inside functions and methods (an import in a function body runs the first time the function
is called, so it takes part in a cycle exactly as a top-level one does; moving an import into a
function to dodge a cycle hides the cycle, it does not remove it), absolute and relative forms.

Imports under ``if TYPE_CHECKING:`` are not counted: they never execute, so they cannot take part
in an import cycle at run time, and annotations naming a type from a module "above" are how a
lower module documents what it is handed without depending on it.

Resolution follows what the interpreter runs:

- ``import a.b.c`` and ``from a.b import c`` (``c`` a submodule) depend on ``a.b.c``;
  ``from a.b import name`` (``name`` not a submodule) depends on ``a.b``'s ``__init__``.
- Importing ``a.b.c`` also runs the ``__init__`` of each enclosing package that the importing
  module is not itself inside (those are already being imported when it runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The project's importable packages and top-level modules.
PACKAGES = ("vm", "mods", "protocol", "game", "lockstep", "server", "client", "web", "bench")
MODULES = ("riscade_cli",)

#: Known cycles not yet broken, each as the sorted tuple of its modules. Empty: keep it so.
KNOWN_CYCLES: frozenset[tuple[str, ...]] = frozenset()

#: Constants that must be assigned at module level in exactly one project module.
SHARED_CONSTANTS = ("EXIT_ADDR", "NEVER", "M", "S", "HI32", "BOX", "PAGE")

#: Literal values that are written out in one module only (the one defining the constant).
#: A copy under another name (``_EXIT = 0xFFFF_FFFF_FFFF_F000``) is caught by its value.
UNIQUE_LITERALS = {"EXIT_ADDR": 0xFFFF_FFFF_FFFF_F000}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    """Map every project module's dotted name to its file."""
    files = [ROOT / f"{m}.py" for m in MODULES]
    for pkg in PACKAGES:
        files.extend(p for p in (ROOT / pkg).rglob("*.py") if "__pycache__" not in p.parts)
    return {_module_name(p): p for p in sorted(files)}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can execute: anywhere but an ``if TYPE_CHECKING:`` body."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom,
             modules: set[str]) -> set[str]:
    """The project modules that executing ``node`` in module ``name`` may run."""
    is_pkg = path.name == "__init__.py"
    wanted: set[str] = set()
    if isinstance(node, ast.Import):
        wanted.update(alias.name for alias in node.names)
    else:
        if node.level:
            base = name.split(".") if is_pkg else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            if node.module:
                base = base + node.module.split(".")
            origin = ".".join(base)
        else:
            origin = node.module or ""
        for alias in node.names:
            sub = f"{origin}.{alias.name}"
            wanted.add(sub if sub in modules else origin)
    own = set()
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        own.add(".".join(parts[:i]))
    result: set[str] = set()
    for target in wanted:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            mod = ".".join(parts[:i])
            if mod in modules and (mod == target or mod not in own):
                result.add(mod)
    result.discard(name)
    return result


def import_graph() -> dict[str, set[str]]:
    """Map each project module to the project modules its executable imports run."""
    sources = _sources()
    modules = set(sources)
    graph: dict[str, set[str]] = {}
    for name, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(name, path, node, modules)
        graph[name] = edges
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; returns every component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        comp.append(top)
                        if top == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _one_cycle(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """A shortest import path from ``comp[0]`` back to itself inside the component."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = prev[node]
                    return [start, *reversed(path[1:]), start]
                if child not in prev:
                    prev[child] = node
                    nxt.append(child)
        frontier = nxt
    return comp


def test_graph_sees_the_project() -> None:
    """The scan finds the packages and real edges (so an empty graph cannot pass vacuously)."""
    graph = import_graph()
    assert {"vm.machine", "game.simulation", "server.app", "riscade_cli"} <= set(graph)
    assert "vm.decoder" in graph["vm.interpreter"]
    assert "protocol" in graph["client.session"] or any(
        m.startswith("protocol") for m in graph["client.session"])


def test_resolution_of_import_forms(tmp_path: Path) -> None:
    """Function-level and relative imports count; TYPE_CHECKING-only ones do not."""
    src = (
        "from typing import TYPE_CHECKING\n"
        "from . import decoder\n"
        "from .memory import Memory\n"
        "if TYPE_CHECKING:\n"
        "    from .translate import Translator\n"
        "def f():\n"
        "    from vm.fpu import x\n"
        "    import game.world\n"
    )
    path = ROOT / "vm" / "example.py"
    modules = {"vm", "vm.decoder", "vm.memory", "vm.translate", "vm.fpu", "game", "game.world",
               "vm.example"}
    found: set[str] = set()
    for node in _imports(ast.parse(src)):
        found |= _targets("vm.example", path, node, modules)
    assert found == {"vm.decoder", "vm.memory", "vm.fpu", "game", "game.world"}


def test_cycle_finder_finds_a_cycle() -> None:
    """The detector itself can fail: a three-module ring is reported as a ring."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    comps = strongly_connected(graph)
    assert comps == [["a", "b", "c"]]
    assert _one_cycle(graph, comps[0]) == ["a", "b", "c", "a"]


def test_no_import_cycle() -> None:
    """No project module reaches itself through imports that execute (see module docstring)."""
    graph = import_graph()
    new = [c for c in strongly_connected(graph) if tuple(c) not in KNOWN_CYCLES]
    report = "\n".join(
        f"cycle among {len(c)} modules: {' -> '.join(_one_cycle(graph, c))}" for c in new)
    assert not new, "import cycle(s):\n" + report


def _module_level_assignments(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


def test_shared_constants_defined_once() -> None:
    """Each shared constant is assigned at module level in one module; others import it."""
    where: dict[str, list[str]] = {c: [] for c in SHARED_CONSTANTS}
    literal_sites: dict[str, list[str]] = {c: [] for c in UNIQUE_LITERALS}
    for name, path in _sources().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for const in SHARED_CONSTANTS:
            if const in _module_level_assignments(tree):
                where[const].append(name)
        for const, value in UNIQUE_LITERALS.items():
            if any(isinstance(n, ast.Constant) and type(n.value) is int and n.value == value
                   for n in ast.walk(tree)):
                literal_sites[const].append(name)
    wrong = {c: mods for c, mods in where.items() if len(mods) != 1}
    assert not wrong, f"constants not defined in exactly one module: {wrong}"
    copies = {c: mods for c, mods in literal_sites.items() if len(mods) != 1}
    assert not copies, f"value of a constant written out in more than one module: {copies}"
