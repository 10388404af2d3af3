"""A minimal ELF64 little-endian RISC-V executable writer for tests.

``make_elf(code)`` gives a static ET_EXEC that Linux (qemu-riscv64) and ``vm.load_elf`` both
accept: an R+X PT_LOAD for the code, an optional R+W PT_LOAD for data (+ bss), section
headers for .text/.data/.bss, and a .symtab so ``Machine.call("name")`` finds functions.
Keyword arguments let malformed-file tests bend any header field or add raw segments.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["make_elf", "RawSegment", "PT_LOAD", "PT_INTERP", "PT_DYNAMIC", "PT_PHDR",
           "PF_R", "PF_W", "PF_X", "ET_EXEC", "ET_DYN", "EM_RISCV"]

PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR = 1, 2, 3, 6
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3
EM_RISCV = 243
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS = 1, 2, 3, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STB_GLOBAL = 1
STT_OBJECT, STT_FUNC = 1, 2
SHN_ABS = 0xFFF1
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
PAGE = 0x1000


@dataclass(frozen=True)
class RawSegment:
    """An extra program header: ``data`` goes in the file, ``memsz`` defaults to its length."""

    vaddr: int
    data: bytes = b""
    flags: int = PF_R
    memsz: int | None = None
    p_type: int = PT_LOAD


def _pad_to(buf: bytearray, align: int, congruent: int = 0) -> None:
    """Pad ``buf`` with zeros until ``len(buf) % align == congruent % align``."""
    while len(buf) % align != congruent % align:
        buf.append(0)


def make_elf(
    code: bytes,
    *,
    code_addr: int = 0x10000,
    data: bytes = b"",
    data_addr: int | None = None,
    bss: int = 0,
    entry: int | None = None,
    symbols: dict[str, int] | None = None,
    extra_segments: Sequence[RawSegment] = (),
    code_flags: int = PF_R | PF_X,
    data_flags: int = PF_R | PF_W,
    e_type: int = ET_EXEC,
    e_machine: int = EM_RISCV,
    ei_class: int = 2,
    ei_data: int = 1,
    sections: bool = True,
) -> bytes:
    """A static RV64 executable holding ``code`` at ``code_addr``.

    Args:
        code: the text segment's bytes (its first byte is the default entry point).
        data, data_addr, bss: an R+W segment with ``data`` followed by ``bss`` zero bytes,
            at ``data_addr`` (default: the page after the code, plus one guard page).
        entry: e_entry (default ``code_addr``).
        symbols: name -> address; addresses inside the code become global FUNC symbols,
            the rest global OBJECT symbols.
        extra_segments: more program headers, appended after the standard ones.
        code_flags, data_flags, e_type, e_machine, ei_class, ei_data: header fields, for
            building files the loader must reject.
        sections: write section headers and the symbol table.
    """
    if data_addr is None:
        data_addr = ((code_addr + len(code) + PAGE - 1) & ~(PAGE - 1)) + PAGE
    has_data = bool(data or bss)
    segs: list[RawSegment] = [RawSegment(code_addr, code, code_flags)]
    if has_data:
        segs.append(RawSegment(data_addr, data, data_flags, len(data) + bss))
    segs += list(extra_segments)

    out = bytearray(EHDR.size + PHDR.size * len(segs))
    offsets = []
    for seg in segs:
        _pad_to(out, PAGE, seg.vaddr)
        offsets.append(len(out))
        out += seg.data
    phdrs = b"".join(
        PHDR.pack(seg.p_type, seg.flags, off, seg.vaddr, seg.vaddr, len(seg.data),
                  len(seg.data) if seg.memsz is None else seg.memsz, PAGE)
        for seg, off in zip(segs, offsets, strict=True)
    )
    out[EHDR.size:EHDR.size + len(phdrs)] = phdrs

    shoff = shnum = shstrndx = 0
    if sections:
        shoff, shnum, shstrndx = _append_sections(
            out, code_addr, len(code), offsets[0], data_addr if has_data else None,
            len(data), bss, offsets[1] if has_data else 0, symbols or {},
        )
    ident = b"\x7fELF" + bytes([ei_class, ei_data, 1, 0]) + bytes(8)
    out[:EHDR.size] = EHDR.pack(
        ident, e_type, e_machine, 1, code_addr if entry is None else entry,
        EHDR.size, shoff, 0x5, EHDR.size, PHDR.size, len(segs),
        SHDR.size, shnum, shstrndx,
    )
    return bytes(out)


def _append_sections(out: bytearray, code_addr: int, code_len: int, code_off: int,
                     data_addr: int | None, data_len: int, bss: int, data_off: int,
                     symbols: dict[str, int]) -> tuple[int, int, int]:
    """Append .symtab, .strtab, .shstrtab and the section headers; return e_sh* fields."""
    names = bytearray(b"\0")

    def name(s: str) -> int:
        names_at = len(names)
        names.extend(s.encode() + b"\0")
        return names_at

    # Section indices: 1 .text, 2 .data, 3 .bss (when present), then symtab/strtab/shstrtab.
    headers: list[bytes] = [bytes(SHDR.size)]
    sh_names = []
    text_idx = 1
    sh_names.append(".text")
    headers.append(SHDR.pack(0, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, code_addr, code_off,
                             code_len, 0, 0, 4, 0))
    data_idx = bss_idx = None
    if data_addr is not None:
        data_idx = len(headers)
        sh_names.append(".data")
        headers.append(SHDR.pack(0, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, data_addr, data_off,
                                 data_len, 0, 0, 8, 0))
        if bss:
            bss_idx = len(headers)
            sh_names.append(".bss")
            headers.append(SHDR.pack(0, SHT_NOBITS, SHF_ALLOC | SHF_WRITE,
                                     data_addr + data_len, data_off + data_len, bss, 0, 0, 8, 0))

    strtab = bytearray(b"\0")
    syms = [bytes(SYM.size)]
    for sym_name, addr in sorted(symbols.items(), key=lambda kv: (kv[1], kv[0])):
        st_name = len(strtab)
        strtab += sym_name.encode() + b"\0"
        if code_addr <= addr < code_addr + code_len:
            kind, shndx = STT_FUNC, text_idx
        elif data_idx is not None and data_addr <= addr < data_addr + data_len:
            kind, shndx = STT_OBJECT, data_idx
        elif bss_idx is not None and data_addr + data_len <= addr < data_addr + data_len + bss:
            kind, shndx = STT_OBJECT, bss_idx
        else:
            kind, shndx = STT_OBJECT, SHN_ABS
        syms.append(SYM.pack(st_name, (STB_GLOBAL << 4) | kind, 0, shndx, addr, 0))

    _pad_to(out, 8)
    symtab_off = len(out)
    out += b"".join(syms)
    strtab_off = len(out)
    out += strtab
    symtab_idx = len(headers)
    sh_names.append(".symtab")
    headers.append(SHDR.pack(0, SHT_SYMTAB, 0, 0, symtab_off, len(syms) * SYM.size,
                             symtab_idx + 1, 1, 8, SYM.size))
    sh_names.append(".strtab")
    headers.append(SHDR.pack(0, SHT_STRTAB, 0, 0, strtab_off, len(strtab), 0, 0, 1, 0))
    shstrndx = len(headers)
    sh_names.append(".shstrtab")
    headers.append(b"")  # filled below, once the names are known
    name_offsets = [name(n) for n in sh_names]
    shstr_off = len(out)
    out += names
    headers[-1] = SHDR.pack(0, SHT_STRTAB, 0, 0, shstr_off, len(names), 0, 0, 1, 0)
    # Patch sh_name of every header (index 0 stays null).
    for i, off in enumerate(name_offsets, start=1):
        headers[i] = struct.pack("<I", off) + headers[i][4:]
    _pad_to(out, 8)
    shoff = len(out)
    out += b"".join(headers)
    return shoff, len(headers), shstrndx
