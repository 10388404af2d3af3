"""The runtimes a kernel runs on: riscade's VM (one per engine), wasmtime, Lua (LuaJIT and
5.4, through lupa) and plain Python.

Each runtime is built by a ``make_*`` function that raises ``Unavailable`` (with the reason
shown in the report) when its engine or optional dependency is missing. Every runtime offers
``kernel(k)``: a callable taking the size and returning the checksum; and ``function(name)``:
a callable for the call-cost rows.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import vm
from vm import ArgKind, HostFunction, HostRegistry, Machine

from . import luasrc, pykernels
from .suite import Kernel

__all__ = [
    "HOST_ADD",
    "LuaRuntime",
    "PythonRuntime",
    "Unavailable",
    "VMRuntime",
    "WasmRuntime",
    "make_lua",
    "make_vm",
    "make_wasm",
    "vm_variants",
]

#: The host function number bench/kernels/calls.c calls (BENCH_HOST_ADD there).
HOST_ADD = 0x7A0


class Unavailable(Exception):
    """A runtime cannot run here; ``reason`` says why (a missing package or engine)."""

    def __init__(self, runtime: str, reason: str) -> None:
        self.runtime, self.reason = runtime, reason
        super().__init__(f"{runtime}: {reason}")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def host_registry() -> HostRegistry:
    """The registry the VM kernels run with: ``host_add(a, b) = a + b`` as HOST_ADD."""
    return HostRegistry([
        HostFunction(HOST_ADD, "bench_host_add", (("a", ArgKind.I64), ("b", ArgKind.I64)),
                     ArgKind.I64, impl=lambda _machine, a, b: a + b,
                     doc="benchmark: returns a + b"),
    ])


# --- riscade ---------------------------------------------------------------------------------

#: VM variant -> (engine, extra Machine keywords). Each is used when ``Machine`` takes them.
VM_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "interp": ("interp", {}),
    "translate": ("translate", {}),
    "translate+helpers": ("translate", {"host_helpers": True}),
}


def vm_variants() -> list[str]:
    """The VM variants to try: interp, translate (and translate with host helpers) where
    ``Machine`` takes ``engine=`` (and ``host_helpers=``), plus any other engine that
    ``vm.ENGINES`` lists."""
    params = inspect.signature(Machine).parameters
    if "engine" not in params:
        return ["interp"]
    out = ["interp", "translate"]
    if "host_helpers" in params:
        out.append("translate+helpers")
    out += [e for e in getattr(vm, "ENGINES", ()) if e not in out]
    return out


class VMRuntime:
    """riscade's VM in one variant; ``main`` has run, so kernels are called by name."""

    kind = "vm"

    def __init__(self, elf: bytes, variant: str) -> None:
        engine, extra = VM_VARIANTS.get(variant, (variant, {}))
        kwargs: dict[str, Any] = {"hostcalls": host_registry(), **extra}
        takes_engine = "engine" in inspect.signature(Machine).parameters
        if takes_engine:
            kwargs["engine"] = engine
        self.name = f"riscade-{variant}"
        self.note = "" if takes_engine else "Machine has no engine= yet: its only engine"
        self.machine = Machine(elf, **kwargs)
        self.machine.run_main()
        self.version = _version("riscade") or "?"

    @property
    def instret(self) -> int:
        return self.machine.instret

    def kernel(self, k: Kernel) -> Callable[[int], int | float]:
        return functools.partial(self.machine.call, k.symbol, returns=k.returns)

    def function(self, symbol: str) -> Callable[..., Any]:
        return functools.partial(self.machine.call, symbol)

    def prepared(self, symbol: str, nargs: int) -> Callable[..., Any] | None:
        """``machine.prepare(symbol, int, ...)`` (``nargs`` integers) where the machine has it,
        else None."""
        prepare = getattr(self.machine, "prepare", None)
        return prepare(symbol, *([int] * nargs)) if callable(prepare) else None


def make_vm(elf: bytes, variant: str) -> VMRuntime:
    """The VM in ``variant`` (a key of VM_VARIANTS or an engine name), with main run.

    Raises:
        Unavailable: ``Machine`` lacks the keywords ``variant`` needs, or refuses them, or
            fails to run ``main`` with them (an engine still being written).
    """
    if variant not in vm_variants():
        raise Unavailable(f"riscade-{variant}", "this Machine has no such engine or option yet")
    try:
        return VMRuntime(elf, variant)
    except Exception as exc:  # a new engine's failure is reported, not fatal to the suite
        raise Unavailable(f"riscade-{variant}", f"cannot start: {exc!r}") from None


