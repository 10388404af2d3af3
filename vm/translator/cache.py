"""Translations shared by machines: one ``TranslationCache`` per code, geometry and helpers.

Generated code depends on the program's executable bytes and their addresses (the translator
decodes them, never guest memory), on the memory geometry the emitter bakes in, and, with
host helpers, on where the helpers stand in. ``shared_cache`` keys caches by exactly that, so
every live machine running the same code shares one, whichever ``Program`` object or ELF
file it was loaded from; a cache goes when the last machine using it goes.
"""

from __future__ import annotations

import hashlib
import weakref

from ..decoder import Instr
from ..elf import Program
from .emitter import Geometry
from .hosthelpers import HELPERS
from .runtime import EntryFn, RegionFn

__all__ = ["TranslationCache", "shared_cache", "code_identity"]


class TranslationCache:
    """The translations of one program for one memory geometry, shared by its machines.

    Attributes:
        regions: region function by entry pc (host helpers are installed here too).
        heat: how often the dispatcher reached each untranslated pc.
        instrs: instructions that generated code runs through reference closures, by pc.
        untranslatable: pcs where no region can start (ebreak, an illegal op or no code).
        translated, instructions, code_bytes, source_bytes, seconds: regions made (rebuilds
            included), the guest instructions and bytes of code in them, the Python source
            generated for them, and the time spent planning, generating and compiling it.
    """

    def __init__(self, geometry: Geometry) -> None:
        self.geometry = geometry
        self.regions: dict[int, RegionFn] = {}
        self.heat: dict[int, int] = {}
        self.instrs: dict[int, Instr] = {}
        self.decoded: dict[int, list[tuple[int, Instr]]] = {}
        self.untranslatable: set[int] = set()
        self.cold_exits: dict[int, set[int]] = {}  # cold successor -> regions left it out
        self.absorb: dict[int, set[int]] = {}  # region -> successors it must take in
        self.rebuilds: dict[int, int] = {}
        self.postponed: dict[int, int] = {}  # pc -> heat at which to try again
        self.entries: dict[tuple[int, int], EntryFn | None] = {}  # (pc, integer args)
        #: The one-element lists through which callers call each entry (``vm.fastcall``).
        self.entry_users: dict[tuple[int, int], list[list[EntryFn]]] = {}
        self.helpers: set[int] = set()  # pcs where a host helper stands in (no entries)
        self.sources: dict[int, str] | None = None  # set to {} to keep generated sources
        self.translated = 0
        self.instructions = 0
        self.code_bytes = 0
        self.source_bytes = 0
        self.seconds = 0.0


#: Live translation caches by (code identity, geometry, host helpers): see ``shared_cache``.
_CACHES: weakref.WeakValueDictionary[tuple[object, ...], TranslationCache] = (
    weakref.WeakValueDictionary())


def code_identity(program: Program) -> bytes:
    """SHA-256 of what translations depend on in a program: its executable segments' bytes
    and addresses."""
    h = hashlib.sha256()
    for seg in program.segments:
        if seg.executable:
            h.update(seg.vaddr.to_bytes(8, "little") + len(seg.data).to_bytes(8, "little"))
            h.update(seg.data)
    return h.digest()


def shared_cache(program: Program, geometry: Geometry, host_helpers: bool) -> TranslationCache:
    """The translations for ``program``'s code in ``geometry``, shared with every live machine
    running the same code in the same geometry (a new cache when there is none).

    With ``host_helpers`` the helpers' entry addresses (from the symbol table) are part of the
    key too: they decide where a helper stands in for guest code.
    """
    helpers: tuple[tuple[str, int | None], ...] = ()
    if host_helpers:
        helpers = tuple((name, program.functions.get(name)) for name in HELPERS)
    key = (code_identity(program), geometry, host_helpers, helpers)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = TranslationCache(geometry)
    return cache
