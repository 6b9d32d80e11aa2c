"""Starts one command of the emulated phone inside its sandbox; run as ``python -I -S launcher.py SPEC``.

Standalone on purpose (no imports from mindedge, nothing but the standard library): it runs once per
command, in a fresh process, right before ``execve``. With ``newroot`` set it enters a new user and mount
namespace (the caller's uid shows as ``uid`` inside, 2000 = ``shell`` as on a phone), mounts a tmpfs on
``newroot``, bind-mounts every top-level folder of the host into it READ-ONLY (recursively, submounts too;
device nodes such as /dev/null stay writable, as the kernel allows writes to them on read-only mounts),
except the names in ``keep`` (``proc``), puts a private tmpfs on each of ``scratch`` (``/dev/shm``), then the
sandbox folders over their device paths (``/data`` read-write, ``/system`` read-only, ...), makes the new
``/`` itself read-only and chroots there. A read-only step that fails stops the command (fail closed).
Without ``newroot``, it only sets the working folder and the controlling terminal. Failures print one line
and exit 126.

The emulated board (``emulator/boards``) adds: ``hostname`` (a private UTS namespace), binds of single files
(``/etc/passwd`` over the host's), ``tmpfs`` mounts with a size (``--quota-mb``), ``binfmt`` registrations in a
private binfmt_misc instance (Linux 6.7+: aarch64 programs run through qemu-user, for this namespace only)
and ``inner``: right before the chroot, a second user namespace where the caller is that uid (sshd must not
run as root: it would try to switch to users that do not exist here); ``die_with_parent`` (the caller's pid):
the command gets SIGTERM when the thread that started it ends.
"""

import ctypes
import errno
import json
import os
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWUTS = 0x04000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
TIOCSCTTY = 0x540E
PR_SET_PDEATHSIG = 1
SYS_MOUNT_SETATTR = 442  # the same number on x86_64 and in the generic table (arm64); Linux 5.12+
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
# mount options that a read-only remount must repeat (a user namespace may not clear them: EPERM)
REMOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": 0x8, "noatime": 0x400,
                 "nodiratime": 0x800, "relatime": 0x200000, "strictatime": 0x1000000}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(src, dst, fstype, flags, data=None) -> None:
    enc = [s.encode() if s is not None else None for s in (src, dst, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {src or fstype} on {dst}")


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mounts_under(mountinfo: str, path: str) -> list[tuple[str, int]]:
    """(mount point, flags to keep) of every mount at or below ``path``, parents first, from
    /proc/self/mountinfo text."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        point = _unescape(fields[4])
        if point == path or point.startswith(path.rstrip("/") + "/"):
            flags = 0
            for opt in fields[5].split(","):
                flags |= REMOUNT_FLAGS.get(opt, 0)
            found.append((point, flags))
    return found


def make_readonly(path: str, method: str = "auto") -> None:
    """Make the mount at ``path`` and every mount below it read-only: one mount_setattr(AT_RECURSIVE)
    where the kernel has it, else a read-only bind remount of each mount (keeping its locked flags)."""
    if method == "auto":
        attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
        result = _libc.syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD),
                               ctypes.c_char_p(path.encode()), ctypes.c_uint(AT_RECURSIVE),
                               ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
        if result == 0:
            return
        if ctypes.get_errno() != errno.ENOSYS:
            _check(result, f"mount_setattr(read-only) {path}")
    with open("/proc/self/mountinfo") as f:
        targets = mounts_under(f.read(), path)
    if not targets:
        raise OSError(errno.ENOENT, f"no mount at {path}")
    for point, flags in targets:
        _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _map_ids(inside_uid: int, inside_gid: int) -> None:
    """Enter a new user namespace where the caller's uid and gid are these (one of each, no other ids)."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(user)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {uid} 1")
    _write("/proc/self/gid_map", f"{inside_gid} {gid} 1")


def enter_sandbox(spec: dict) -> None:
    _map_ids(spec["uid"], spec["gid"])
    hostname = spec.get("hostname")
    _check(_libc.unshare(CLONE_NEWNS | (CLONE_NEWUTS if hostname else 0)), "unshare(mount)")
    if hostname:
        name = hostname.encode()
        _check(_libc.sethostname(name, len(name)), "sethostname")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    new = spec["newroot"]
    _mount("tmpfs", new, "tmpfs", MS_NOSUID, "mode=0755")
    shadowed = {b["dst"].strip("/").split("/")[0] for b in spec["binds"] if b["dst"].count("/") == 1}
    keep = set(spec.get("keep", ()))
    method = spec.get("readonly_method", "auto")
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
        try:
            _mount(src, dst, None, MS_BIND | MS_REC)
        except OSError:  # unreadable or special entries stay empty
            continue
        if name not in keep:
            make_readonly(dst, method)
    for path in spec.get("scratch", ()):
        if os.path.isdir(new + path):
            _mount("tmpfs", new + path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for b in spec["binds"]:
        dst = new + b["dst"]
        try:
            if b["dst"].count("/") == 1:
                if os.path.isdir(b["src"]):
                    os.mkdir(dst)
                else:
                    open(dst, "w").close()
            _mount(b["src"], dst, None, MS_BIND | MS_REC)
        except OSError:
            if not b.get("optional"):
                raise
            continue
        if b.get("ro"):
            make_readonly(dst, method)
    for t in spec.get("tmpfs", ()):
        _mount("tmpfs", new + t["dst"], "tmpfs", MS_NOSUID | MS_NODEV, f"size={t['size']},mode=0755")
    if spec.get("binfmt"):
        misc = new + "/proc/sys/fs/binfmt_misc"
        _mount("binfmt_misc", misc, "binfmt_misc", MS_NOSUID | MS_NODEV)
        for rule in spec["binfmt"]:
            _write(misc + "/register", rule)
    _mount(None, new, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
    inner = spec.get("inner")
    if inner:  # before the chroot: the kernel refuses a new user namespace to a chrooted process
        _map_ids(inner["uid"], inner["gid"])
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
        parent = spec.get("die_with_parent")
        if parent:  # SIGTERM when the thread that started us ends (the board's sshd never outlives its host)
            _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
            if os.getppid() != parent:
                return 0  # it already ended
        os.execve(spec["argv"][0], spec["argv"], dict(os.environ))
    except OSError as e:
        sys.stderr.write(f"mindedge sandbox: cannot start {spec['argv'][0]}: {e}\n")
        return 126
    return 0


if __name__ == "__main__":
    sys.exit(main())
