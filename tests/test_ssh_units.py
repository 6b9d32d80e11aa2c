"""The ssh target's pure parts: parsers of what a board prints, the ssh error mapping (on stderr captured from the
real OpenSSH 9.2 client), targets.toml and ssh: specs, and the OpenSSH command lines."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from host_tools.errors import ConfigError, DeviceError
from host_tools.targets.registry import open_target, parse_target
from host_tools.targets.ssh_command import control_dir, control_path, put_command, ssh_argv, wrapped
from host_tools.targets.ssh_config import Board, load_boards, parse_address, resolve
from host_tools.targets.ssh_errors import ssh_error
from host_tools.targets.ssh_parse import (
    PROBE,
    board_properties,
    parse_cpuinfo,
    parse_meminfo_mb,
    parse_npu_smi_info,
    parse_os_release,
    split_sections,
)

FIXTURES = Path(__file__).parent / "fixtures"
BOARD = Board(host="192.168.137.100", user="HwHiAiUser", port=2222, identity_file=Path("/keys/atlas"))


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_probe_of_an_aarch64_ascend_board() -> None:
    """An aarch64 Ubuntu board with CANN and npu-smi (real formats: ARM /proc/cpuinfo, a CANN 8.0.RC3
    ascend_toolkit_install.info, the 310B1 npu-smi 23.0.rc3 table of FORMATS.md 3.1)."""
    props = board_properties(split_sections(_fixture("ssh_probe_aarch64_ascend_board.txt")))
    assert props["machine"] == props["abi"] == "aarch64" and props["os"] == "linux"
    assert (props["os_name"], props["os_id"], props["os_version"]) == ("Ubuntu 22.04.3 LTS", "ubuntu", "22.04")
    assert (props["cpu_model"], props["cpu_cores"]) == ("4x Cortex-A55", "4")
    assert props["memory_mb"] == str(15853316 // 1024) and props["governor"] == "performance"
    assert (props["cann_version"], props["npu_chip"], props["npu_smi_version"]) == ("8.0.RC3", "310B1", "23.0.rc3")
    assert props["emulated"] == "false" and "emulation" not in props and "model" not in props


def test_probe_of_the_emulated_board_says_emulated() -> None:
    props = board_properties(split_sections(_fixture("ssh_probe_emulated_x86_64.txt")))
    assert props["emulated"] == "true" and props["emulation"].startswith("mindedge emulated board: x86_64")
    assert props["model"] == "Emulated Board" and props["hostname"] == "mindedge-board"
    assert props["cpu_model"] and props["cpu_cores"].isdigit() and "cann_version" not in props
    assert "npu_chip" not in props  # no npu-smi there


def test_probe_is_one_command_with_every_section() -> None:
    sections = split_sections(_fixture("ssh_probe_emulated_x86_64.txt"))
    assert set(sections) == {"machine", "hostname", "kernel", "home", "os_release", "cpuinfo", "meminfo", "nproc",
                             "governor", "device_model", "cann", "npu_smi"}
    assert PROBE.count("@@mindedge:") == len(sections) and PROBE.endswith("; true")


def test_cpuinfo_variants() -> None:
    big_little = "".join(f"processor\t: {i}\nCPU implementer\t: 0x41\nCPU part\t: {part}\n\n"
                         for i, part in enumerate(["0xd05"] * 4 + ["0xd0b"] * 2))
    assert parse_cpuinfo(big_little) == ("4x Cortex-A55 + 2x Cortex-A76", 6)
    unknown = "processor\t: 0\nCPU implementer\t: 0x48\nCPU part\t: 0xd42\n\nHardware\t: Ascend310B\n"
    assert parse_cpuinfo(unknown) == ("1x HiSilicon part 0xd42", 1)
    assert parse_cpuinfo("") == ("", 0)
    assert parse_meminfo_mb("MemTotal:        3884764 kB\n") == 3793 and parse_meminfo_mb("nothing") is None


def test_os_release_quoting() -> None:
    text = 'NAME="Ubuntu"\nVERSION_ID=\'22.04\'\nID=ubuntu\n# comment\nbroken line\nX="a b"\n'
    assert parse_os_release(text) == {"NAME": "Ubuntu", "VERSION_ID": "22.04", "ID": "ubuntu", "X": "a b"}


def test_npu_smi_table_without_process_rows_and_with() -> None:
    info = parse_npu_smi_info(_fixture("npu_smi_info_310.txt"))
    assert info == {"version": "22.0.4", "chips": [{"npu": 0, "name": "310", "health": "OK", "power_w": 12.8,
                                                    "temp_c": 51.0}]}
    assert parse_npu_smi_info("npu-smi: command not found") == {"version": None, "chips": []}


@pytest.mark.parametrize(("fixture", "state", "says", "fix"), [
    ("ssh_stderr_unknown_host_key.txt", "host key unknown", "the host key of ssh:atlas is not known",
     "ssh-keyscan -p 2222 192.168.137.100 | ssh-keygen -lf -"),
    ("ssh_stderr_unknown_strict.txt", "host key unknown", "is not known",
     "ssh -p 2222 HwHiAiUser@192.168.137.100 true"),
    ("ssh_stderr_changed_host_key.txt", "host key CHANGED", "has CHANGED",
     'ssh-keygen -f "/tmp/sshproto/changed_kh" -R "[127.0.0.1]:2299"'),
    ("ssh_stderr_auth_refused.txt", "key refused", "refused the key",
     "ssh-copy-id -i /keys/atlas.pub -p 2222 HwHiAiUser@192.168.137.100"),
    ("ssh_stderr_connection_refused.txt", "unreachable", "is unreachable: Connection refused (127.0.0.1 port 2)",
     "ping 127.0.0.1"),
    ("ssh_stderr_unresolved.txt", "unknown host", "cannot resolve the host name no-such-board.invalid",
     "IP address"),
    ("ssh_stderr_timeout.txt", "not answering", "did not answer", "ping 192.168.137.100"),
    ("ssh_stderr_no_handshake.txt", "no ssh handshake", "closed the connection before the ssh handshake (port 2222)",
     "listens on port 2222"),
])
def test_ssh_failures_are_one_line_with_the_fix(fixture: str, state: str, says: str, fix: str) -> None:
    err = ssh_error(_fixture(fixture), Board(**{**BOARD.__dict__, "name": "atlas"}))
    assert err is not None and isinstance(err, DeviceError) and err.state == state
    assert says in err.message and fix in (err.hint or "") and "\n" not in str(err)


def test_unknown_key_is_never_accepted_silently() -> None:
    err = ssh_error(_fixture("ssh_stderr_unknown_host_key.txt"), BOARD)
    assert err is not None and "StrictHostKeyChecking" not in (err.hint or "") and "answer yes" in (err.hint or "")


def test_copy_id_key_defaults_to_the_users_own(tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rsa.pub").write_text("ssh-rsa AAAA x\n")
    err = ssh_error("u@h: Permission denied (publickey).\r\n", Board(host="h", user="u"), home=tmp_path)
    assert err is not None and f"ssh-copy-id -i {tmp_path}/.ssh/id_rsa.pub u@h" in (err.hint or "")


def test_remote_messages_are_not_ssh_failures() -> None:
    assert ssh_error("device_bench: error: cannot open model\n", BOARD) is None
    assert ssh_error("", BOARD) is None
    lost = ssh_error("Connection to 192.168.137.100 closed by remote host.\r\n", BOARD, "device_bench")
    assert lost is not None and lost.state == "connection lost" and "while running device_bench" in lost.message


def test_specs() -> None:
    assert parse_address("HwHiAiUser@192.168.1.2:2222") == Board(host="192.168.1.2", user="HwHiAiUser", port=2222)
    assert parse_address("orangepiaipro") == Board(host="orangepiaipro")
    assert parse_address("root@[fe80::1]:22").destination == "root@fe80::1"
    assert parse_address("u@h:22").spec == "ssh:u@h:22" and parse_address("h").spec == "ssh:h"
    for bad in ("-oProxyCommand=x", "u@h:99999", "a b", "u;rm@h", "fe80::1"):
        with pytest.raises(ConfigError):
            parse_address(bad)
    assert parse_target("ssh:u@h") == ("ssh", "u@h")
    with pytest.raises(ConfigError, match="--target ssh needs a board"):
        open_target("ssh:")


def _toml(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text)
    monkeypatch.setenv("MINDEDGE_TARGETS", str(path))
    return path


def test_targets_toml_boards_and_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    _toml(tmp_path, '[boards.atlas]\nhost = "192.168.137.100"\nuser = "HwHiAiUser"\nport = 22\n'
          'identity_file = "~/.ssh/atlas"\n\n[boards.opi]\nhost = "orangepiaipro"\nroot = "/data/mindedge"\n',
          monkeypatch)
    boards = load_boards()
    assert boards["atlas"] == Board(host="192.168.137.100", user="HwHiAiUser", port=22, name="atlas",
                                    identity_file=tmp_path / ".ssh" / "atlas")
    assert resolve("atlas").spec == "ssh:atlas" and resolve("opi").root == "/data/mindedge"
    same = resolve("HwHiAiUser@192.168.137.100:22")  # the address of a named board takes its settings
    assert same.identity_file == tmp_path / ".ssh" / "atlas" and same.spec == "ssh:HwHiAiUser@192.168.137.100:22"
    assert resolve("other@192.168.137.100").identity_file is None


@pytest.mark.parametrize(("text", "error"), [
    ('[boards.a]\nhost = "h"\npassword = "Mind@123"\n', "unknown key(s) password"),
    ('[boards.a]\nuser = "u"\n', "has no host"),
    ('[boards.a]\nhost = "h"\nport = "22"\n', "'port' must be int"),
    ('[board.a]\nhost = "h"\n', "unknown table or key board"),
    ('[boards.a]\nhost = "h"\nroot = "mindedge"\n', "root must be an absolute path"),
    ("[boards.a\n", "is not valid TOML"),
])
def test_bad_targets_toml_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                          error: str) -> None:
    _toml(tmp_path, text, monkeypatch)
    with pytest.raises(ConfigError, match=r"targets\.toml") as e:
        load_boards()
    assert error in e.value.message


def test_missing_targets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINDEDGE_TARGETS", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_boards()
    monkeypatch.delenv("MINDEDGE_TARGETS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_boards() == {}  # the default file is optional


def test_ssh_command_line(tmp_path: Path) -> None:
    argv = ssh_argv(BOARD, tmp_path)
    assert argv[:2] == ["ssh", "-T"] and argv[-2:] == ["--", "HwHiAiUser@192.168.137.100"]
    opts = [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]
    assert {"BatchMode=yes", "ControlMaster=auto", "ControlPersist=60", "IdentitiesOnly=yes"} <= set(opts)
    assert not any(o.startswith(("StrictHostKeyChecking", "UserKnownHostsFile")) for o in opts)  # the user's own
    assert "-F" not in argv  # ~/.ssh/config is read as usual
    assert argv[argv.index("-p") + 1] == "2222" and argv[argv.index("-i") + 1] == "/keys/atlas"
    path = next(o for o in opts if o.startswith("ControlPath=")).removeprefix("ControlPath=")
    assert path.startswith(f"{tmp_path}/") and path.endswith("-%C")
    other_key = control_path(Board(**{**BOARD.__dict__, "identity_file": Path("/keys/other")}), tmp_path)
    assert other_key != path  # another key never rides on this key's master


def test_control_folder_must_be_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    d = control_dir()
    assert d.parent == tmp_path and (d.stat().st_mode & 0o777) == 0o700
    d.chmod(0o755)
    with pytest.raises(DeviceError, match="is not a private folder"):
        control_dir()


def test_wrapper_and_put_lines_keep_hostile_words_whole() -> None:
    word = "a b'c\"; $(rm -rf x) `id`"
    line = wrapped(["/bin/echo", word], {"LD_LIBRARY_PATH": "/x y", "bad name": "no"}, "/r/runs/t.pid")
    inner = shlex.split(line)
    assert inner[:2] == ["sh", "-c"] and len(inner) == 3
    assert shlex.quote(word) in inner[2] and "export LD_LIBRARY_PATH='/x y'" in inner[2] and "bad name" not in inner[2]
    put = shlex.split(put_command(f"/r/models/{word}", 0o100755))
    assert put[-2:] == [f"/r/models/{word}", "755"]


def test_ssh_target_registered() -> None:
    from host_tools.targets.registry import SPELLINGS

    assert "ssh:[USER@]HOST[:PORT]" in SPELLINGS["ssh"] and os.environ.get("MINDEDGE_TARGETS") is None


def test_doctor_names_openssh(monkeypatch: pytest.MonkeyPatch) -> None:
    from host_tools import doctor

    found = doctor.check_openssh()
    assert found.ok and found.detail.startswith("OpenSSH_") and not found.required
    monkeypatch.setattr(doctor.shutil, "which", lambda name: "/usr/bin/ssh" if name == "ssh" else None)
    monkeypatch.setattr(doctor, "Path", lambda _p: Path("/nonexistent/sshd"))
    missing = doctor.check_openssh()
    assert not missing.ok and "no sshd for the emulated board" in missing.detail and "openssh-server" in missing.fix
