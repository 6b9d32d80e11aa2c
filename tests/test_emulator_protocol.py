"""The emulated phone on the wire, driven by a minimal host written here (no adb): auth, flow control,
split sync messages, pty shells, refused services, malformed packets."""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host_tools.emulator import EmulatedPhone
from host_tools.emulator import protocol as p
from host_tools.emulator.auth import AdbPrivateKey
from host_tools.targets.adb_private import wait_until

HOST_BANNER = b"host::features=shell_v2,cmd,stat_v2\0"


@pytest.fixture(scope="module")
def key() -> AdbPrivateKey:
    return AdbPrivateKey.generate()


class RawHost:
    def __init__(self, port: int, max_payload: int = p.MAX_PAYLOAD) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.max_payload = max_payload
        self.next_id = 100

    def close(self) -> None:
        self.sock.close()

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        self.sock.sendall(p.encode(p.Packet(command, arg0, arg1, data)))

    def _exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("device closed the connection")
            buf += chunk
        return buf

    def recv(self) -> p.Packet:
        h = p.decode_header(self._exact(p.HEADER_SIZE))
        return p.Packet(h.command, h.arg0, h.arg1, self._exact(h.length) if h.length else b"")

    def cnxn(self) -> p.Packet:
        self.send(p.A_CNXN, p.A_VERSION, self.max_payload, HOST_BANNER)
        return self.recv()

    def online(self, key: AdbPrivateKey) -> p.Packet:
        pkt = self.cnxn()
        assert (pkt.name, pkt.arg0, len(pkt.data)) == ("AUTH", p.AUTH_TOKEN, p.TOKEN_SIZE)
        self.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, key.sign(pkt.data))
        return self.recv()

    def open(self, service: str) -> tuple[int, int]:
        self.next_id += 1
        self.send(p.A_OPEN, self.next_id, 0, service.encode() + b"\0")
        pkt = self.recv()
        assert pkt.name == "OKAY" and pkt.arg1 == self.next_id, pkt
        return self.next_id, pkt.arg0

    def read_stream(self, local: int, remote: int) -> bytes:
        """Everything the device writes on one stream until its CLSE, acknowledging each WRTE."""
        out = b""
        while True:
            pkt = self.recv()
            if pkt.name == "CLSE":
                return out
            assert pkt.name == "WRTE" and pkt.arg1 == local
            out += pkt.data
            self.send(p.A_OKAY, local, remote)


Connect = Callable[..., RawHost]


@pytest.fixture
def phone(tmp_path: Path, key: AdbPrivateKey) -> Iterator[EmulatedPhone]:
    with EmulatedPhone(tmp_path / "phone", authorized_keys=[key.public().encode()], auto_accept=False,
                       ).run_in_thread() as ph:
        yield ph


@pytest.fixture
def hosts() -> Iterator[list[RawHost]]:
    made: list[RawHost] = []
    yield made
    for h in made:
        h.close()


@pytest.fixture
def connect(phone: EmulatedPhone, hosts: list[RawHost]) -> Connect:
    def make(**kw: int) -> RawHost:
        hosts.append(RawHost(phone.port, **kw))
        return hosts[-1]
    return make


def test_auth_signature_and_banner(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    pkt = connect().online(key)
    assert pkt.name == "CNXN" and pkt.arg0 == p.A_VERSION and pkt.arg1 == p.MAX_PAYLOAD
    kind, props = p.parse_banner(pkt.data)
    assert kind == "device" and props["ro.product.model"] == "Emulated Phone"


def test_wrong_key_gets_new_token_then_waits_for_the_user(phone: EmulatedPhone, connect: Connect) -> None:
    stranger = AdbPrivateKey.generate(bits=2048)
    host = connect()
    first = host.cnxn()
    host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, stranger.sign(first.data))
    second = host.recv()
    assert second.name == "AUTH" and second.arg0 == p.AUTH_TOKEN and second.data != first.data
    host.send(p.A_AUTH, p.AUTH_RSAPUBLICKEY, 0, stranger.public().encode().encode() + b"\0")
    wait_until(lambda: len(phone._pending) == 1, 10, "the key prompt")
    assert phone.accept_pending() == 1
    assert host.recv().name == "CNXN"
    assert stranger.public().encode().split()[0] in phone.device.adb_keys.read_text()  # "Always allow"


def test_services_need_an_online_connection(phone: EmulatedPhone, connect: Connect) -> None:
    host = connect()
    host.cnxn()
    host.send(p.A_OPEN, 1, 0, b"shell:echo hi\0")  # ignored before auth, as adbd does
    host.send(p.A_AUTH, p.AUTH_SIGNATURE, 0, b"\0" * 256)
    assert host.recv().name == "AUTH"


