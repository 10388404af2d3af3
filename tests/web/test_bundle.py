"""The client's Python bundle: deterministic bytes, the running modules' own files, and nothing
in it imports what the browser lacks (only the bundle, the standard library and the wheels)."""

from __future__ import annotations

import ast
import io
import sys
import zipfile
from pathlib import Path

from web.bundle import LEFT_OUT, PACKAGES, build_bundle
from web.wheels import WHEELS

ROOT = Path(__file__).resolve().parents[2]
#: What the wheels provide, by import name.
FROM_WHEELS = {"msgpack", "elftools"}


def test_the_same_sources_give_the_same_bytes() -> None:
    one, two = build_bundle(), build_bundle()
    assert one.data == two.data and one.sha256 == two.sha256
    assert set(WHEELS) == {"msgpack", "pyelftools"}
    infos = zipfile.ZipFile(io.BytesIO(one.data)).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)


def test_a_changed_source_changes_the_hash(tmp_path: Path) -> None:
    pkg = tmp_path / "probe_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("X = 1\n")
    sys.path.insert(0, str(tmp_path))
    try:
        first = build_bundle({"probe_pkg": None})
        (pkg / "__init__.py").write_text("X = 2\n")
        assert build_bundle({"probe_pkg": None}).sha256 != first.sha256
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("probe_pkg", None)


def _imported(tree: ast.AST) -> list[str]:
    """The absolute module names a file imports (``from a.b import c`` gives ``a.b``)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
    return out


def test_the_bundle_imports_only_what_the_browser_has() -> None:
    bundle = zipfile.ZipFile(io.BytesIO(build_bundle().data))
    members = set(bundle.namelist())
    assert not members & LEFT_OUT
    allowed = set(PACKAGES) | set(sys.stdlib_module_names) | FROM_WHEELS
    wrong = []
    for name in sorted(members):
        for module in _imported(ast.parse(bundle.read(name), name)):
            parts = module.split(".")
            if parts[0] not in allowed:
                wrong.append(f"{name} imports {module}: not in the browser")
            elif parts[0] in PACKAGES and len(parts) > 1 and not (
                    f"{'/'.join(parts)}.py" in members
                    or f"{'/'.join(parts)}/__init__.py" in members):
                wrong.append(f"{name} imports {module}: not in the bundle")
    assert wrong == []
