"""Fixtures for VM tests: guest programs compiled with the real toolchain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.vm.toolchain import DEFAULT_CACHE_DIR, compile_c

GUESTS = Path(__file__).parent / "guests"


@pytest.fixture(scope="session")
def callee_elf() -> bytes:
    """tests/vm/guests/callee.c at -O2 (compressed instructions on)."""
    path = compile_c(GUESTS / "callee.c", opt="O2", compressed=True, out_dir=DEFAULT_CACHE_DIR)
    return path.read_bytes()
