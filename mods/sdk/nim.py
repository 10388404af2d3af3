"""Render ``riscade.nim``: Nim procs over the C header's wrappers, a ``hook`` pragma, constants.

Nim compiles to C, so the module imports the ``rc_*`` inline functions of ``riscade.h``
(found next to this module through ``passC``) instead of repeating the inline assembly.
"""

from __future__ import annotations

from mods.host_api import Hook
from vm.hostcalls import HOSTCALL_BASE, ArgKind, HostFunction

from .c import PREFIX
from .model import CONVENTION, Sdk

NIM_TYPES = {
    ArgKind.I32: "int32", ArgKind.I64: "int64", ArgKind.U32: "uint32", ArgKind.U64: "uint64",
    ArgKind.F32: "float32", ArgKind.F64: "float64", ArgKind.STR: "string",
    ArgKind.BYTES: "openArray[byte]",
}


def _c_side_params(params: tuple[tuple[str, ArgKind], ...]) -> str:
    out = []
    for name, kind in params:
        if kind is ArgKind.STR:
            out += [f"{name}: cstring", f"{name}_len: csize_t"]
        elif kind is ArgKind.BYTES:
            out += [f"{name}: pointer", f"{name}_len: csize_t"]
        else:
            out.append(f"{name}: {NIM_TYPES[kind]}")
    return ", ".join(out)


def _c_side_args(params: tuple[tuple[str, ArgKind], ...]) -> str:
    out = []
    for name, kind in params:
        if kind is ArgKind.STR:
            out += [f"{name}.cstring", f"csize_t({name}.len)"]
        elif kind is ArgKind.BYTES:
            out += [f"(if {name}.len > 0: unsafeAddr {name}[0] else: nil)",
                    f"csize_t({name}.len)"]
        else:
            out.append(name)
    return ", ".join(out)


def render_function(fn: HostFunction) -> str:
    """The importc declaration and the Nim-typed proc over it."""
    ret = f": {NIM_TYPES[fn.returns]}" if fn.returns else ""
    cname = PREFIX + fn.name
    params = ", ".join(f"{n}: {NIM_TYPES[k]}" for n, k in fn.params)
    return (f"proc {cname}({_c_side_params(fn.params)}){ret} "
            f"{{.importc, header: \"riscade.h\".}}\n"
            f"proc {fn.name}*({params}){ret} {{.inline.}} =\n"
            f"  ## {fn.number}: {fn.doc} [{fn.side.value}]\n"
            f"  {cname}({_c_side_args(fn.params)})\n")


_LOG_RAISED = 'log(hook & ": uncaught " & $e.name & ": " & e.msg)'
#: The ``hook`` pragma (after the host functions: an escaped exception is logged).
HOOK_MACRO = """\
proc riscadeHookRaised*(hook: string, e: ref Exception) {.noreturn, noinline.} =
  ## An exception escaped hook ``hook``: log it, then trap (an illegal instruction), so the
  ## game records a fault for the hook (and disables the mod after repeated faults) instead
  ## of the mod carrying Nim's error state into its next hook.
  {log}
  {.emit: "__builtin_trap();".}

proc riscadeMainRaised(e: ref Exception) {.nimcall, tags: [], raises: [], gcsafe.} =
  ## An exception escaped the mod's top-level code (its main): log it, then trap, so the
  ## game records a fault of main (Nim would print it to stderr, which nobody reads).
  # No Nim proc call here: with the exception pending, Nim skips what follows one.
  let text = "main: uncaught " & $e.name & ": " & e.msg
  let (p, n) = (text.cstring, csize_t(text.len))
  {main_log}
  {.emit: "__builtin_trap();".}

unhandledExceptionHook = riscadeMainRaised

proc riscadeSignature(p: NimNode): string =
  ## A proc's parameter and result types as text: "(int64, string): int64".
  var types: seq[string]
  for defs in p.params[1 .. ^1]:
    for _ in defs[0 .. ^3]:
      types.add(repr(defs[^2]))
  result = "(" & types.join(", ") & ")"
  if p.params[0].kind != nnkEmpty:
    result.add(": " & repr(p.params[0]))

macro hook*(p: untyped): untyped =
  ## Pragma for a hook. Checks that the proc is a hook with the hook's signature (else a
  ## compile error at the proc), then exports a C-ABI wrapper under the hook's name that
  ## turns (pointer, length) strings into ``string`` and runs the body inside ``try``: an
  ## exception that escapes it becomes a fault of the hook.
  let name = $p.name
  var found = false
  for (hook, signature, declaration, wrapper) in riscadeHooks:
    if hook == name:
      found = true
      let got = riscadeSignature(p)
      if got != signature:
        error("riscade: hook " & name & " must be `" & declaration & "`, not " & got, p)
      var body = copyNimTree(p)
      body.name = ident("riscadeBody_" & name)
      result = newStmtList(body, parseStmt(wrapper))
  if not found:
    error("riscade: " & name & " is not a hook (names starting with on_ are reserved " &
          "for hooks: {names})", p)
"""


