"""Just enough ELF to pick and prepare a device_bench binary for a device: its CPU architecture, its
program interpreter (glibc's ``ld-linux`` or Android's ``/system/bin/linker64``) and its library search
path (``DT_RPATH``/``DT_RUNPATH``), which ``with_rpath`` can replace in a copy (as ``chrpath -r`` does).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MACHINES = {3: "x86", 40: "arm", 62: "x86_64", 183: "aarch64"}
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_STRTAB, DT_STRSZ, DT_RPATH, DT_RUNPATH = 0, 5, 10, 15, 29


class ElfError(ValueError):
    """Not an ELF file, or one this module cannot read."""


@dataclass(frozen=True)
class ElfInfo:
    machine: str  # x86_64, aarch64, arm, x86, or "e_machine N"
    bits: int
    interpreter: str | None  # None: static or a shared library
    rpath: str | None  # DT_RPATH or DT_RUNPATH (64-bit files only)

    @property
    def android(self) -> bool:
        """Linked for Android's bionic (its loader is /system/bin/linker or linker64)."""
        return bool(self.interpreter and self.interpreter.startswith("/system/bin/linker"))


@dataclass(frozen=True)
class _Layout:
    bits: int
    machine: int
    phdrs: list[tuple[int, int, int, int]]  # (type, offset, vaddr, filesz)


def _layout(data: bytes) -> _Layout:
    if len(data) < 52 or data[:4] != b"\x7fELF":
        raise ElfError("not an ELF file")
    if data[5] != 1:
        raise ElfError("big-endian ELF files are not supported")
    bits = {1: 32, 2: 64}.get(data[4])
    if bits is None:
        raise ElfError(f"unknown ELF class {data[4]}")
    machine = struct.unpack_from("<H", data, 18)[0]
    if bits == 64:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        fmt, fields = "<IIQQQQ", (0, 2, 3, 5)  # type, flags, offset, vaddr, paddr, filesz
    else:
        phoff, = struct.unpack_from("<I", data, 28)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
        fmt, fields = "<IIIII", (0, 1, 2, 4)  # type, offset, vaddr, paddr, filesz
    phdrs = []
    for i in range(phnum):
        start = phoff + i * phentsize
        if start + struct.calcsize(fmt) > len(data):
            raise ElfError("truncated program headers")
        raw = struct.unpack_from(fmt, data, start)
        phdrs.append(tuple(raw[f] for f in fields))
    return _Layout(bits, machine, phdrs)  # type: ignore[arg-type]


def _file_offset(layout: _Layout, vaddr: int) -> int:
    for ptype, offset, start, size in layout.phdrs:
        if ptype == PT_LOAD and start <= vaddr < start + size:
            return vaddr - start + offset
    raise ElfError(f"address {vaddr:#x} is in no loaded segment")


def _rpath_slot(data: bytes, layout: _Layout) -> tuple[int, int] | None:
    """(file offset of the DT_RPATH/DT_RUNPATH string, its length) of a 64-bit file."""
    if layout.bits != 64:
        return None
    dyn = next(((off, size) for t, off, _v, size in layout.phdrs if t == PT_DYNAMIC), None)
    if dyn is None:
        return None
    entries: dict[int, int] = {}
    for pos in range(dyn[0], dyn[0] + dyn[1] - 15, 16):
        tag, value = struct.unpack_from("<qQ", data, pos)
        if tag == DT_NULL:
            break
        entries.setdefault(tag, value)
    str_off = entries.get(DT_RPATH, entries.get(DT_RUNPATH))
    if str_off is None or DT_STRTAB not in entries:
        return None
    start = _file_offset(layout, entries[DT_STRTAB]) + str_off
    end = data.index(b"\0", start)
    return start, end - start


def read_elf(data: bytes) -> ElfInfo:
    layout = _layout(data)
    interp = None
    for ptype, offset, _vaddr, size in layout.phdrs:
        if ptype == PT_INTERP:
            interp = data[offset:offset + size].split(b"\0", 1)[0].decode("utf-8", "replace")
    slot = _rpath_slot(data, layout)
    rpath = data[slot[0]:slot[0] + slot[1]].decode("utf-8", "replace") if slot else None
    machine = MACHINES.get(layout.machine, f"e_machine {layout.machine}")
    return ElfInfo(machine=machine, bits=layout.bits, interpreter=interp, rpath=rpath)


def elf_info(path: Path) -> ElfInfo:
    """The ELF facts of ``path``; ElfError when it is not an ELF file."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
        if head[:4] != b"\x7fELF":
            raise ElfError(f"{path} is not an ELF file")
        return read_elf(head + f.read())


def with_rpath(data: bytes, rpath: str) -> bytes:
    """``data`` with its DT_RPATH/DT_RUNPATH string replaced by ``rpath`` (no longer than the old one;
    the rest is NUL-padded in place, so no offsets move)."""
    slot = _rpath_slot(data, _layout(data))
    if slot is None:
        raise ElfError("the file has no RPATH or RUNPATH to replace")
    start, length = slot
    new = rpath.encode()
    if len(new) > length:
        raise ElfError(f"the new RPATH ({len(new)} bytes) is longer than the old one ({length} bytes)")
    out = bytearray(data)
    out[start:start + length] = new + b"\0" * (length - len(new))
    return bytes(out)
