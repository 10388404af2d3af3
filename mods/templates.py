"""The files ``riscade new`` writes: a mod.toml, a source with every hook stubbed, a scenario.

The hook stubs come from ``mods.host_api.HOOKS`` and the SDK generators' own signature
renderers, so a new mod has exactly the hooks the game calls, with the signatures the build
checks. Each template is a ``string.Template``: ``$name`` is the mod's name.
"""

from __future__ import annotations

from string import Template

from .host_api import HOOKS, Hook
from .manifest import Language
from .sdk.c import hook_prototype
from .sdk.nim import hook_declaration
from .sdk.zig import hook_signature

__all__ = ["files_for", "SCENARIO_FILE"]

#: Where the scenario of a new mod goes, in the mod's folder.
SCENARIO_FILE = "scenarios/hello.toml"
#: What the new mod says to a player who joins (its scenario expects it).
GREETING = "Hello from $name!"
REFERENCE = "Every hook, host function, constant and limit: mods/README.md of riscade"

_MANIFEST = Template('''\
# $name: a new mod. mod.toml's keys: mods/README.md of riscade ("mod.toml").
name = "$name"
version = "0.1.0"
language = "$language"
description = "A new mod."
sources = ["$source"]
dependencies = []       # mods loaded (and hooked) before this one
permissions = []        # "players": may change players' entities; "entities": other mods'

[limits]
memory = 1048576        # bytes of guest memory
stack = 65536           # bytes of stack (part of memory)
instructions = 200000   # per tick, across all its hooks
''')

_SCENARIO = Template('''\
# A scenario: `riscade test --mods <folder of mods> $name` plays it on the game simulation,
# on both VM engines. The format: "Scenario tests" in mods/README.md of riscade.
description = "$name starts, and greets a player who joins"
seed = 1
ticks = 5

[[player]]
id = 1
name = "ann"
join = 2

[[expect]]
tick = 0                # after start-up: main and on_load ran
log = "$name: ready"

[[expect]]
tick = 2
chat = "$greeting"
to = 1
from = "$name"

[[expect]]
tick = 2
entity = { player = 1 }
score = 0
''')


def _first_sentence(text: str) -> str:
    head, _, _ = text.partition(". ")
    return head.rstrip(".") + "."


def _c_hook(hook: Hook) -> str:
    body = {
        "on_load": "    setup();",
        "on_restore": "    (void)data;\n    (void)data_len;\n    setup();",
        "on_player_join": "    (void)entity;\n    rc_send_chat(player, RC_LIT(GREETING));",
        "on_chat": "    return 0;  /* 1: handled (a command), later mods see it as consumed */",
        "on_save": "    return 0;  /* bytes of state written at buf */",
    }.get(hook.name, "")
    return (f"/* {_first_sentence(hook.doc)} */\n{hook_prototype(hook)[:-1]} {{\n"
            + (body + "\n" if body else "") + "}\n")


def _zig_hook(hook: Hook) -> str:
    unused = [n for n, _ in hook.params]
    body = {
        "on_load": ["setup();"],
        "on_restore": ["_ = data;", "setup();"],
        "on_player_join": ["_ = entity;", "riscade.send_chat(player, GREETING);"],
        "on_chat": ["_ = player;", "_ = text;",
                    "return 0; // 1: handled (a command), later mods see it as consumed"],
        "on_save": ["_ = buf;", "_ = cap;", "return 0; // bytes of state written at buf"],
    }.get(hook.name, [f"_ = {n};" for n in unused])
    lines = "".join(f"    {line}\n" for line in body)
    return f"/// {_first_sentence(hook.doc)}\n{hook_signature(hook)} {{\n{lines}}}\n"


def _nim_hook(hook: Hook) -> str:
    body = {
        "on_load": "setup()",
        "on_restore": "setup()",
        "on_player_join": "send_chat(player, GREETING)",
        "on_chat": "0  # 1: handled (a command), later mods see it as consumed",
        "on_save": "0  # bytes of state written at buf",
    }.get(hook.name, "discard")
    return f"## {_first_sentence(hook.doc)}\n{hook_declaration(hook)} =\n  {body}\n"


_C = Template('''\
/* $name: a new mod.
 * $reference (section "Reference").
 * Every hook is optional: delete the ones the mod does not need. */
#include "riscade.h"  /* the build finds it; every host function is rc_<name> */

#define GREETING "$greeting"

/* What the mod makes before its first tick (on_load; on_restore after a hot reload). */
static void setup(void) {
}

$hooks
int main(void) {  /* runs once when the mod loads, before on_load */
    rc_log(RC_LIT("$name: ready"));
    return 0;
}
''')

_ZIG = Template('''\
//! $name: a new mod.
//! $reference (section "Reference").
//! Every hook is optional: delete the ones the mod does not need.
const riscade = @import("riscade");
const PlayerId = riscade.PlayerId;
const EntityId = riscade.EntityId;

const GREETING = "$greeting";

/// What the mod makes before its first tick (on_load; on_restore after a hot reload).
fn setup() void {}

/// Runs once when the mod loads, before on_load.
pub fn main() void {
    riscade.log("$name: ready");
}

$hooks''')

_NIM = Template('''\
## $name: a new mod.
## $reference (section "Reference").
## Every hook is optional: delete the ones the mod does not need.
import riscade

const GREETING = "$greeting"

proc setup() =
  ## What the mod makes before its first tick (on_load; on_restore after a hot reload).
  discard

$hooks
log("$name: ready")  # top-level code runs once when the mod loads, before on_load
''')

_SOURCES = {Language.C: (_C, _c_hook), Language.ZIG: (_ZIG, _zig_hook),
            Language.NIM: (_NIM, _nim_hook)}


def files_for(name: str, language: Language) -> dict[str, str]:
    """The files of a new mod called ``name`` in ``language``: relative path -> text."""
    template, render = _SOURCES[language]
    source = f"{name}{language.suffix}"
    greeting = Template(GREETING).substitute(name=name)
    hooks = "\n".join(render(h) for h in HOOKS)
    return {
        "mod.toml": _MANIFEST.substitute(name=name, language=language.value, source=source),
        source: template.substitute(name=name, hooks=hooks, reference=REFERENCE,
                                    greeting=greeting),
        SCENARIO_FILE: _SCENARIO.substitute(name=name, greeting=greeting),
    }
