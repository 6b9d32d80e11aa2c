"""What makes the emulated board look like an Ascend/ARM Linux board: its folders and files.

Board root layout (host side)::

    ROOT/etc/{passwd,group,shadow,hostname,os-release}   bound over the host's files inside the board
    ROOT/etc/ssh/                       the board's /etc/ssh: sshd_config, its own host key, authorized_keys/USER
    ROOT/bin/uname                      bound over /usr/bin/uname when the board's arch is not the host's
    ROOT/home/USER/                     the board's /home (the user's home, the deploy folder ~/mindedge)
    ROOT/tmp/                           the board's /tmp
    ROOT/sshd.log                       sshd's log (-e)
    ROOT/known_hosts, ROOT/targets.toml for the host's ssh client: the board's host key and a [boards.NAME] entry

Everything else inside the board is the host's file system, read-only. ``/etc/os-release`` is an Ubuntu
22.04 one plus ``MINDEDGE_EMULATED=...``, which is how mindedge (and a user) can tell the board is emulated.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from host_tools.errors import ConfigError
from host_tools.files import atomic_write_text

BOARD_UID = 1000
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
BOARD_PATH = "/mindedge-tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TOOLS_DIR = "/mindedge-tools"  # where --tools DIR appears on the board (first on PATH)

OS_RELEASE = """PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
UBUNTU_CODENAME=jammy
MINDEDGE_EMULATED={note}
{timings}"""

BASHRC = """# ~/.bashrc of the mindedge emulated board (as Ubuntu's: nothing for non-interactive shells)
case $- in
    *i*) ;;
      *) return;;
esac
PS1='\\u@\\h:\\w\\$ '
"""

# uname for a board whose CPU is not the host's: the kernel's answers from /proc, the machine from here
UNAME = r"""#!/bin/sh
# uname of the mindedge emulated board: machine {arch} (its programs run through qemu-user)
m={arch}
set_all() {{ s=1 n=1 r=1 v=1 M=1 p=1 i=1 o=1; }}
s= n= r= v= M= p= i= o=
[ $# -eq 0 ] && s=1
for a in "$@"; do
  case $a in
    -a|--all) set_all;;
    -s|--kernel-name) s=1;; -n|--nodename) n=1;; -r|--kernel-release) r=1;; -v|--kernel-version) v=1;;
    -m|--machine) M=1;; -p|--processor) p=1;; -i|--hardware-platform) i=1;; -o|--operating-system) o=1;;
    --help) echo "Usage: uname [OPTION]..."; exit 0;;
    -*) [ "${{a#--}}" = "$a" ] && [ ${{#a}} -gt 2 ] || {{ echo "uname: invalid option -- '${{a#-}}'" >&2; exit 1; }}
        for c in $(printf '%s' "${{a#-}}" | sed 's/./& /g'); do
          case $c in s) s=1;; n) n=1;; r) r=1;; v) v=1;; m) M=1;; p) p=1;; i) i=1;; o) o=1;; a) set_all;;
            *) echo "uname: invalid option -- '$c'" >&2; exit 1;; esac
        done;;
    *) echo "uname: extra operand '$a'" >&2; exit 1;;
  esac
