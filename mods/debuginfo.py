"""A mod's debug information: split off at build time, read back to name source lines.

Mods compile with ``-g``; the ELF that clients download is slimmed (``mods.elfslim``: no
DWARF), and the DWARF goes to a separate file next to the cache entry (``split_debug``, with
``llvm-objcopy --only-keep-debug``). Both come from the same link, so the debug file's
addresses are the shipped ELF's. gdb reads it (``symbol-file``), and ``DebugInfo`` maps a pc
to ``(file, line, function)`` through its DWARF line table, for the server's fault lines.

Reading all of a mod's DWARF (musl's included) takes seconds in Python, so ``DebugInfo``
reads a compilation unit's line table only when a pc in it is looked up. Nothing here is part
of the deterministic simulation's state: clients have no debug files.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import os
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from elftools.dwarf.compileunit import CompileUnit
from elftools.dwarf.die import DIE
from elftools.dwarf.dwarfinfo import DWARFInfo
from elftools.dwarf.ranges import BaseAddressEntry
from elftools.elf.elffile import ELFFile

__all__ = ["SourceLine", "DebugInfo", "SourceLocator", "split_debug", "OBJCOPY",
           "MAX_DEBUG_BYTES"]

#: The tool that splits debug information off (Debian's ``llvm`` package; ``zig objcopy``
#: cannot do it for RISC-V).
OBJCOPY = "llvm-objcopy"
#: Seconds ``split_debug`` may take.
SPLIT_TIMEOUT = 120
#: The largest debug file read (a bound for what a server loads; mods' are ~1-2 MB).
MAX_DEBUG_BYTES = 64 << 20
#: The largest line program of one compilation unit that is read (pyelftools reads ~50 KB/s:
#: a mod's own units are under 10 KB; compiler_rt's 105 KB unit is skipped).
MAX_UNIT_LINES = 16 << 10
#: Compilation units read per debug file at most (what a lookup may cost is bounded).
MAX_UNITS_READ = 32


@dataclass(frozen=True)
class SourceLine:
    """Where a pc is in the source: file, line and (if known) the enclosing function."""

    file: str
    line: int
    function: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} in {self.function}" if self.function else where


def split_debug(elf: Path, *, objcopy: str | None = None) -> bytes | None:
    """The debug information of the linked ``elf`` as a separate ELF file
    (``--only-keep-debug``), or None if ``llvm-objcopy`` is missing, fails, or there is none.

    ``elf`` is the build's own output, read by a trusted tool outside the build's sandbox.
    """
    tool = objcopy or shutil.which(OBJCOPY)
    if tool is None:
        return None
    out = elf.with_name(elf.name + ".debug")
    try:
        proc = subprocess.run([tool, "--only-keep-debug", str(elf), str(out)],
                              capture_output=True, timeout=SPLIT_TIMEOUT, check=False)
        if proc.returncode != 0 or not out.is_file():
            return None
        data = out.read_bytes()
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        out.unlink(missing_ok=True)
    return data if b".debug_line" in data else None


class SourceLocator:
    """Source lines of pcs in the server's mods, found by each build's debug file.

    ``add`` registers a build (its ELF and debug file); ``locate(elf, pc)`` names ``file:line
    in function`` for a pc of that ELF, or None. A debug file is read at its build's first
    lookup (a tenth of a second or two: most servers never see a fault, and start faster).
    Paths inside a build's scratch folder are shown as ``<mod>/<file>`` (``sdk/<file>`` for
    the SDK), paths under the current directory relative to it.
    """

    def __init__(self) -> None:
        self._builds: dict[str, tuple[str, Path | None]] = {}
        self._loaded: dict[str, DebugInfo | None] = {}

    def add(self, name: str, elf: bytes, debug: Path | None) -> None:
        """Register mod ``name``'s build ``elf`` with its debug file (None: no lines)."""
        self._builds.setdefault(hashlib.sha256(elf).hexdigest(), (name, debug))

    def locate(self, elf: bytes, pc: int) -> str | None:
        """``file:line in function`` of ``pc`` in the build ``elf``, or None if unknown."""
        sha = hashlib.sha256(elf).hexdigest()
        name, debug = self._builds.get(sha, ("", None))
        if debug is None:
            return None
        if sha not in self._loaded:
            self._loaded[sha] = DebugInfo.load(debug)
        info = self._loaded[sha]
        if info is None:
            return None
        try:
            line = info.locate(pc)
        except _DWARF_ERRORS:
            return None
        if line is None:
            return None
        return str(SourceLine(_shown(line.file, name), line.line, line.function))


