"""Fast paths across the host/guest boundary, generated once and reused for every call.

``prepare(machine, "on_tick", int)`` returns a Python function per exported guest function:
calling it does what ``machine.call("on_tick", 7)`` does (the same frame on ``state.frames``,
the same argument registers, stack alignment, return address, budget rule, faults and
register restore), with the argument conversions generated for the declared types, the
address and return address baked in, and, under the translating engine, the function's
region called directly, so a call that stays in translated code never enters the dispatcher.
With integer arguments only (the usual hook), the translating engine goes further: once the
function is translated, the caller is its *entry* (``emitter.generate(entry_args=n)``), one
generated function that is the whole call, arguments in locals, no register list copied on
the way back to the host (``entry_caller``; ``Machine.call`` uses it for integers too).

``host_adapter(fn, machine)`` is the other direction: a function that reads one host
function's arguments out of the guest's registers exactly as ``vm.ecall`` specifies
(same checks, same ``HostCallFault`` messages), generated from its signature once instead of
interpreted on every call.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .constants import EXIT_ADDR, NEVER, M
from .errors import BudgetExceeded, Fault, HostCallFault, VMError
from .hostcalls import ArgKind, HostFunction, decode_int, encode_result

if TYPE_CHECKING:
    from .machine import Machine
    from .state import State

__all__ = ["prepare", "entry_caller", "host_adapter", "HostAdapter"]

#: A host call's adapter (``host_adapter``): (state, pc) -> a0.
HostAdapter = Callable[["State", int], int]

_D = struct.Struct("<d")
_Q = struct.Struct("<Q")


def _float_bits(v: float) -> int:
    return _Q.unpack(_D.pack(v))[0]


def _bits_float(v: int) -> float:
    return _D.unpack(_Q.pack(v))[0]


def prepare(machine: Machine, function: str | int, *argtypes: type,
            returns: type = int) -> Callable[..., int | float]:
    """A fast caller of a guest function (see the module docstring).

    Args:
        machine: the machine whose guest function to call.
        function: symbol name or address.
        argtypes: the type of each argument, in order: ``int`` (also bool), ``float``,
            ``bytes`` or ``str`` (copied onto the guest stack, passed as pointer + length).
            Without any, the caller is ``machine.call`` with the function bound (up to 8
            integers take the entry path there too; other arguments work, slower).
        returns: ``int`` (a0) or ``float`` (fa0).

    Returns:
        ``f(*args, budget=None)``, which raises exactly what ``machine.call`` raises.

    Raises:
        KeyError: no such symbol. TypeError: an unsupported type, or too many arguments.
    """
    addr = function if isinstance(function, int) else machine.program.functions[function]
    if returns not in (int, float):
        raise TypeError("returns must be int or float")
    if not argtypes:
        return _prepare_ints(machine, function, addr, returns)
    if (returns is int and all(t is int or t is bool for t in argtypes) and len(argtypes) <= 8
            and machine.engine is not None):
        return entry_caller(machine, function, addr, len(argtypes))
    params: list[str] = []
    convert: list[str] = []
    blobs: list[str] = []
    int_regs: list[str] = []
    float_regs: list[str] = []
    for i, kind in enumerate(argtypes):
        a = f"a{i}"
        params.append(a)
        if kind is int or kind is bool:
            convert.append(f"{a} = {a} & {M}")
            int_regs.append(a)
        elif kind is float:
            convert.append(f"{a} = float_bits({a})")
            float_regs.append(a)
        elif kind is bytes or kind is str:
            blob = f"b{i}"
            convert.append(f"{blob} = {a}.encode() if isinstance({a}, str) else bytes({a})")
            blobs.append(blob)
            int_regs += [f"p{i}", f"len({blob})"]
        else:
            raise TypeError(f"cannot pass {kind.__name__} to the guest")
    if len(int_regs) > 8 or len(float_regs) > 8:
        raise TypeError("at most 8 integer and 8 float argument registers")

    lines = [f"def call({', '.join([*params, '*', 'budget=None'])}):"]
    body = list(convert)
    body.append("push()")
    if blobs:
        body.append("sp = x[2]")
        for i, kind in enumerate(argtypes):
            if kind is bytes or kind is str:
                body += [
                    f"sp = (sp - len(b{i}) - 1) & ~15",
                    f"if not memory.writable(sp, len(b{i}) + 1):",
                    "    pop()",
                    "    raise VMError('no stack room for call arguments')",
                    f"memory.write(sp, b{i} + b'\\0')",
                    f"p{i} = sp",
                ]
        body.append("x[2] = sp & ~15")
    else:
        body.append("x[2] &= ~15")
    body += [f"x[{10 + i}] = {v}" for i, v in enumerate(int_regs)]
    body += [f"f[{10 + i}] = {v}" for i, v in enumerate(float_regs)]
    body.append(f"x[1] = {EXIT_ADDR}")
    body += _run_and_return(machine, addr, returns)
    namespace = _namespace(machine)
    source = "\n".join(lines + ["    " + line for line in body]) + "\n"
    exec(compile(source, f"<riscade call 0x{addr:x}>", "exec"), namespace)
    fn = namespace["call"]
    fn.__doc__ = f"Call guest function {function!r} ({', '.join(t.__name__ for t in argtypes)})"
    return fn


def _prepare_ints(machine: Machine, function: str | int, addr: int,
                  returns: type) -> Callable[..., int | float]:
    """``prepare`` without types: ``machine.call`` with the address bound (integers take the
    entry path there)."""

    def call(*args: Any, budget: int | None = None) -> int | float:
        return machine.call(addr, *args, budget=budget, returns=returns)

    call.__doc__ = f"Call guest function {function!r} with up to 8 integers"
    return call


def entry_caller(machine: Machine, function: str | int, addr: int,
                   nargs: int) -> Callable[..., int]:
    """A caller of ``addr`` with ``nargs`` integer arguments under the translating engine,
    through an entry: ``prepare`` for integer signatures, and ``Machine.call`` for integers.

    The caller runs the call the ordinary way (dispatcher, frame saved and restored) until the
    dispatcher has translated the function; from then on it calls the function's entry
    (``TranslatingEngine.entry``), which does the same in one generated function.
    """
    engine = machine.engine
    assert engine is not None, "entry callers need the translating engine"
    state = machine.state
    x, f = state.x, state.f
    use: list[Callable[..., int]] = []

    def warm(m: State, x_: list[int], f_: list[int], limit: int, *args: int) -> int:
        m.push_frame()
        x[10:10 + nargs] = args
        x[2] &= ~15
        x[1] = EXIT_ADDR
        m.pc = addr
        try:
            engine.run(limit)
        except BudgetExceeded:
            raise  # the frame stays, for machine.resume()
        except Fault:
            m.pop_frame()
            raise
        finally:
            if addr in engine.cache.regions:  # hot now: translate its entry
                switch(engine.entry(addr, nargs))
        result = x[10]
        m.pop_frame()
        return result

    def switch(entry: Callable[..., int] | None) -> None:
        if entry is not None:
            use[0] = entry
            # The engine hands this caller the entry made again when the region grows.
            engine.cache.entry_users.setdefault((addr, nargs), []).append(use)

    use.append(warm)
    switch(engine.cache.entries.get((addr, nargs)))
    params = ", ".join(f"a{i}" for i in range(nargs))
    args = "".join(f", a{i} & {M}" for i in range(nargs))
    source = (f"def call({params + ', ' if params else ''}*, budget=None):\n"
              f"    return use[0](m, x, f, {NEVER} if budget is None else m.instret + budget"
              f"{args})\n")
    namespace: dict[str, Any] = {"use": use, "m": state, "x": x, "f": f}
    exec(compile(source, f"<riscade call 0x{addr:x}>", "exec"), namespace)
    fn = namespace["call"]
    fn.__doc__ = f"Call guest function {function!r} with {nargs} integers"
    return fn


def _namespace(machine: Machine) -> dict[str, Any]:
    state = machine.state
    engine = machine.engine
    namespace: dict[str, Any] = {
        "m": state, "x": state.x, "f": state.f, "memory": machine.memory,
        "run": engine.run if engine is not None else machine.interpreter.run,
        "push": state.push_frame, "pop": state.pop_frame,
        "float_bits": _float_bits, "bits_float": _bits_float,
        "BudgetExceeded": BudgetExceeded, "Fault": Fault, "VMError": VMError,
    }
    if engine is not None:
        namespace["regions"] = engine.cache.regions
    return namespace


def _run_and_return(machine: Machine, addr: int, returns: type) -> list[str]:
    """The generated tail of a caller: run under the budget, pop the frame, return a0/fa0."""
    body = [f"limit = {NEVER} if budget is None else m.instret + budget", "try:"]
    if machine.engine is not None:
        # Straight into the function's region when it is translated.
        body += [
            f"    fn = regions.get({addr})",
            "    if fn is None:",
            f"        m.pc = {addr}",
            "        run(limit)",
            "    else:",
            "        pc = fn(m, x, f, limit)",
            f"        if pc != {EXIT_ADDR}:",
            "            run(limit, pc)",
        ]
    else:
        body += [f"    m.pc = {addr}", "    run(limit)"]
    body += [
        "except BudgetExceeded:",
        "    raise",  # the frame stays, for machine.resume()
        "except Fault:",
        "    pop()",
        "    raise",
        "result = x[10]" if returns is int else "result = bits_float(f[10])",
        "pop()",
        "return result",
    ]
    return body


def host_adapter(fn: HostFunction, machine: Machine) -> HostAdapter:
    """``adapter(state, pc) -> a0``: decode ``fn``'s arguments from ``machine``'s registers,
    call ``fn`` with ``machine``, encode its result.

    The rules (``vm.ecall``): a bytes/str parameter longer than the limits'
    ``max_guest_str`` or outside memory is a ``HostCallFault``, and so is a ValueError,
    KeyError, IndexError or OverflowError raised by the implementation.
    """
    max_guest_str = machine.limits.max_guest_str
    lines = ["def adapter(m, pc):", "    x = m.x"]
    args = []
    reg = 10
    for i, (pname, kind) in enumerate(fn.params):
        v = f"v{i}"
        args.append(v)
        if kind is ArgKind.BYTES or kind is ArgKind.STR:
            ptr, n = f"x[{reg}]", f"x[{reg + 1}]"
            reg += 2
            lines += [
                f"    p, n = {ptr}, {n}",
                f"    if n > {max_guest_str}:",
                f"        raise HostCallFault(pc, p, NAME + ': ' + {pname!r} + ' is ' + str(n) "
                f"+ ' bytes, more than {max_guest_str}')",
                "    if not m.memory.readable(p, n):",
                f"        raise HostCallFault(pc, p, NAME + ': ' + {pname!r} + "
                "' points outside memory')",
                f"    {v} = m.memory.read(p, n)",
            ]
            if kind is ArgKind.STR:
                lines.append(f"    {v} = {v}.decode('utf-8', 'replace')")
        else:
            src = f"x[{reg}]"
            reg += 1
            if kind is ArgKind.U64:
                lines.append(f"    {v} = {src}")
            elif kind is ArgKind.I64:
                lines.append(f"    {v} = {src}")
                lines.append(f"    if {v} >> 63: {v} -= {1 << 64}")
            elif kind is ArgKind.U32:
                lines.append(f"    {v} = {src} & 0xffffffff")
            elif kind is ArgKind.I32:
                lines.append(f"    {v} = {src} & 0xffffffff")
                lines.append(f"    if {v} >> 31: {v} -= {1 << 32}")
            else:
                lines.append(f"    {v} = decode_int(KINDS[{i}], {src})")
    lines += [
        "    try:",
        f"        result = impl(MACHINE{''.join(', ' + a for a in args)})",
        "    except (ValueError, KeyError, IndexError, OverflowError) as exc:",
        "        raise HostCallFault(pc, detail=f'{NAME}: {exc}') from None",
    ]
    if fn.returns in (ArgKind.I64, ArgKind.U64):  # the common case, without a call
        lines += ["    if result is None:", "        return 0",
                  f"    return int(result) & {M}"]
    else:
        lines.append("    return encode_result(RETURNS, result)")
    namespace: dict[str, Any] = {
        "impl": fn.impl, "MACHINE": machine, "NAME": fn.name, "RETURNS": fn.returns,
        "KINDS": [kind for _, kind in fn.params], "HostCallFault": HostCallFault,
        "decode_int": decode_int, "encode_result": encode_result,
    }
    exec(compile("\n".join(lines) + "\n", f"<riscade host call {fn.name}>", "exec"), namespace)
    return namespace["adapter"]