done
out=
add() {{ out="${{out:+$out }}$1"; }}
[ -n "$s" ] && add "$(cat /proc/sys/kernel/ostype)"
[ -n "$n" ] && add "$(cat /proc/sys/kernel/hostname)"
[ -n "$r" ] && add "$(cat /proc/sys/kernel/osrelease)"
[ -n "$v" ] && add "$(cat /proc/sys/kernel/version)"
[ -n "$M" ] && add "$m"
[ -n "$p" ] && add "$m"
[ -n "$i" ] && add "$m"
[ -n "$o" ] && add "GNU/Linux"
printf '%s\n' "$out"
"""

SSHD_CONFIG = """# sshd of the mindedge emulated board: key-only, 127.0.0.1 only, run as the board user (no root)
Port {port}
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
AuthorizedKeysFile /etc/ssh/authorized_keys/%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {user}
UsePAM no
StrictModes no
PidFile none
PrintMotd no
MaxSessions 64
MaxStartups 64:30:128
Subsystem sftp internal-sftp
SetEnv {env}
"""


def check_user(name: str) -> str:
    if name == "root":
        raise ConfigError("the emulated board cannot log in as root (its sshd runs as you, not as root)",
                          hint="use a normal user name, e.g. --user HwHiAiUser (the Ascend boards' default)")
    if not USER_NAME.fullmatch(name):
        raise ConfigError(f"'{name}' is not a valid user name for the emulated board",
                          hint="use letters, digits, '_', '.', '-' (e.g. HwHiAiUser)")
    return name


@dataclass(frozen=True)
class BoardLayout:
    """The host-side folders and files of one emulated board."""

    root: Path
    user: str

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def ssh_dir(self) -> Path:
        return self.etc / "ssh"

    @property
    def host_key(self) -> Path:
        return self.ssh_dir / "ssh_host_ed25519_key"

    @property
    def authorized_keys(self) -> Path:
        return self.ssh_dir / "authorized_keys" / self.user

    @property
    def home(self) -> Path:
        """The host folder of the board's /home (the user's home is ``home / user``)."""
        return self.root / "home"

    @property
    def board_home(self) -> str:
        return f"/home/{self.user}"

    @property
    def uname(self) -> Path:
        return self.root / "bin" / "uname"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def targets_toml(self) -> Path:
        return self.root / "targets.toml"

    def write(self, port: int, arch: str, host_arch: str, note: str, env: dict[str, str], hostname: str,
              authorized: list[str]) -> None:
        """(Re)write every board file; the host key is made once and kept (known_hosts stays valid)."""
        user = self.user
        for d in (self.ssh_dir / "authorized_keys", self.home / user, self.root / "tmp", self.uname.parent):
            d.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").chmod(0o1777)
        atomic_write_text(self.etc / "passwd", f"root:x:0:0:root:/root:/bin/bash\n"
                          f"{user}:x:{BOARD_UID}:{BOARD_UID}:{user}:/home/{user}:/bin/bash\n")
        atomic_write_text(self.etc / "group", f"root:x:0:\n{user}:x:{BOARD_UID}:\n")
        atomic_write_text(self.etc / "shadow", f"root:*:19700:0:99999:7:::\n{user}:*:19700:0:99999:7:::\n", 0o640)
        atomic_write_text(self.etc / "hostname", hostname + "\n")
        timings = "" if arch == host_arch else (
            f"MINDEDGE_TIMINGS={shlex.quote(f'not the board: {arch} programs run under qemu-user, 20-60x slower')}\n")
        atomic_write_text(self.etc / "os-release", OS_RELEASE.format(note=shlex.quote(note), timings=timings))
        bashrc = self.home / user / ".bashrc"
        if not bashrc.exists():
            atomic_write_text(bashrc, BASHRC)
        if arch != host_arch:
            atomic_write_text(self.uname, UNAME.format(arch=arch), 0o755)
        settings = " ".join(f"{k}={v}" for k, v in env.items())
        atomic_write_text(self.ssh_dir / "sshd_config", SSHD_CONFIG.format(port=port, user=user, env=settings))
        atomic_write_text(self.authorized_keys, "".join(k.strip() + "\n" for k in authorized), 0o600)

    def host_public_key(self) -> str:
        """``ssh-ed25519 AAAA...`` of the board's host key."""
        kind, blob = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"{kind} {blob}"

    def write_client_files(self, port: int, name: str, identity: Path | None) -> None:
        """known_hosts with the board's key for 127.0.0.1:PORT and a targets.toml naming the board ``name``."""
        atomic_write_text(self.known_hosts, f"[127.0.0.1]:{port} {self.host_public_key()}\n")
        lines = [f"[boards.{name}]", 'host = "127.0.0.1"', f"port = {port}", f'user = "{self.user}"',
                 f"known_hosts = {_toml_str(self.known_hosts)}"]
        if identity is not None:
            lines.append(f"identity_file = {_toml_str(identity)}")
        atomic_write_text(self.targets_toml, "# the mindedge emulated board (written by `mindedge boards emulate`)\n"
                          + "\n".join(lines) + "\n")


def _toml_str(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'
