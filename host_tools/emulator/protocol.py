"""Pure codecs for the ADB wire formats: transport packets, the CNXN banner, service names, shell v2 packets.

Transport packet (AOSP ``adb/protocol.txt``): a 24-byte little-endian header ``command, arg0, arg1,
data_length, data_crc32, magic`` (``magic == command ^ 0xffffffff``) followed by ``data_length`` bytes.
``data_crc32`` is the byte sum of the payload; peers at version >= ``A_VERSION_SKIP_CHECKSUM`` send 0 and
ignore it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


def _cmd(name: bytes) -> int:
    return struct.unpack("<I", name)[0]


A_SYNC = _cmd(b"SYNC")
A_CNXN = _cmd(b"CNXN")
A_AUTH = _cmd(b"AUTH")
A_OPEN = _cmd(b"OPEN")
A_OKAY = _cmd(b"OKAY")
A_CLSE = _cmd(b"CLSE")
A_WRTE = _cmd(b"WRTE")
A_STLS = _cmd(b"STLS")

A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001
A_VERSION = 0x01000001
MAX_PAYLOAD_V1 = 4 * 1024
MAX_PAYLOAD = 1024 * 1024

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size

COMMAND_NAMES = {A_SYNC: "SYNC", A_CNXN: "CNXN", A_AUTH: "AUTH", A_OPEN: "OPEN", A_OKAY: "OKAY",
                 A_CLSE: "CLSE", A_WRTE: "WRTE", A_STLS: "STLS"}

# Features this device advertises. Deliberately absent: sendrecv_v2* (compressed sync), ls_v2 (LIS2) and
# delayed_ack (a different flow-control scheme); adb hosts fall back to the classic protocols without them.
FEATURES = ("shell_v2", "cmd", "stat_v2", "fixed_push_mkdir", "fixed_push_symlink_timestamp")


class ProtocolError(ValueError):
    """A malformed packet: the transport must be dropped."""


@dataclass(frozen=True)
class Header:
    command: int
    arg0: int
    arg1: int
    length: int
    checksum: int


@dataclass(frozen=True)
class Packet:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return command_name(self.command)


def command_name(command: int) -> str:
    return COMMAND_NAMES.get(command, f"0x{command:08x}")


def checksum(data: bytes) -> int:
    """The legacy payload checksum: the sum of all bytes, modulo 2**32."""
    return sum(data) & 0xFFFFFFFF


def encode(packet: Packet, with_checksum: bool = True) -> bytes:
    """Header + payload, ready for the socket."""
    crc = checksum(packet.data) if with_checksum else 0
    header = HEADER.pack(packet.command, packet.arg0, packet.arg1, len(packet.data), crc,
                         packet.command ^ 0xFFFFFFFF)
    return header + packet.data


def decode_header(raw: bytes, max_payload: int = MAX_PAYLOAD) -> Header:
    """Parse and validate a 24-byte header (magic, known command, payload size)."""
    if len(raw) != HEADER_SIZE:
        raise ProtocolError(f"short header: {len(raw)} bytes")
    command, arg0, arg1, length, crc, magic = HEADER.unpack(raw)
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic 0x{magic:08x} for command 0x{command:08x}")
    if command not in COMMAND_NAMES:
        raise ProtocolError(f"unknown command 0x{command:08x}")
    if length > max_payload:
        raise ProtocolError(f"payload of {length} bytes exceeds {max_payload}")
    return Header(command, arg0, arg1, length, crc)


def verify_checksum(header: Header, data: bytes, version: int) -> bool:
    """Old peers (< A_VERSION_SKIP_CHECKSUM) must send the byte sum; newer ones may send anything."""
    return version >= A_VERSION_SKIP_CHECKSUM or checksum(data) == header.checksum


def make_banner(props: dict[str, str], features: tuple[str, ...] = FEATURES, state: str = "device") -> bytes:
    """``device::ro.product.name=..;ro.product.model=..;ro.product.device=..;features=..`` as adbd sends it."""
    keys = ("ro.product.name", "ro.product.model", "ro.product.device")
    parts = [f"{k}={props[k]}" for k in keys if k in props]
    parts.append("features=" + ",".join(features))
    return f"{state}::{';'.join(parts)}".encode()


def parse_banner(banner: bytes) -> tuple[str, dict[str, str]]:
    """``host::features=a,b`` -> ("host", {"features": "a,b"}); tolerant of a trailing NUL."""
    text = banner.rstrip(b"\0").decode("utf-8", "replace")
    kind, _, rest = text.partition(":")
    _, _, props_text = rest.partition(":")
    props: dict[str, str] = {}
    for item in props_text.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            props[key] = value
    return kind, props


@dataclass(frozen=True)
class ShellRequest:
    """A parsed ``shell[,arg...]:command`` service name (AOSP daemon/services.cpp ShellService)."""

    command: str
    pty: bool
    protocol: bool
    term: str


def parse_shell_service(args: str) -> ShellRequest:
    """``args`` is what follows ``shell``: ``:cmd``, ``,v2,TERM=xterm,raw:cmd``, ``,v2:cmd``..."""
    head, sep, command = args.partition(":")
    if not sep:
        raise ValueError("no ':' in shell service arguments")
    pty = command == ""
    protocol = False
    term = "dumb"
    for arg in head.split(","):
        if arg == "raw":
            pty = False
        elif arg == "pty":
            pty = True
        elif arg == "v2":
            protocol = True
        elif arg.startswith("TERM="):
            term = arg[5:]
    return ShellRequest(command=command, pty=pty, protocol=protocol, term=term)


# Shell protocol (shell_v2) packets: 1-byte id, 4-byte little-endian length, payload.
SHELL_STDIN = 0
SHELL_STDOUT = 1
SHELL_STDERR = 2
SHELL_EXIT = 3
SHELL_CLOSE_STDIN = 4
SHELL_WINDOW_SIZE = 5
SHELL_HEADER = struct.Struct("<BI")


def shell_packet(kind: int, data: bytes) -> bytes:
    return SHELL_HEADER.pack(kind, len(data)) + data


class ShellPacketReader:
    """Incremental shell-protocol decoder: feed bytes as they arrive, get whole packets out."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buf += data
        out: list[tuple[int, bytes]] = []
        while len(self._buf) >= SHELL_HEADER.size:
            kind, length = SHELL_HEADER.unpack_from(self._buf)
            end = SHELL_HEADER.size + length
            if len(self._buf) < end:
                break
            out.append((kind, bytes(self._buf[SHELL_HEADER.size:end])))
            del self._buf[:end]
        return out


def parse_window_size(data: bytes) -> tuple[int, int, int, int] | None:
    """``"rowsxcols,xpixelsxypixels"`` -> (rows, cols, xpixels, ypixels)."""
    try:
        text = data.rstrip(b"\0").decode()
        chars, _, pixels = text.partition(",")
        rows, cols = (int(v) for v in chars.split("x"))
        xp, yp = (int(v) for v in pixels.split("x")) if pixels else (0, 0)
        return rows, cols, xp, yp
    except ValueError:
        return None