# --- wasmtime --------------------------------------------------------------------------------

class WasmRuntime:
    """The wasm32 build of the kernels in wasmtime (Cranelift, default configuration)."""

    kind = "peer"
    name = "wasmtime"
    note = ""

    def __init__(self, path: Path) -> None:
        import wasmtime

        self.version = _version("wasmtime") or "?"
        engine = wasmtime.Engine()
        self.store = wasmtime.Store(engine)
        module = wasmtime.Module.from_file(engine, str(path))
        i64 = wasmtime.ValType.i64()
        host_add = wasmtime.Func(self.store, wasmtime.FuncType([i64, i64], [i64]),
                                 lambda a, b: a + b)
        instance = wasmtime.Instance(self.store, module, [host_add])
        self.exports = instance.exports(self.store)

    def kernel(self, k: Kernel) -> Callable[[int], int | float]:
        return self.function(k.symbol)

    def function(self, symbol: str) -> Callable[..., Any]:
        return functools.partial(self.exports[symbol], self.store)


def make_wasm(path_or_error: Path | Exception) -> WasmRuntime:
    """wasmtime running the wasm build (or Unavailable: no wasmtime, or no build)."""
    if importlib.util.find_spec("wasmtime") is None:
        raise Unavailable("wasmtime", "wasmtime is not installed (pip install '.[bench]')")
    if isinstance(path_or_error, Exception):
        raise Unavailable("wasmtime", f"no wasm build: {path_or_error}")
    return WasmRuntime(path_or_error)


# --- Lua ---------------------------------------------------------------------------------------

#: dialect -> lupa modules to try, newest first.
LUPA_MODULES = {"luajit": ("lupa.luajit21", "lupa.luajit20"), "lua54": ("lupa.lua54",)}


class LuaRuntime:
    """The hand-written Lua kernels in one Lua dialect under lupa."""

    kind = "peer"
    note = ""

    def __init__(self, dialect: str, module: Any) -> None:
        self.dialect = dialect
        self.name = dialect
        self.lua = module.LuaRuntime()
        self.version = f"{self.lua.lua_implementation} (lupa {_version('lupa') or '?'})"
        self._three = self.lua.eval("function(a, b, c) return a + b + c end")
        self._nop = self.lua.eval("function(n) return n end")

    def kernel(self, k: Kernel) -> Callable[[int], int | float]:
        return self.lua.execute(luasrc.source(k.name, self.dialect))

    def function(self, symbol: str) -> Callable[..., Any]:
        if symbol == "bench_call3":
            return self._three
        if symbol == "bench_nop":
            return self._nop
        if symbol == "bench_hostcall":
            loop = self.lua.execute(luasrc.source("hostcall", self.dialect))

            def host_add(a: int, b: int) -> int:
                return a + b

            def run(n: int) -> int:
                return loop(n, host_add)
            return run
        raise KeyError(symbol)


def make_lua(dialect: str) -> LuaRuntime:
    """lupa's runtime for ``dialect`` ("luajit" or "lua54"), or Unavailable."""
    if importlib.util.find_spec("lupa") is None:
        raise Unavailable(dialect, "lupa is not installed (pip install '.[bench]')")
    for name in LUPA_MODULES[dialect]:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return LuaRuntime(dialect, module)
    raise Unavailable(dialect, f"lupa {_version('lupa')} has none of {LUPA_MODULES[dialect]}")


# --- Python ----------------------------------------------------------------------------------

class PythonRuntime:
    """The kernels in plain Python on this interpreter (the CPython baseline)."""

    kind = "peer"
    name = "cpython"
    note = ""

    def __init__(self) -> None:
        import platform

        self.version = f"{platform.python_implementation()} {platform.python_version()}"

    def kernel(self, k: Kernel) -> Callable[[int], int | float]:
        return pykernels.KERNELS[k.name]

    def function(self, symbol: str) -> Callable[..., Any]:
        if symbol in ("bench_call3", "bench_nop"):
            return getattr(pykernels, symbol)
        raise KeyError(symbol)
