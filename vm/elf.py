"""ELF loader: a static, non-PIE RV64 little-endian executable to a ``Program``.

Reading uses pyelftools; every way a file can be wrong ends in ``ElfError`` with a reason.
A ``Program`` is immutable and can back any number of machines.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import struct
from dataclasses import dataclass, field

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.elffile import ELFFile

from .errors import ElfError

__all__ = ["Segment", "Program", "load_elf"]

EM_RISCV = 243
PF_X, PF_W, PF_R = 1, 2, 4
PAGE = 4096


@dataclass(frozen=True)
class Segment:
    """A PT_LOAD segment: ``data`` is its file bytes, zero-filled up to ``memsz``."""

    vaddr: int
    memsz: int
    data: bytes
    flags: int

    @property
    def end(self) -> int:
        return self.vaddr + self.memsz

    @property
    def executable(self) -> bool:
        return bool(self.flags & PF_X)

    @property
    def writable(self) -> bool:
        return bool(self.flags & PF_W)


@dataclass(frozen=True)
class Program:
    """A loaded executable: its segments, entry, symbols and identity (sha256 of the file)."""

    entry: int
    segments: tuple[Segment, ...]
    phdr_addr: int
    phnum: int
    phentsize: int
    sha256: str
    functions: dict[str, int] = field(repr=False)  # global/local FUNC symbols by name
    objects: dict[str, int] = field(repr=False)
    _sym_addrs: list[int] = field(repr=False, default_factory=list)
    _sym_names: list[str] = field(repr=False, default_factory=list)
    #: Decoded blocks by start pc, shared by every machine running this program.
    decode_cache: dict = field(repr=False, default_factory=dict, compare=False)

    @property
    def low(self) -> int:
        """The lowest mapped address (page aligned): everything below is the null guard."""
        return self.segments[0].vaddr & ~(PAGE - 1)

    @property
    def high(self) -> int:
        """One past the highest byte any segment occupies."""
        return max(s.end for s in self.segments)

    @property
    def rw_start(self) -> int:
        """The first writable address: stores below it fault (text and rodata live there)."""
        writable = [s.vaddr for s in self.segments if s.writable]
        return min(writable) if writable else self.high

    def symbolize(self, addr: int) -> str | None:
        """``name+0xoff`` of the nearest function or object at or below ``addr``."""
        i = bisect.bisect_right(self._sym_addrs, addr) - 1
        if i < 0:
            return None
        off = addr - self._sym_addrs[i]
        name = self._sym_names[i]
        return f"{name}+0x{off:x}" if off else name


def load_elf(data: bytes, *, memory_limit: int | None = None) -> Program:
    """Parse ``data`` as a static RV64 executable.

    Raises:
        ElfError: with the reason, for anything we cannot load.
    """
    if len(data) < 64 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file (bad magic or shorter than an ELF header)")
    if data[4] != 2:
        raise ElfError("not a 64-bit ELF (EI_CLASS is not ELFCLASS64)")
    if data[5] != 1:
        raise ElfError("not little-endian (EI_DATA is not ELFDATA2LSB)")
    try:
        return _load(data, memory_limit)
    except ElfError:
        raise
    except (_PyElfError, ValueError, KeyError, IndexError, OverflowError, TypeError,
            AttributeError, AssertionError, UnicodeDecodeError, EOFError) as exc:
        raise ElfError(f"malformed ELF: {exc}") from None
    except Exception as exc:  # pyelftools raises construct errors of many kinds
        raise ElfError(f"malformed ELF: {type(exc).__name__}: {exc}") from None


def _load(data: bytes, memory_limit: int | None) -> Program:
    elf = ELFFile(io.BytesIO(data))
    hdr = elf.header
    if hdr["e_machine"] != "EM_RISCV" and hdr["e_machine"] != EM_RISCV:
        raise ElfError(f"not a RISC-V program (e_machine {hdr['e_machine']})")
    if hdr["e_type"] == "ET_DYN":
        raise ElfError("position-independent or shared object: only static non-PIE (ET_EXEC)")
    if hdr["e_type"] != "ET_EXEC":
        raise ElfError(f"not an executable (e_type {hdr['e_type']})")
    entry = hdr["e_entry"]
    if not entry:
        raise ElfError("no entry point")

    segments: list[Segment] = []
    phdr_addr = 0
    phoff, phsize = hdr["e_phoff"], hdr["e_phnum"] * hdr["e_phentsize"]
    mapped_phdrs = 0  # where a PT_LOAD maps the program header table, if one does
    for seg in elf.iter_segments():
        kind = seg["p_type"]
        if kind == "PT_INTERP":
            raise ElfError("dynamically linked (PT_INTERP): only static executables")
        if kind == "PT_DYNAMIC":
            raise ElfError("dynamically linked (PT_DYNAMIC): only static executables")
        if kind == "PT_PHDR":
            phdr_addr = seg["p_vaddr"]
        if kind != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        off, filesz, memsz = seg["p_offset"], seg["p_filesz"], seg["p_memsz"]
        vaddr, flags = seg["p_vaddr"], seg["p_flags"]
        if not mapped_phdrs and off <= phoff and phoff + phsize <= off + filesz:
            mapped_phdrs = vaddr + phoff - off
        if filesz > memsz:
            raise ElfError(f"segment at 0x{vaddr:x}: file size {filesz} > memory size {memsz}")
        if off + filesz > len(data):
            raise ElfError(f"segment at 0x{vaddr:x} is truncated (needs {off + filesz} bytes, "
                           f"file has {len(data)})")
        if flags & PF_W and flags & PF_X:
            raise ElfError(f"segment at 0x{vaddr:x} is writable and executable")
        if vaddr < PAGE:
            raise ElfError(f"segment at 0x{vaddr:x} overlaps the null guard page")
        if vaddr + memsz >= 1 << 47:
            raise ElfError(f"segment at 0x{vaddr:x} lies outside the user address range")
        if memory_limit is not None and memsz > memory_limit:
            # Checked before the zero fill below, which would allocate memsz bytes.
            raise ElfError(f"segment at 0x{vaddr:x} needs {memsz} bytes, more than the "
                           f"memory limit {memory_limit}")
        body = data[off:off + filesz] + bytes(memsz - filesz)
        segments.append(Segment(vaddr, memsz, body, flags))
    if not segments:
        raise ElfError("no loadable segments")
    segments.sort(key=lambda s: s.vaddr)
    for a, b in zip(segments, segments[1:], strict=False):
        if a.end > b.vaddr:
            raise ElfError(f"segments at 0x{a.vaddr:x} and 0x{b.vaddr:x} overlap")
    for a, b in zip(segments, segments[1:], strict=False):
        if a.writable and not b.writable:
            raise ElfError("a read-only segment follows a writable one: "
                           "text and rodata must lie below data")
    if not any(s.executable and s.vaddr <= entry < s.end for s in segments):
        raise ElfError(f"entry point 0x{entry:x} is not inside an executable segment")
    low = segments[0].vaddr & ~(PAGE - 1)
    span = max(s.end for s in segments) - low
    if memory_limit is not None and span > memory_limit:
        raise ElfError(f"segments span {span} bytes, more than the memory limit {memory_limit}")
    if not phdr_addr:
        phdr_addr = mapped_phdrs

    functions, objects = _symbols(data, elf)
    pairs = sorted({(a, n) for n, a in {**objects, **functions}.items()})
    return Program(
        entry=entry,
        segments=tuple(segments),
        phdr_addr=phdr_addr,
        phnum=hdr["e_phnum"],
        phentsize=hdr["e_phentsize"],
        sha256=hashlib.sha256(data).hexdigest(),
        functions=functions,
        objects=objects,
        _sym_addrs=[a for a, _ in pairs],
        _sym_names=[n for _, n in pairs],
    )


_SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym: name, info, other, shndx, value, size
STT_OBJECT, STT_FUNC, STB_GLOBAL = 1, 2, 1


def _symbols(data: bytes, elf: ELFFile) -> tuple[dict[str, int], dict[str, int]]:
    """FUNC and OBJECT symbols of ``.symtab`` by name (a global beats a local of that name).

    Read with ``struct`` rather than pyelftools' per-symbol parser: a static musl program has
    ~10^4 symbols, which pyelftools takes about 0.35 s to go through.
    """
    functions: dict[str, int] = {}
    objects: dict[str, int] = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None or symtab["sh_type"] != "SHT_SYMTAB":
        return functions, objects
    off, size, link = symtab["sh_offset"], symtab["sh_size"], symtab["sh_link"]
    if symtab["sh_entsize"] != _SYM.size or off + size > len(data):
        raise ElfError("malformed symbol table (entry size or bounds)")
    if not 0 < link < elf.num_sections():
        raise ElfError("symbol table without a string table")
    strtab = elf.get_section(link)
    str_off, str_size = strtab["sh_offset"], strtab["sh_size"]
    if str_off + str_size > len(data):
        raise ElfError("symbol string table lies outside the file")
    strings = data[str_off:str_off + str_size]
    count = size // _SYM.size
    # Most symbols are local labels: look at the st_info bytes alone to skip them cheaply.
    infos = data[off + 4:off + count * _SYM.size:_SYM.size]
    for i, info in enumerate(infos):
        kind = info & 0xF
        if kind != STT_FUNC and kind != STT_OBJECT:
            continue
        name_at, _info, _other, shndx, value, _size = _SYM.unpack_from(data, off + i * _SYM.size)
        table = functions if kind == STT_FUNC else objects
        if shndx == 0 or not 0 < name_at < len(strings):
            continue
        end = strings.find(b"\0", name_at)
        name = strings[name_at:end if end >= 0 else len(strings)].decode("utf-8", "replace")
        if name and (name not in table or info >> 4 == STB_GLOBAL):
            table[name] = value
    return functions, objects
