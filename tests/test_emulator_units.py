"""Pure parts of the emulated phone: packet codec, service names, shell packets, RSA auth, device paths."""

from __future__ import annotations

import errno
import subprocess
import time
from pathlib import Path

import pytest

from host_tools.emulator import protocol as p
from host_tools.emulator.auth import (
    AdbPrivateKey,
    AuthorizedKeys,
    KeyFormatError,
    new_token,
    parse_public_key,
    verify_signature,
)
from host_tools.emulator.device import Battery, BatteryConfig, DeviceRoot
from host_tools.emulator.fs import DeviceFs, Mount, normalize
from host_tools.emulator.sandbox import rewrite_paths
from host_tools.emulator.shell import CpuMeter, ProcessTable

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def key() -> AdbPrivateKey:
    return AdbPrivateKey.generate()


def test_packet_round_trip_and_magic() -> None:
    raw = p.encode(p.Packet(p.A_WRTE, 3, 7, b"hello"))
    header = p.decode_header(raw[:24])
    assert (header.command, header.arg0, header.arg1, header.length) == (p.A_WRTE, 3, 7, 5)
    assert header.checksum == sum(b"hello")
    assert p.verify_checksum(header, raw[24:], p.A_VERSION_MIN)
    bad = bytearray(raw[:24])
    bad[20] ^= 0xFF
    with pytest.raises(p.ProtocolError, match="magic"):
        p.decode_header(bytes(bad))
    with pytest.raises(p.ProtocolError, match="exceeds"):
        p.decode_header(p.encode(p.Packet(p.A_WRTE, 1, 1, b"x" * 10))[:24], max_payload=4)


def test_banner_names_product_model_device_and_only_safe_features() -> None:
    banner = p.make_banner({"ro.product.name": "n", "ro.product.model": "M x", "ro.product.device": "d"})
    kind, props = p.parse_banner(banner + b"\0")
    assert kind == "device"
    assert props["ro.product.model"] == "M x"
    features = props["features"].split(",")
    assert "shell_v2" in features and "stat_v2" in features
    assert not {"sendrecv_v2", "sendrecv_v2_brotli", "ls_v2", "delayed_ack"} & set(features)


@pytest.mark.parametrize(("args", "command", "pty", "protocol", "term"), [
    (":ls -l", "ls -l", False, False, "dumb"),
    (":", "", True, False, "dumb"),
    (",v2,TERM=xterm,raw:exit 3", "exit 3", False, True, "xterm"),
    (",v2:echo a:b", "echo a:b", False, True, "dumb"),
    (",v2,pty:", "", True, True, "dumb"),
    (",v2,TERM=xterm-256color,pty:top", "top", True, True, "xterm-256color"),
])
def test_shell_service_names(args: str, command: str, pty: bool, protocol: bool, term: str) -> None:
    req = p.parse_shell_service(args)
    assert (req.command, req.pty, req.protocol, req.term) == (command, pty, protocol, term)


def test_shell_packets_survive_any_split() -> None:
    stream = p.shell_packet(p.SHELL_STDOUT, b"out") + p.shell_packet(p.SHELL_EXIT, b"\x03")
    reader = p.ShellPacketReader()
    got = [pkt for i in range(len(stream)) for pkt in reader.feed(stream[i:i + 1])]
    assert got == [(1, b"out"), (3, b"\x03")]
    assert p.parse_window_size(b"24x80,640x480\0") == (24, 80, 640, 480)


def test_real_adbkey_pub_parses() -> None:
    key = parse_public_key((FIXTURES / "adbkey.pub").read_text())
    assert key.n.bit_length() == 2048 and key.e == 65537
    assert key.comment.startswith("@")


def test_signature_check(key: AdbPrivateKey) -> None:
    line = key.public("me@host").encode()
    pub = parse_public_key(line + "\0")
    assert pub.comment == "me@host" and pub.encode() == line
    token = new_token()
    assert verify_signature(pub, token, key.sign(token))
    assert not verify_signature(pub, new_token(), key.sign(token))
    assert not verify_signature(pub, token, key.sign(token)[:-1])
    other = parse_public_key((FIXTURES / "adbkey.pub").read_text())
    assert not verify_signature(other, token, key.sign(token))


def test_malformed_keys_rejected(key: AdbPrivateKey) -> None:
    for bad in ("", "!!!", "QUFBQQ== x"):
        with pytest.raises(KeyFormatError):
            parse_public_key(bad)
    small = AdbPrivateKey.generate(bits=1024)
    with pytest.raises(KeyFormatError, match="2048"):
        parse_public_key(small.public().encode())


def test_authorized_keys_file(tmp_path: Path, key: AdbPrivateKey) -> None:
    path = tmp_path / "adb_keys"
    keys = AuthorizedKeys(path)
    assert keys.add(key.public().encode() + "\0")
    assert not keys.add(key.public().encode())
    assert not keys.add("garbage")
    token = new_token()
    assert AuthorizedKeys(path).match(token, key.sign(token)) is not None


@pytest.fixture
def devfs(tmp_path: Path) -> tuple[DeviceFs, Path]:
    root = tmp_path / "root"
    host = tmp_path / "host"
    (root / "data" / "local" / "tmp").mkdir(parents=True)
    (host / "etc").mkdir(parents=True)
    (host / "etc" / "hosts").write_text("x")
    mounts = [Mount("/data", root / "data", True), Mount("/", host, False)]
    return DeviceFs(mounts, "/data/local/tmp", 100), root


