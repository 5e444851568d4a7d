"""A small reader for the ELF files tinyctl builds (32-bit Arm firmware, 64-bit host executables, little-endian):
sections, load segments and symbols, which is all that sizing, flashing and the PIL runner need."""
import struct
from dataclasses import dataclass

from tinyctl.errors import TinyctlError

SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR = 0x2, 0x1, 0x4
SHT_NOBITS, SHT_SYMTAB = 8, 2
PT_LOAD = 1
EM_ARM = 40


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int

    @property
    def alloc(self):
        return bool(self.flags & SHF_ALLOC)


@dataclass(frozen=True)
class Segment:
    vaddr: int
    paddr: int          # the load (flash) address
    data: bytes         # file contents (filesz bytes)
    memsz: int
    flags: int


class Elf:
    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                self.raw = f.read()
        except OSError as e:
            raise TinyctlError(f"cannot read {path}: {e.strerror}") from None
        if self.raw[:4] != b"\x7fELF" or self.raw[5] != 1:
            raise TinyctlError(f"{path} is not a little-endian ELF file")
        self.bits = 64 if self.raw[4] == 2 else 32
        if self.bits == 32:
            (self.machine, self.entry, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = \
                struct.unpack_from("<18xHxxxxIII6xHHHHH", self.raw, 0)
        else:
            (self.machine, self.entry, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = \
                struct.unpack_from("<18xHxxxxQQQ6xHHHHH", self.raw, 0)
        self.sections = self._sections(shoff, shentsize, shnum, shstrndx)
        self.segments = self._segments(phoff, phentsize, phnum)

    def _sections(self, shoff, entsize, num, strndx):
        fmt = "<IIIIIIIIII" if self.bits == 32 else "<IIQQQQIIQQ"
        heads = [struct.unpack_from(fmt, self.raw, shoff + i * entsize) for i in range(num)]
        names = heads[strndx][4] if heads else 0
        out = []
        for h in heads:
            name_off, stype, flags, addr, offset, size = h[0], h[1], h[2], h[3], h[4], h[5]
            out.append(Section(self._cstr(names + name_off), stype, flags, addr, offset, size))
        self._heads = heads
        return out

    def _segments(self, phoff, entsize, num):
        out = []
        for i in range(num):
            if self.bits == 32:
                ptype, offset, vaddr, paddr, filesz, memsz, flags, _ = struct.unpack_from("<IIIIIIII", self.raw,
                                                                                            phoff + i * entsize)
            else:
                ptype, flags, offset, vaddr, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", self.raw,
                                                                                            phoff + i * entsize)
            if ptype == PT_LOAD:
                out.append(Segment(vaddr, paddr, self.raw[offset:offset + filesz], memsz, flags))
        return out

    def _cstr(self, at):
        end = self.raw.index(b"\0", at)
        return self.raw[at:end].decode("ascii", "replace")

    def section(self, name):
        return next((s for s in self.sections if s.name == name), None)

    def symbols(self):
        """name -> (value, size) of every symbol in .symtab."""
        out = {}
        for i, s in enumerate(self.sections):
            if s.type != SHT_SYMTAB:
                continue
            strtab = self.sections[self._heads[i][6]]
            entsize = 16 if self.bits == 32 else 24
            for k in range(s.size // entsize):
                at = s.offset + k * entsize
                if self.bits == 32:
                    name, value, size, _, _, _ = struct.unpack_from("<IIIBBH", self.raw, at)
                else:
                    name, _, _, _, value, size = struct.unpack_from("<IBBHQQ", self.raw, at)
                if name:
                    out[self._cstr(strtab.offset + name)] = (value, size)
        return out

    def read(self, addr, size):
        """Bytes at a virtual address, from the section that holds them (rodata, data, text)."""
        for s in self.sections:
            if s.alloc and s.type != SHT_NOBITS and s.addr <= addr and addr + size <= s.addr + s.size:
                return self.raw[s.offset + addr - s.addr: s.offset + addr - s.addr + size]
        raise TinyctlError(f"{self.path}: no section holds 0x{addr:x}..0x{addr + size:x}")