#: A path in a build's scratch folder (``mods.build`` stages Nim mods and the SDK there).
_STAGED = re.compile(r"/riscade-[^/]+/(mod|sdk)/(.+)$")


def _shown(path: str, name: str) -> str:
    staged = _STAGED.search(path)
    if staged:
        return f"{name if staged[1] == 'mod' else 'sdk'}/{staged[2]}"
    if path.startswith("/"):
        here = os.getcwd()
        if path.startswith(here.rstrip("/") + "/"):
            return path[len(here.rstrip("/")) + 1:]
    return path


class DebugInfo:
    """The line tables and functions of one debug file, read per compilation unit on demand.

    Opening indexes only which address ranges each compilation unit covers (tenths of a
    second for a mod with musl's DWARF); ``locate`` reads the line table of the one unit that
    covers a pc the first time it is asked (milliseconds) and keeps it.
    """

    def __init__(self, dwarf: DWARFInfo, units: list[tuple[int, int, int]]) -> None:
        self._dwarf = dwarf
        self._units = sorted(units)  # (low, high, CU offset)
        self._lows = [u[0] for u in self._units]
        self._tables: dict[int, _Table | None] = {}

    @classmethod
    def load(cls, path: Path) -> DebugInfo | None:
        """The debug information in the file at ``path`` (a debug file or a full ELF), or None
        if it is missing, too big, or holds no usable DWARF."""
        try:
            if path.stat().st_size > MAX_DEBUG_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        return cls.from_bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> DebugInfo | None:
        """As ``load``, from the file's bytes."""
        try:
            elf = ELFFile(io.BytesIO(data))
            if not elf.has_dwarf_info():
                return None
            dwarf = elf.get_dwarf_info()
            units: list[tuple[int, int, int]] = []
            for cu in dwarf.iter_CUs():
                for low, high in _unit_ranges(dwarf, cu):
                    if 0 < low < high:  # at 0: code the linker dropped
                        units.append((low, high, cu.cu_offset))
        except _DWARF_ERRORS:
            return None
        return cls(dwarf, units) if units else None

    def locate(self, pc: int) -> SourceLine | None:
        """The source line of the instruction at ``pc``, or None if none is known (no unit
        covers it, or its DWARF is unreadable)."""
        i = bisect.bisect_right(self._lows, pc) - 1
        while i >= 0:
            low, high, offset = self._units[i]
            if low <= pc < high:
                table = self._table(offset)
                return table.locate(pc) if table is not None else None
            if pc - low > _SEARCH_BACK:
                break
            i -= 1
        return None

    def _table(self, offset: int) -> _Table | None:
        if offset not in self._tables:
            table = None
            if len(self._tables) < MAX_UNITS_READ:
                try:
                    table = _Table.read(self._dwarf, self._dwarf.get_CU_at(offset))
                except _DWARF_ERRORS:
                    pass
            self._tables[offset] = table
        return self._tables[offset]


#: How far below a pc a unit's start is looked for (units may overlap, or nest).
_SEARCH_BACK = 1 << 24
#: What pyelftools raises on malformed DWARF (a mod's build can put any bytes there): its own
#: errors, and whatever its parsing of bad offsets and lengths runs into (struct, index,
#: recursion...): a debugging aid catches them all and answers "unknown".
_DWARF_ERRORS = (Exception,)


def _unit_ranges(dwarf: DWARFInfo, cu: CompileUnit) -> list[tuple[int, int]]:
    """The address ranges a compilation unit covers (DW_AT_low_pc/high_pc or DW_AT_ranges)."""
    return _die_ranges(dwarf, cu.get_top_DIE(), 0)


def _die_ranges(dwarf: DWARFInfo, die: DIE, base: int) -> list[tuple[int, int]]:
    """The address ranges of ``die`` (``base``: its unit's base address, for DW_AT_ranges)."""
    attrs = die.attributes
    low_attr = attrs.get("DW_AT_low_pc")
    high = attrs.get("DW_AT_high_pc")
    if low_attr is not None and high is not None:
        low = low_attr.value
        return [(low, high.value if high.form == "DW_FORM_addr" else low + high.value)]
    ranges = attrs.get("DW_AT_ranges")
    if ranges is None or ranges.form != "DW_FORM_sec_offset":
        return []
    lists = dwarf.range_lists()
    if lists is None:
        return []
    if die.tag == "DW_TAG_compile_unit" and low_attr is not None:
        base = low_attr.value
    out = []
    unit = die.cu if isinstance(die.cu, CompileUnit) else None
    for entry in lists.get_range_list_at_offset(ranges.value, cu=unit):
        if isinstance(entry, BaseAddressEntry):
            base = entry.base_address
        elif getattr(entry, "is_absolute", False):
            out.append((entry.begin_offset, entry.end_offset))
        else:
            out.append((base + entry.begin_offset, base + entry.end_offset))
    return out


