"""The bundled mods built by the real toolchain (the integration tests' fixture), and a skip
when Pyodide cannot run here (scripts/install.sh installs node, Pyodide and the wheels)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import bundled  # noqa: F401  (a fixture, used by name)
from web.node import missing

needs_pyodide = pytest.mark.skipif(missing() is not None,
                                   reason=f"Pyodide under Node: {missing()}")
