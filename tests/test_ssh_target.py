"""The ssh: target against emulated boards: the real OpenSSH server (Debian's sshd, run as you in a user+mount
namespace) and the real client with a control master. Run, stream, stop, push/pull with hostile names, faults
(a dropped connection, a full disk, unknown/changed host keys, a refused key), `mindedge devices` and
`mindedge boards emulate`, and the aarch64 board under qemu-user."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from host_tools.cli import main
from host_tools.emulator.boards import ConnectedBoard
from host_tools.errors import DeviceError
from host_tools.files import sha256_file
from host_tools.targets.adb_private import free_port, wait_until
from host_tools.targets.push import Item
from host_tools.targets.registry import open_target
from host_tools.targets.ssh import SshTarget
from tests.board_fixtures import aarch64_hello, board_lab, board_ssh, private_adb

MINDEDGE = Path(sys.executable).parent / "mindedge"
HOSTILE = 'best "v2"; cd ..; rm -f sentinel; $(rm -f sentinel) `rm -f sentinel` \'q\' & x.ms'


@pytest.fixture(scope="module")
def cb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectedBoard]:
    with board_lab(tmp_path_factory.mktemp("ssh")) as lab:
        yield lab


@pytest.fixture
def target(cb: ConnectedBoard) -> SshTarget:
    t = open_target(cb.spec)
    assert isinstance(t, SshTarget)
    return t


def _cli(*args: object) -> tuple[int, str]:
    res = CliRunner().invoke(main, [*map(str, args)])
    return res.exit_code, res.output


def test_properties_describe_the_emulated_board(target: SshTarget, cb: ConnectedBoard) -> None:
    props = target.properties()
    assert (props["kind"], props["target"], props["machine"], props["os"]) == ("ssh", cb.spec, os.uname().machine,
                                                                                 "linux")
    assert props["emulated"] == "true" and target.emulated and "programs run natively" in props["emulation"]
    assert props["os_name"].startswith("Ubuntu 22.04") and props["hostname"] == "mindedge-board"
    assert props["home"] == "/home/HwHiAiUser" and target.root == "/home/HwHiAiUser/mindedge"
    assert int(props["cpu_cores"]) >= 1 and int(props["memory_mb"]) > 0 and props["runs_host_binaries"] == "true"
    assert open_target(cb.named_spec).name == "ssh:emulated"  # the targets.toml name


def test_run_keeps_exit_code_stdout_and_stderr_apart(target: SshTarget) -> None:
    res = target.run(["sh", "-c", 'echo out; echo "$GREETING" >&2; exit 7'], env={"GREETING": "hi there; $(x)"})
    assert (res.exit_code, res.stdout, res.stderr) == (7, "out\n", "hi there; $(x)\n")
    word = HOSTILE + " \\ 'tail"
    assert target.run(["printf", "%s", word]).stdout == word  # every word arrives whole


def test_started_command_streams_and_its_stop_handle_ends_it_with_its_children(target: SshTarget,
                                                                                cb: ConnectedBoard) -> None:
    seen = threading.Event()
    chunks: list[tuple[int, bytes]] = []

    def sink(fd: int, data: bytes) -> None:
        chunks.append((fd, data))
        if b"ready" in data:
            seen.set()

    # two background sleeps ignore SIGINT (async jobs of a non-interactive sh): only the process group kill ends them
    running = target.start(["sh", "-c", "sleep 1000 & sleep 1001 & echo ready >&2; wait"], on_output=sink,
                           timeout=30)
    assert seen.wait(30), chunks  # the line arrived while the command still ran
    wait_until(lambda: list(cb.board.processes().values()).count("sleep") == 2, 10, "both sleeps on the board")
    running.signal(signal.SIGINT)
    result = running.wait()
    assert result.exit_code == 130 and (2, b"ready\n") in chunks
    wait_until(lambda: "sleep" not in cb.board.processes().values(), 10, "the sleeps to end on the board")
    assert not target.run(["ls", f"{target.root}/runs"]).stdout.strip()  # the pid file is gone


def test_a_host_that_dies_leaves_nothing_running_on_the_board(target: SshTarget, cb: ConnectedBoard) -> None:
    running = target.start(["sleep", "1002"])
    wait_until(lambda: "sleep" in cb.board.processes().values(), 30, "sleep to start on the board")
    running.proc.kill()  # type: ignore[attr-defined]  # the local ssh client dies (mindedge killed, laptop closed)
    wait_until(lambda: "sleep" not in cb.board.processes().values(), 20, "the board to hang sleep up")


def test_exit_255_of_a_command_is_not_a_connection_failure(target: SshTarget) -> None:
    assert target.start(["sh", "-c", "echo bye >&2; exit 255"]).wait().exit_code == 255
    assert target.run(["sh", "-c", "exit 255"]).exit_code == 255


def test_timeout_kills_the_remote_command(target: SshTarget, cb: ConnectedBoard) -> None:
    with pytest.raises(DeviceError, match="did not finish within 1 s"):
        target.start(["sleep", "1003"], timeout=1).wait()
    wait_until(lambda: "sleep" not in cb.board.processes().values(), 10, "sleep to be killed")


def test_hostile_names_round_trip(target: SshTarget, cb: ConnectedBoard, tmp_path: Path) -> None:
    folder = f"{target.root}/hostile"
    target.makedirs([folder])
    target.run(["sh", "-c", f"echo still here > {folder}/sentinel"])
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(300_000))
    items = [Item(src, f"{folder}/{HOSTILE}"), Item(src, f"{folder}/dir with space/{HOSTILE}")]
    assert target.push(items).files_pushed == 2
    assert target.push(items).files_pushed == 0  # found again by sha256 under the same odd names
    assert target.push(items, memo={}).bytes_pushed == 0
    back = target.pull(f"{folder}/dir with space/{HOSTILE}", tmp_path)
    assert back.name == HOSTILE and sha256_file(back) == sha256_file(src)
    assert target.run(["cat", f"{folder}/sentinel"]).stdout == "still here\n"
    src.write_bytes(b"changed")  # a replacement goes through a temporary name and a rename
    assert target.push(items[:1]).files_pushed == 1
    assert target.run(["cat", f"{folder}/{HOSTILE}"]).stdout == "changed"
    listing = target.run(["ls", "-A", folder]).stdout.splitlines()
    assert sorted(listing) == sorted([HOSTILE, "dir with space", "sentinel"])  # no .mindedge-part left
    with pytest.raises(DeviceError, match="cannot pull"):
        target.pull(f"{folder}/missing", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_push_keeps_the_mode_and_reports_progress(target: SshTarget, tmp_path: Path) -> None:
    exe = tmp_path / "tool"
    exe.write_bytes(b"#!/bin/sh\necho ran\n" + b"#" * 5_000_000)
    exe.chmod(0o755)
    steps: list[int] = []
    target.put(exe, f"{target.root}/bin/tool", progress=steps.append)
    assert sum(steps) == exe.stat().st_size and len(steps) >= 2  # several chunks
    assert target.run([f"{target.root}/bin/tool"]).stdout == "ran\n"


def test_unknown_changed_and_refused_keys_and_a_board_that_is_down(cb: ConnectedBoard, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from host_tools.emulator.boards.connected import make_key

    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    wrong = tmp_path / "wrong_known_hosts"
    other = make_key(tmp_path / "other_key")
    wrong.write_text(f"[127.0.0.1]:{cb.board.port} {' '.join(other.with_suffix('.pub').read_text().split()[:2])}\n")
    port, nobody = cb.board.port, free_port()
    toml = tmp_path / "targets.toml"
    common = f'host = "127.0.0.1"\nuser = "HwHiAiUser"\nport = {port}\n'
    toml.write_text(f'[boards.stranger]\n{common}identity_file = "{cb.identity}"\nknown_hosts = "{empty}"\n\n'
                    f'[boards.changed]\n{common}identity_file = "{cb.identity}"\nknown_hosts = "{wrong}"\n\n'
                    f'[boards.refused]\n{common}identity_file = "{other}"\nknown_hosts = "{cb.known_hosts}"\n\n'
                    f'[boards.down]\nhost = "127.0.0.1"\nport = {nobody}\n\n'
                    f'[boards.good]\n{common}identity_file = "{cb.identity}"\nknown_hosts = "{cb.known_hosts}"\n')
    monkeypatch.setenv("MINDEDGE_TARGETS", str(toml))
    model = tmp_path / "m.ms"
    model.write_bytes(b"not really a model")
    code, out = _cli("deploy", model, "--no-accuracy", "--target", "ssh:stranger")
    assert code == 2 and "mindedge: error: the host key of ssh:stranger is not known" in out
    assert f"ssh-keyscan -p {port} 127.0.0.1 | ssh-keygen -lf -" in out and "Traceback" not in out
    assert empty.read_text() == ""  # never accepted behind the user's back
    code, out = _cli("bench", model, "--target", "ssh:changed", "--workspace", tmp_path / "ws")
    assert code == 2 and "the host key of ssh:changed has CHANGED" in out and f"-R \"[127.0.0.1]:{port}\"" in out
    code, out = _cli("deploy", model, "--no-accuracy", "--target", "ssh:refused")
    assert code == 2 and "ssh:refused refused the key" in out
    assert f"fix: install your public key on the board once with `ssh-copy-id -i {other}.pub -p {port} " in out
    code, out = _cli("deploy", model, "--no-accuracy", "--target", "ssh:down")
    assert code == 2 and "ssh:down is unreachable: Connection refused" in out
    with private_adb(tmp_path):  # no phone attached: the boards are listed after the (empty) phone table
        code, out = _cli("devices")
    assert code == 0, out
    assert out.startswith("no devices attached\n")
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("ssh:")}
    assert "host key unknown" in rows["ssh:stranger"] and "host key CHANGED" in rows["ssh:changed"]
    assert "key refused" in rows["ssh:refused"] and "unreachable" in rows["ssh:down"]
    good = rows["ssh:good"]
    assert "ready" in good and "Emulated Board" in good and "Ubuntu 22.04" in good and good.rstrip().endswith(
        "yes (host CPU)")
    assert "ssh:refused: ssh:refused refused the key" in out  # and what to do, per board


def test_connection_lost_mid_run_then_the_board_comes_back(tmp_path: Path) -> None:
    with board_lab(tmp_path) as lab:
        target = open_target(lab.spec)
        running = target.start(["sleep", "1004"])
        wait_until(lambda: lab.board.running("sleep"), 30, "sleep to start on the board")
        lab.board.disconnect()
        with pytest.raises(DeviceError) as e:
            running.wait()
        assert f"lost the connection to {lab.spec} while running sleep" in e.value.message
        assert "(now: is unreachable: Connection refused" in e.value.message
        assert "ping 127.0.0.1" in (e.value.hint or "")
        wait_until(lambda: not lab.board.processes(), 20, "the board to hang sleep up")
        lab.board.restart()
        assert target.run(["echo", "back"]).stdout == "back\n"  # a new master, same host key


def test_full_disk_is_a_clear_error_and_nothing_is_half_pushed(tmp_path: Path) -> None:
    with board_lab(tmp_path, quota_mb=3) as lab:
        target = open_target(lab.spec)
        small, big = tmp_path / "small.bin", tmp_path / "big.bin"
        small.write_bytes(os.urandom(1_000_000))
        big.write_bytes(os.urandom(5_000_000))
        items = [Item(small, f"{target.root}/a/small.bin"), Item(big, f"{target.root}/a/big.bin")]
        with pytest.raises(DeviceError, match="No space left on device") as e:
            target.push(items)
        assert "free space on the board" in (e.value.hint or "")
        assert target.run(["ls", "-A", f"{target.root}/a"]).stdout.split() == ["small.bin"]  # complete, kept
        with pytest.raises(DeviceError, match=r"push of big.bin to .*/b/big.bin failed on ssh:.*No space left"):
            target.put(big, f"{target.root}/b/big.bin")
        assert target.run(["ls", "-A", f"{target.root}/b"]).stdout == ""  # the partial file was removed
        assert target.sha256([f"{target.root}/a/small.bin"]) == {f"{target.root}/a/small.bin": sha256_file(small)}


def test_boards_emulate_serves_until_ctrl_c(tmp_path: Path) -> None:
    from host_tools.emulator.boards.connected import make_key

    key = make_key(tmp_path / "keys" / "id_ed25519")
    tools = tmp_path / "tools"
    tools.mkdir()
    fixture = Path(__file__).parent / "fixtures" / "npu_smi_info_310.txt"
    # the output beside the tool: the board has its own /tmp, so a host path under /tmp is not seen there
    (tools / "npu_smi_info_310.txt").write_bytes(fixture.read_bytes())
    (tools / "npu-smi").write_text('#!/bin/sh\n[ "$1" = info ] && exec cat "$(dirname "$0")/npu_smi_info_310.txt"\n'
                                   "exit 1\n")
    (tools / "npu-smi").chmod(0o755)
    root = tmp_path / "root"
    argv = [str(MINDEDGE), "boards", "emulate", "--root", str(root), "--key", f"{key}.pub", "--tools", str(tools)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("emulated board (") and "serving" in lines[0], lines
        assert lines[2].startswith(f"board 'emulated' in {root}/targets.toml: export MINDEDGE_TARGETS=")
        spec = lines[3].strip()
        assert spec.startswith("ssh:HwHiAiUser@127.0.0.1:")
        with private_adb(tmp_path) as adb_env:
            env = {**os.environ, **adb_env, "MINDEDGE_TARGETS": str(root / "targets.toml")}
            out = subprocess.run([str(MINDEDGE), "devices"], capture_output=True, text=True, env=env, timeout=120)
        row = next(line for line in out.stdout.splitlines() if line.startswith("ssh:emulated"))
        assert "ready" in row and "310" in row, out.stdout + out.stderr  # the replayed npu-smi output
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    res = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o", "ControlPath=none", "-p", spec.rsplit(":", 1)[1],
                          "-i", str(key), "-o", f"UserKnownHostsFile={root}/known_hosts", "HwHiAiUser@127.0.0.1",
                          "true"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 255 and "Connection refused" in res.stderr  # it stopped


def test_aarch64_board_runs_arm_programs_through_qemu(tmp_path: Path) -> None:
    hello = aarch64_hello(tmp_path)
    with board_lab(tmp_path / "lab", arch="aarch64") as lab:
        target = open_target(lab.spec)
        target.put(hello, "/home/HwHiAiUser/hello")  # the board's /tmp and /home are its own
        res = board_ssh(lab, "uname -m; uname -a; ~/hello; uname -z")
        assert res.returncode == 1 and res.stderr == "uname: invalid option -- 'z'\n", res.stderr
        machine, everything, said = res.stdout.splitlines()
        assert machine == "aarch64" and everything.startswith("Linux mindedge-board ") and " aarch64 " in everything
        assert said == "hello from aarch64"
        props = target.properties()
        assert props["machine"] == "aarch64" and props["runs_host_binaries"] == "false"
        assert "aarch64 programs run under qemu-user" in props["emulation"]
        assert shutil.which("qemu-aarch64-static") is not None


def test_boards_emulate_disconnect_fault_drops_the_board(tmp_path: Path) -> None:
    from host_tools.emulator.boards.connected import make_key

    key = make_key(tmp_path / "id_ed25519")
    argv = [str(MINDEDGE), "boards", "emulate", "--root", str(tmp_path / "root"), "--key", f"{key}.pub",
            "--disconnect-after", "1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)  # it ends by itself
    assert done.returncode == 0, done.stderr
    assert "fault: the board drops off the network after 1 s" in done.stdout
    assert done.stdout.rstrip().endswith("the board's sshd ended (--disconnect-after)")


def test_a_board_never_outlives_the_process_that_started_it(tmp_path: Path) -> None:
    """A test run or `boards emulate` killed with SIGKILL leaves no sshd listening (parent-death signal)."""
    script = ("import sys; from pathlib import Path; from host_tools.emulator.boards import EmulatedBoard; "
              "b = EmulatedBoard(Path(sys.argv[1])).start(); print(b.proc.pid, flush=True); sys.stdin.read()")
    host = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "board")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert host.stdout is not None
    sshd = int(host.stdout.readline())

    def alive() -> bool:
        try:
            return bool(os.readlink(f"/proc/{sshd}/ns/mnt"))  # zombies and the dead have no namespace
        except OSError:
            return False

    assert alive()
    host.kill()
    host.wait(30)
    wait_until(lambda: not alive(), 20, "the board's sshd to end with its host process")
