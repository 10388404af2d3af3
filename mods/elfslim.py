"""Make a mod's ELF small enough to ship: drop debug sections, keep a useful symbol table.

The toolchains leave musl's DWARF in every program (1.3 MB of the 1.6 MB of a small C mod),
and their own stripping options (``-s``, ``-Os``, ``--strip-debug``) drop the symbol table too,
while the VM needs it to find hooks by name and to name the function a fault happened in.
``slim_elf`` keeps every byte a loader reads (headers and segment contents, unchanged in
place) and rewrites only the tail of the file: the symbol table (functions, objects, TLS and
every global or weak symbol; no local labels, mapping symbols, file or section symbols, nor
Zig's ``__anon_N`` constants, whose numbering differs between otherwise identical builds), its
string table, any non-loaded section a segment points at (``.riscv.attributes``), the section
name table and the section headers. The output is a pure function of the input.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from .errors import ElfSlimError

__all__ = ["ElfSlimError", "slim_elf"]

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")
_SYM = struct.Struct("<IBBHQQ")

_EM_RISCV = 243
_SHT_SYMTAB, _SHT_STRTAB, _SHT_RELA, _SHT_NOBITS, _SHT_REL = 2, 3, 4, 8, 9
_SHF_ALLOC = 0x2
_SHF_INFO_LINK = 0x40
_PT_LOAD = 1
_SHN_LORESERVE = 0xFF00
_STB_LOCAL = 0
_STT_OBJECT, _STT_FUNC, _STT_SECTION, _STT_FILE, _STT_TLS = 1, 2, 3, 4, 6


@dataclass(frozen=True)
class _Section:
    name: int
    type: int
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int

    def pack(self) -> bytes:
        return _SHDR.pack(self.name, self.type, self.flags, self.addr, self.offset, self.size,
                          self.link, self.info, self.addralign, self.entsize)


def _cstr(table: bytes, offset: int) -> bytes:
    end = table.index(b"\0", offset)
    return table[offset:end]


class _StrTab:
    """A string table under construction (deduplicated, insertion order)."""

    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self._seen: dict[bytes, int] = {b"": 0}

    def add(self, s: bytes) -> int:
        if s not in self._seen:
            self._seen[s] = len(self.data)
            self.data += s + b"\0"
        return self._seen[s]


def _keep_symbol(name: bytes, info: int, shndx: int, section_kept: bool) -> bool:
    bind, typ = info >> 4, info & 0xF
    if typ in (_STT_SECTION, _STT_FILE) or name.startswith((b".L", b"$")):
        return False
    if bind == _STB_LOCAL and name.startswith(b"__anon_"):
        return False  # Zig's unnamed constants: numbered differently from build to build
    if 0 < shndx < _SHN_LORESERVE and not section_kept:
        return False
    return bind != _STB_LOCAL or typ in (_STT_FUNC, _STT_OBJECT, _STT_TLS)


def _align(buf: bytearray, alignment: int) -> None:
    if alignment > 1:
        buf += b"\0" * (-len(buf) % alignment)


def slim_elf(data: bytes) -> bytes:
    """Return ``data`` without debug sections and with a pruned symbol table.

    Raises:
        ElfSlimError: not a little-endian ELF64 RISC-V file, or a layout this function does
            not rewrite (relocations against the symbol table, extended section numbering, a
            segment pointing into a section that must move). The caller keeps the original.
    """
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ElfSlimError("not a little-endian ELF64 file")
    (ident, etype, machine, version, entry, phoff, shoff, flags, ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    if machine != _EM_RISCV:
        raise ElfSlimError(f"machine {machine} is not RISC-V")
    if shnum == 0 or not 0 < shstrndx < _SHN_LORESERVE or shentsize != _SHDR.size:
        raise ElfSlimError("no usable section header table")
    sections = [_Section(*_SHDR.unpack_from(data, shoff + i * shentsize)) for i in range(shnum)]
    segments = [list(_PHDR.unpack_from(data, phoff + i * phentsize)) for i in range(phnum)]
    shstr = data[sections[shstrndx].offset:][:sections[shstrndx].size]

    symtab_index = next((i for i, s in enumerate(sections) if s.type == _SHT_SYMTAB), None)
    strtab_index = sections[symtab_index].link if symtab_index is not None else None

    def in_segment(s: _Section) -> bool:
        return s.type != _SHT_NOBITS and any(
            p[5] and p[2] <= s.offset and s.offset + s.size <= p[2] + p[5] for p in segments)

    keep = [i for i, s in enumerate(sections)
            if i == 0 or s.flags & _SHF_ALLOC or in_segment(s)
            or i in (symtab_index, strtab_index, shstrndx)]
    new_index = {old: new for new, old in enumerate(keep)}
    for i in keep:
        s = sections[i]
        if s.type in (_SHT_REL, _SHT_RELA) and s.link == symtab_index:
            raise ElfSlimError("relocations refer to the symbol table; cannot renumber it")

    names = _StrTab()
    name_of = {i: names.add(_cstr(shstr, sections[i].name)) for i in keep}
    contents: dict[int, bytes] = {shstrndx: bytes(names.data)}
    locals_kept = 0
    if symtab_index is not None and strtab_index is not None:
        syms, strings, locals_kept = _pruned_symbols(data, sections, symtab_index, new_index)
        contents[symtab_index] = syms
        contents[strtab_index] = strings

    # The loaded part of the file (headers and every PT_LOAD's bytes) stays where it is.
    prefix_end = max([phoff + phnum * phentsize] + [
        p[2] + p[5] for p in segments if p[0] == _PT_LOAD])
    out = bytearray(data[:prefix_end])
    new_sections: list[_Section] = []
    for old in keep:
        s = sections[old]
        s = replace(s, name=name_of[old], link=new_index.get(s.link, 0),
                    info=new_index.get(s.info, 0) if s.flags & _SHF_INFO_LINK else s.info)
        if old == symtab_index:
            s = replace(s, info=locals_kept)
        body = contents.get(old)
        if body is None and s.type != _SHT_NOBITS and s.offset + s.size > prefix_end:
            body = data[s.offset:s.offset + s.size]
            for p in segments:
                if p[0] != _PT_LOAD and p[5] and p[2] <= s.offset < p[2] + p[5]:
                    if (p[2], p[5]) != (s.offset, s.size):
                        raise ElfSlimError("a segment points into a section that has to move")
                    p[2] = len(out) + (-len(out) % max(s.addralign, 1))
        if body is not None:
            _align(out, s.addralign)
            s = replace(s, offset=len(out), size=len(body))
            out += body
        new_sections.append(s)
    _align(out, 8)
    new_shoff = len(out)
    for s in new_sections:
        out += s.pack()
    out[:_EHDR.size] = _EHDR.pack(ident, etype, machine, version, entry, phoff, new_shoff,
                                  flags, ehsize, phentsize, phnum, shentsize,
                                  len(new_sections), new_index[shstrndx])
    for i, p in enumerate(segments):
        out[phoff + i * phentsize:phoff + i * phentsize + _PHDR.size] = _PHDR.pack(*p)
    return bytes(out)


def _pruned_symbols(data: bytes, sections: list[_Section], index: int,
                    new_index: dict[int, int]) -> tuple[bytes, bytes, int]:
    """The kept symbols (renumbered sections), their string table and the count of locals."""
    symtab = sections[index]
    strtab = sections[symtab.link]
    strings = data[strtab.offset:strtab.offset + strtab.size]
    new_strings = _StrTab()
    syms = bytearray()
    locals_kept = 0
    for k in range(symtab.size // _SYM.size):
        name_off, info, other, shndx, value, size = _SYM.unpack_from(
            data, symtab.offset + k * _SYM.size)
        if k:
            name = _cstr(strings, name_off)
            if not _keep_symbol(name, info, shndx, shndx in new_index):
                continue
            if 0 < shndx < _SHN_LORESERVE:
                shndx = new_index[shndx]
            name_off = new_strings.add(name)
        if info >> 4 == _STB_LOCAL:
            locals_kept += 1
        syms += _SYM.pack(name_off, info, other, shndx, value, size)
    return bytes(syms), bytes(new_strings.data), locals_kept