def hook_declaration(hook: Hook) -> str:
    """How a mod declares ``hook`` in Nim (the ``hook`` pragma checks it)."""
    params = ", ".join(f"{n}: {_hook_type(k)}" for n, k in hook.params)
    ret = f": {NIM_TYPES[hook.returns]}" if hook.returns else ""
    return f"proc {hook.name}({params}){ret} {{.hook.}}"


def _hook_type(kind: ArgKind) -> str:
    return "seq[byte]" if kind is ArgKind.BYTES else NIM_TYPES[kind]


def _hook_entry(hook: Hook) -> str:
    """One row of ``riscadeHooks``: name, signature, declaration, wrapper source."""
    signature = "(" + ", ".join(_hook_type(k) for _, k in hook.params) + ")"
    if hook.returns:
        signature += f": {NIM_TYPES[hook.returns]}"
    args = []
    for name, kind in hook.params:
        if kind is ArgKind.STR:
            args.append(f"toString({name}, {name}_len)")
        elif kind is ArgKind.BYTES:
            args.append(f"toBytes({name}, {name}_len)")
        else:
            args.append(name)
    ret = f": {NIM_TYPES[hook.returns]}" if hook.returns else ""
    call = f"riscadeBody_{hook.name}({', '.join(args)})"
    run = f"result = {call}" if hook.returns else call
    wrapper = (f"proc {hook.name}({_c_side_params(hook.params)}){ret} "
               "{.exportc, dynlib, cdecl.} =\\n"
               f"  try:\\n    {run}\\n"
               "  except Exception as e:\\n"
               f"    riscadeHookRaised(\\\"{hook.name}\\\", e)\\n")
    return (f'  ("{hook.name}", "{signature}",\n'
            f'   "{hook_declaration(hook)}",\n'
            f'   "{wrapper}"),\n')


def render(sdk: Sdk) -> str:
    """The whole module."""
    convention = "\n".join(f"## {line}".rstrip() for line in CONVENTION.splitlines())
    hooks = "\n".join(f"##     {hook_declaration(h)}\n##         {h.doc}" for h in sdk.hooks)
    out = [f"""\
## riscade.nim: the riscade mod SDK for Nim.
## GENERATED by `python -m mods.sdk` from mods/host_api.py. Do not edit.
##
## Host ABI {sdk.abi_hash}
##
{convention}
##
## A mod is a Nim program: its top-level code runs once when the mod loads. It declares any
## of these hooks with the ``{{.hook.}}`` pragma, which checks the signature at compile time
## and exports the hook; an exception that escapes a hook is a fault of that call:
{hooks}
## Positions and velocities are fixed-point integers (FIXED_ONE = one world unit).

import std/macros
from std/os import parentDir, quoteShell
from std/strutils import join

{{.passC: "-I" & quoteShell(currentSourcePath().parentDir).}}
{{.passC: "-DRISCADE_NO_HOOK_PROTOTYPES".}}  # Nim's cstring is not const char *

const HOST_ABI* = "{sdk.abi_hash}"
const HOSTCALL_BASE* = {HOSTCALL_BASE:#x}'i64 ## a7 = HOSTCALL_BASE + host function number

proc toString*(text: cstring, text_len: csize_t): string =
  ## Copy a (pointer, length) string into a Nim string.
  result = newString(int(text_len))
  if text_len > 0:
    copyMem(addr result[0], text, int(text_len))

proc toBytes*(data: pointer, data_len: csize_t): seq[byte] =
  ## Copy (pointer, length) bytes into a Nim seq.
  result = newSeq[byte](int(data_len))
  if data_len > 0:
    copyMem(addr result[0], data, int(data_len))

"""]
    if sdk.constants:
        out.append("# Constants\nconst\n")
    for const in sdk.constants:
        out.append(f"  {const.name}* = {const.value}'i64 ## {const.doc}\n")
    out.append("\n# Host functions\n")
    out += ["\n" + render_function(fn) for fn in sdk.functions]
    logs = any(fn.name == "log" for fn in sdk.functions)
    out.append("\n# Hooks\n\nconst riscadeHooks = [\n")
    out += [_hook_entry(h) for h in sdk.hooks]
    out.append("]\n\n")
    main_log = ("rc_log(p, n)" if logs else "discard (p, n)  # no log host function")
    out.append(HOOK_MACRO.replace("{log}", _LOG_RAISED if logs else
                                  "discard  # no log host function")
               .replace("{main_log}", main_log)
               .replace("{names}", ", ".join(h.name for h in sdk.hooks)))
    return "".join(out)