def test_device_paths(devfs: tuple[DeviceFs, Path]) -> None:
    fs, root = devfs
    assert normalize("data/../../x") == "/x"
    assert fs.for_read("/data/local/tmp/../../../etc/hosts").read_text() == "x"
    _dev, host = fs.for_write("/data/local/tmp/a b;c'd")
    assert host == root / "data" / "local" / "tmp" / "a b;c'd"
    with pytest.raises(OSError) as e:
        fs.for_write("/data/local/tmp/../../../etc/evil")
    assert e.value.errno == errno.EROFS
    with pytest.raises(OSError):
        fs.for_read("/x\0y")


def test_symlinks_resolve_in_device_space(devfs: tuple[DeviceFs, Path]) -> None:
    fs, root = devfs
    tmp = root / "data" / "local" / "tmp"
    (tmp / "to_etc").symlink_to("/etc")
    (tmp / "rel").symlink_to("../tmp/real")
    (tmp / "loop").symlink_to("loop")
    assert fs.for_read("/data/local/tmp/to_etc/hosts").read_text() == "x"  # the device's /etc, not the host's
    with pytest.raises(OSError) as e:
        fs.for_write("/data/local/tmp/to_etc/evil")
    assert e.value.errno == errno.EROFS
    assert fs.for_write("/data/local/tmp/rel")[1] == tmp / "rel"  # the link itself is replaced
    assert fs.resolve("/data/local/tmp/rel") == "/data/local/tmp/real"
    with pytest.raises(OSError) as e:
        fs.resolve("/data/local/tmp/loop/x")
    assert e.value.errno == errno.ELOOP


def test_quota_counts_files(devfs: tuple[DeviceFs, Path]) -> None:
    fs, root = devfs
    (root / "data" / "local" / "tmp" / "f").write_bytes(b"x" * 60)
    assert fs.in_quota("/data/local/tmp/g") and not fs.in_quota("/data/other")
    assert fs.quota_used() == 60


def test_rewrite_paths_only_touches_path_starts() -> None:
    mapping = [("/data", "/R/data"), ("/sys/class/power_supply", "/R/ps")]
    cmd = "cd /data/local/tmp && cat /usr/data /database /data x=/data/y /sys/class/power_supply/battery/temp"
    assert rewrite_paths(cmd, mapping) == (
        "cd /R/data/local/tmp && cat /usr/data /database /R/data x=/R/data/y /R/ps/battery/temp")


def test_getprop_and_dumpsys_scripts(tmp_path: Path) -> None:
    dev = DeviceRoot(tmp_path / "root")
    dev.create()
    dev.write_props({"ro.product.model": "Pixel 8", "b.key": "x=y"})
    dev.write_tools(str(dev.build_prop), str(dev.power_supply))
    Battery(dev.power_supply, BatteryConfig(capacity=55, temp_decic=312)).write()
    getprop, dumpsys = str(dev.system / "bin" / "getprop"), str(dev.system / "bin" / "dumpsys")

    def run(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    assert run(getprop) == "[b.key]: [x=y]\n[ro.product.model]: [Pixel 8]\n"
    assert run(getprop, "ro.product.model") == "Pixel 8\n"
    assert run(getprop, "nope") == "\n"
    assert run(getprop, "nope", "dflt") == "dflt\n"
    out = run(dumpsys, "battery")
    assert "  level: 55\n" in out and "  temperature: 312\n" in out and "  status: 3\n" in out


def test_battery_current_follows_load_and_sign_conventions(tmp_path: Path) -> None:
    bat = Battery(tmp_path, BatteryConfig(idle_ua=100_000, core_ua=800_000, voltage_uv=4_000_000,
                                          core_voltage_drop_uv=50_000))
    bat.write()
    current = tmp_path / "battery" / "current_now"
    assert current.read_text() == "-100000\n"
    bat.set_load(1.0)
    assert current.read_text() == "-900000\n"
    assert (tmp_path / "battery" / "voltage_now").read_text() == "3950000\n"
    bat.set_load(2.0)
    assert current.read_text() == "-1700000\n"
    bat.set_load(1.0)
    bat.update(invert_sign=True, milliamps=True)
    assert current.read_text() == "900\n"
    bat.update(charging=True, invert_sign=False, milliamps=False, charge_ua=1_500_000)
    assert current.read_text() == "600000\n"
    assert (tmp_path / "battery" / "status").read_text() == "Charging\n"
    assert (tmp_path / "usb" / "online").read_text() == "1\n"
    assert not list(tmp_path.glob("battery/.*"))  # atomic writes leave no temp files


def test_cpu_meter_sees_a_busy_process() -> None:
    table = ProcessTable()
    with subprocess.Popen(["sh", "-c", "while :; do :; done"], start_new_session=True) as proc:
        try:
            table.sids.add(proc.pid)
            meter = CpuMeter()
            meter.load(table.scan())
            deadline = time.monotonic() + 10
            load = 0.0
            while load < 0.3 and time.monotonic() < deadline:
                time.sleep(0.1)  # the meter measures CPU time over an interval: this is the interval
                load = meter.load(table.scan())
            assert load >= 0.3
            assert meter.load(table.scan(), names=("device_bench",)) == 0.0
        finally:
            proc.kill()
    assert table.scan() == {} and not table.sids
