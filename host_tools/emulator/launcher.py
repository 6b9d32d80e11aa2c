"""Starts one command of the emulated phone inside its sandbox; run as ``python -I -S launcher.py SPEC``.

Standalone on purpose (no imports from mindedge, nothing but the standard library): it runs once per
command, in a fresh process, right before ``execve``. With ``newroot`` set it enters a new user and mount
namespace (the caller's uid shows as ``uid`` inside, 2000 = ``shell`` as on a phone), mounts a tmpfs on
``newroot``, bind-mounts every top-level folder of the host into it, then the sandbox folders over their
device paths (``/data``, ``/system``, ...), and chroots there. Without it, it only sets the working
folder and the controlling terminal. Failures print one line and exit 126.
"""

import contextlib
import ctypes
import json
import os
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
TIOCSCTTY = 0x540E

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(src, dst, fstype, flags, data=None) -> None:
    enc = [s.encode() if s is not None else None for s in (src, dst, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {src or fstype} on {dst}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter_sandbox(spec: dict) -> None:
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(user, mount)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{spec['uid']} {uid} 1")
    _write("/proc/self/gid_map", f"{spec['gid']} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = spec["newroot"]
    _mount("tmpfs", new, "tmpfs", MS_NOSUID, "mode=0755")
    shadowed = {b["dst"].strip("/").split("/")[0] for b in spec["binds"] if b["dst"].count("/") == 1}
    for name in sorted(os.listdir("/")):
        if name in shadowed:
            continue
        src, dst = "/" + name, os.path.join(new, name)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
            continue
        if os.path.isdir(src):
            os.mkdir(dst)
        else:
            open(dst, "w").close()
        with contextlib.suppress(OSError):  # unreadable or special entries stay empty
            _mount(src, dst, None, MS_BIND | MS_REC)
    for b in spec["binds"]:
        dst = new + b["dst"]
        try:
            if b["dst"].count("/") == 1:
                os.mkdir(dst)
            _mount(b["src"], dst, None, MS_BIND | MS_REC)
            if b.get("ro"):
                _mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        except OSError:
            if not b.get("optional"):
                raise
    os.chroot(new)


def main() -> int:
    spec = json.loads(sys.argv[1])
    try:
        if spec.get("newroot"):
            enter_sandbox(spec)
        os.chdir(spec.get("cwd") or "/")
        if spec.get("ctty"):
            _check(_libc.ioctl(0, TIOCSCTTY, 0), "TIOCSCTTY")
        # adbd starts commands with default signal handling; an ignored SIGHUP inherited from the host
        # (e.g. under nohup) would survive execve and the command would never see the hang-up
        for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.execve(spec["argv"][0], spec["argv"], dict(os.environ))
    except OSError as e:
        sys.stderr.write(f"emulated phone: cannot start {spec['argv'][0]}: {e}\n")
        return 126
    return 0


if __name__ == "__main__":
    sys.exit(main())