class _Table:
    """One compilation unit's line rows and functions."""

    def __init__(self, rows: list[tuple[int, int, int]], files: list[str],
                 functions: list[tuple[int, int, str]]) -> None:
        # At one address a sequence's end sorts before another's start (the start wins).
        rows.sort(key=lambda r: (r[0], r[2] != 0))
        self._addrs = [r[0] for r in rows]
        self._rows = rows
        self._files = files
        self._functions = sorted(functions)

    @classmethod
    def read(cls, dwarf: DWARFInfo, cu: CompileUnit) -> _Table | None:
        program = dwarf.line_program_for_CU(cu)
        if program is None or program.header["unit_length"] > MAX_UNIT_LINES:
            return None
        top = cu.get_top_DIE()
        names = _file_names(program, top)
        rows: list[tuple[int, int, int]] = []
        files: list[str] = []
        file_ids: dict[str, int] = {}
        for entry in program.get_entries():
            st = entry.state
            if st is None:
                continue
            if st.end_sequence:
                rows.append((st.address, 0, 0))  # line 0: past the end of a sequence
                continue
            if st.line == 0:
                continue  # no line of its own (compiler-made code): the row before holds
            name = names.get(st.file, "?")
            fid = file_ids.get(name)
            if fid is None:
                fid = file_ids[name] = len(files)
                files.append(name)
            rows.append((st.address, fid, st.line))
        functions: list[tuple[int, int, str]] = []
        low = top.attributes.get("DW_AT_low_pc")
        _functions(dwarf, top, low.value if low is not None else 0, functions)
        return cls(rows, files, functions)

    def locate(self, pc: int) -> SourceLine | None:
        i = bisect.bisect_right(self._addrs, pc) - 1
        if i < 0:
            return None
        _, fid, line = self._rows[i]
        if line == 0:
            return None
        function = None
        for low, high, name in self._functions:
            if low <= pc < high:
                function = name  # the innermost (latest-starting) one wins
        return SourceLine(self._files[fid], line, function)


def _file_names(program: object, top: DIE) -> dict[int, str]:
    """File index -> path (relative to the compilation directory when inside it)."""
    header = program.header  # type: ignore[attr-defined]
    version = header["version"]
    dirs = [d.decode(errors="replace") if isinstance(d, bytes) else str(d)
            for d in header["include_directory"]]
    comp_dir = top.attributes.get("DW_AT_comp_dir")
    base = comp_dir.value.decode(errors="replace") if comp_dir else ""
    names: dict[int, str] = {}
    for i, entry in enumerate(header["file_entry"]):
        name = entry.name.decode(errors="replace")
        d = entry.dir_index
        if version >= 5:
            folder = dirs[d] if d < len(dirs) else ""
            index = i
        else:
            folder = dirs[d - 1] if 0 < d <= len(dirs) else base
            index = i + 1
        path = posixpath.normpath(name if name.startswith("/") or not folder
                                  else f"{folder}/{name}")
        if base and path.startswith(base.rstrip("/") + "/"):
            path = path[len(base.rstrip("/")) + 1:]
        names[index] = path
    return names


def _functions(dwarf: DWARFInfo, die: DIE, base: int,
               out: list[tuple[int, int, str]]) -> None:
    """(low, high, name) of every function with an address range under ``die``, inlined
    copies included (the innermost, latest-starting one names a pc)."""
    for child in die.iter_children():
        tag = child.tag
        if tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine"):
            name = _die_name(child)
            if name:
                for low, high in _die_ranges(dwarf, child, base):
                    out.append((low, high, name))
            _functions(dwarf, child, base, out)
        elif tag in ("DW_TAG_lexical_block", "DW_TAG_namespace", "DW_TAG_structure_type"):
            _functions(dwarf, child, base, out)


def _die_name(die: DIE) -> str | None:
    for key in ("DW_AT_name", "DW_AT_linkage_name"):
        attr = die.attributes.get(key)
        if attr is not None and isinstance(attr.value, bytes):
            return attr.value.decode(errors="replace")
    spec = die.attributes.get("DW_AT_specification") or die.attributes.get(
        "DW_AT_abstract_origin")
    if spec is not None:
        try:
            return _die_name(die.get_DIE_from_attribute(spec.name))
        except (KeyError, ValueError):
            return None
    return None
