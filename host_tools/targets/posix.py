"""POSIX shell pieces every remote target uses: quoted command lines and ``sha256sum`` output."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

_ENV_NAME = re.compile(r"[A-Za-z_]\w*")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def build_command(argv: list[str], env: dict[str, str] | None = None) -> str:
    """A ``sh -c`` command line: every word quoted, so names with spaces, quotes or ``;`` stay one word."""
    assignments = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items() if _ENV_NAME.fullmatch(k)]
    return " ".join([*assignments, *(shlex.quote(a) for a in argv)])


def quote_all(words: Iterable[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def parse_sha256sum(text: str) -> dict[str, str]:
    """``sha256sum`` lines -> {path: digest}; GNU's escaped form (``\\`` prefix, ``\\n``/``\\\\``) too."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        escaped = line.startswith("\\")
        digest, sep, name = line[1:].partition("  ") if escaped else line.partition("  ")
        if not sep or not _DIGEST.fullmatch(digest):
            continue
        if escaped:
            name = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), name)
        out[name] = digest
    return out


def sha256_script(remotes: list[str], discard: list[str]) -> str:
    """Remove ``discard`` (stale temporary files), then print the sha256 of those ``remotes`` that exist."""
    rm = f"rm -f -- {quote_all(discard)}; " if discard else ""
    return f"{rm}sha256sum -- {quote_all(remotes)} 2>/dev/null; true"
