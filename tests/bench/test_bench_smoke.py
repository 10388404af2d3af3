"""Smoke test of the benchmark suite: ``python -m bench --quick`` runs every kernel on every
runtime it can and all of them compute the same checksums. A correctness check only: no
timing is asserted (timings depend on the machine and its load).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ("fib", "loop", "mixed", "nbody", "strings")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"exit status {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "kernel" in proc.stdout and "calls:" in proc.stdout, proc.stdout
    return json.loads(out.read_text())


def test_machine_is_named(results: dict) -> None:
    machine = results["machine"]
    assert machine["cpu"] and machine["python"] and machine["cores"] >= 1


@pytest.mark.parametrize("kernel", KERNELS)
def test_checksums_agree_across_runtimes(results: dict, kernel: str) -> None:
    rows = [r for r in results["kernels"] if r["kernel"] == kernel]
    by_runtime = {r["runtime"]: r for r in rows}
    assert "riscade-interp" in by_runtime and "cpython" in by_runtime, sorted(by_runtime)
    checksums = {name: r["checksum"] for name, r in by_runtime.items()}
    assert len(set(checksums.values())) == 1, checksums
    assert all(r["checksum_ok"] for r in rows)
    vm = by_runtime["riscade-interp"]
    assert vm["instret"] > 0 and vm["seconds"] > 0


@pytest.mark.parametrize(("runtime", "module"),
                         [("wasmtime", "wasmtime"), ("luajit", "lupa"), ("lua54", "lupa")])
def test_optional_runtime_ran(results: dict, runtime: str, module: str) -> None:
    if not _installed(module):
        pytest.skip(f"{module} is not installed (pip install '.[bench]')")
    kernels = {r["kernel"] for r in results["kernels"] if r["runtime"] == runtime}
    assert kernels == set(KERNELS), (runtime, results["skipped"])


def test_engines_each_have_rows_or_a_reason(results: dict) -> None:
    skipped = {s["runtime"] for s in results["skipped"] if s["row"] == "all"}
    for engine in ("riscade-interp", "riscade-translate"):
        has_rows = any(r["runtime"] == engine for r in results["kernels"])
        assert has_rows or engine in skipped, engine


def test_call_rows_return_the_right_values(results: dict) -> None:
    rows = results["calls"]
    assert {r["call"] for r in rows if r["runtime"] == "riscade-interp"} >= {
        "call0", "call3", "call8", "hostcall"}
    bad = [r for r in rows if not r["ok"]]
    assert not bad, bad
    assert all(r["us"] > 0 for r in rows)