def test_sync_messages_split_into_one_byte_writes(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    host = connect()
    host.online(key)
    local, remote = host.open("sync:")
    path = b"/data/local/tmp/split/f.bin,33188"
    payload = os.urandom(3000)
    msg = (b"SEND" + struct.pack("<I", len(path)) + path + b"DATA" + struct.pack("<I", len(payload)) + payload
           + b"DONE" + struct.pack("<I", 1_600_000_000))
    for i in range(0, 200):  # the first 200 bytes one at a time, the rest in one go
        host.send(p.A_WRTE, local, remote, msg[i:i + 1])
        assert host.recv().name == "OKAY"
    host.send(p.A_WRTE, local, remote, msg[200:])
    assert host.recv().name == "OKAY"
    reply = host.recv()
    assert reply.name == "WRTE" and reply.data == b"OKAY\0\0\0\0"
    host.send(p.A_OKAY, local, remote)
    stored = phone.device.tmp / "split" / "f.bin"
    assert stored.read_bytes() == payload
    assert int(stored.stat().st_mtime) == 1_600_000_000
    assert stored.stat().st_mode & 0o777 == 0o666  # adbd copies the user bits to group and other
    host.send(p.A_WRTE, local, remote, b"QUIT\0\0\0\0")
    assert host.recv().name == "OKAY"
    assert host.recv().name == "CLSE"


def test_one_write_in_flight_and_payload_limit(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    host = connect(max_payload=4096)
    host.online(key)
    local, remote = host.open("exec:head -c 20000 /dev/zero")
    first = host.recv()
    assert first.name == "WRTE" and len(first.data) <= 4096
    host.sock.settimeout(0.3)
    with pytest.raises(socket.timeout):  # nothing more until we acknowledge
        host.recv()
    host.sock.settimeout(10)
    host.send(p.A_OKAY, local, remote)
    rest = host.read_stream(local, remote)
    assert len(first.data) + len(rest) == 20000


def test_pty_shell_with_window_size_and_exit_code(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    host = connect()
    host.online(key)
    local, remote = host.open("shell,v2,TERM=xterm,pty:")
    host.send(p.A_WRTE, local, remote, p.shell_packet(p.SHELL_WINDOW_SIZE, b"40x132,0x0\0"))
    host.send(p.A_WRTE, local, remote, p.shell_packet(p.SHELL_STDIN, b"stty size; echo $TERM; exit 4\n"))
    reader = p.ShellPacketReader()
    output, code = b"", None
    while code is None:
        pkt = host.recv()
        if pkt.name == "OKAY":
            continue
        assert pkt.name == "WRTE"
        host.send(p.A_OKAY, local, remote)
        for kind, data in reader.feed(pkt.data):
            if kind == p.SHELL_STDOUT:
                output += data
            elif kind == p.SHELL_EXIT:
                code = data[0]
    assert code == 4
    assert b"40 132" in output and b"xterm" in output


def _close_and_expect_hangup(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey, flag_name: str) -> None:
    """Run a command that records SIGHUP in a file, close its stream from the host, wait for the file."""
    host = connect()
    host.online(key)
    flag = phone.device.tmp / flag_name
    local, remote = host.open(f"shell,v2,raw:trap 'echo hup > /data/local/tmp/{flag_name}; exit' HUP; echo ready; "
                              "while :; do sleep 0.05; done")
    pkt = host.recv()
    assert pkt.name == "WRTE" and b"ready" in pkt.data
    host.send(p.A_CLSE, local, remote)
    wait_until(flag.exists, 10, "the command to get SIGHUP")


def test_host_close_hangs_up_the_command(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    _close_and_expect_hangup(phone, connect, key, "hup")


def test_commands_start_with_default_signals_even_when_the_host_ignores_sighup(
        phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    """Under `nohup` the host ignores SIGHUP; adbd's commands must not inherit that (a hang-up would be lost)."""
    import signal

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        _close_and_expect_hangup(phone, connect, key, "hup-nohup")
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_refused_service_and_malformed_packet(phone: EmulatedPhone, connect: Connect, key: AdbPrivateKey) -> None:
    host = connect()
    host.online(key)
    host.send(p.A_OPEN, 7, 0, b"framebuffer:\0")
    pkt = host.recv()
    assert (pkt.name, pkt.arg0, pkt.arg1) == ("CLSE", 0, 7)
    host.sock.sendall(b"\0" * 24)  # bad magic: the device drops the connection
    with pytest.raises((EOFError, ConnectionError)):
        host.recv()
    assert connect().online(key).name == "CNXN"  # and keeps serving others
