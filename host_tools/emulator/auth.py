"""ADB public-key authentication, device side.

``~/.android/adbkey.pub`` (and a device's ``/data/misc/adb/adb_keys``) holds one key per line: base64 of
the little-endian struct ``{u32 len_words, u32 n0inv, u8 n[len*4], u8 rr[len*4], u32 e}`` then
`` user@host``. The device sends a 20-byte random token; the host answers with an RSA PKCS#1 v1.5
signature whose DigestInfo names SHA-1 and carries the raw token as the "digest" (it is not hashed again).
"""

from __future__ import annotations

import base64
import binascii
import os
import pwd
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

# DER prefix of DigestInfo{sha1, <20-byte digest>} (RFC 8017 section 9.2 note 1).
SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")
KEY_WORDS = 64  # adbd accepts 2048-bit keys only (ANDROID_PUBKEY_MODULUS_SIZE)


class KeyFormatError(ValueError):
    """Not an adbkey.pub line."""


def user_adb_key_path() -> Path:
    """The public key of this user's adb server: ``$HOME/.android/adbkey.pub`` (HOME unset: the passwd
    entry's home). adb 29 and 36 look there only; they ignore ``ANDROID_USER_HOME`` and ``ANDROID_SDK_HOME``
    (checked: with either set, ``adb start-server`` still writes ``$HOME/.android/adbkey``)."""
    home = os.environ.get("HOME") or pwd.getpwuid(os.getuid()).pw_dir
    return Path(home) / ".android" / "adbkey.pub"


@dataclass(frozen=True)
class AdbPublicKey:
    n: int
    e: int
    comment: str = ""

    @property
    def size_bytes(self) -> int:
        return (self.n.bit_length() + 7) // 8

    def encode(self) -> str:
        """The adbkey.pub text (without newline)."""
        words = (self.n.bit_length() + 31) // 32
        nbytes = words * 4
        n0inv = (-pow(self.n, -1, 1 << 32)) % (1 << 32)
        rr = pow(2, 2 * nbytes * 8, self.n)
        blob = struct.pack("<II", words, n0inv) + self.n.to_bytes(nbytes, "little") + \
            rr.to_bytes(nbytes, "little") + struct.pack("<I", self.e)
        text = base64.b64encode(blob).decode()
        return f"{text} {self.comment}" if self.comment else text


def parse_public_key(line: str | bytes, strict_size: bool = True) -> AdbPublicKey:
    """Decode one adbkey.pub line (as found in the file or in an AUTH RSAPUBLICKEY payload)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    parts = line.replace("\0", "").strip().split(None, 1)
    if not parts:
        raise KeyFormatError("empty key")
    try:
        blob = base64.b64decode(parts[0], validate=True)
    except (binascii.Error, ValueError) as e:
        raise KeyFormatError(f"not base64: {e}") from e
    if len(blob) < 8:
        raise KeyFormatError("key blob too short")
    words, n0inv = struct.unpack_from("<II", blob)
    if strict_size and words != KEY_WORDS:
        raise KeyFormatError(f"modulus of {words * 32} bits (adbd accepts {KEY_WORDS * 32})")
    nbytes = words * 4
    if len(blob) != 8 + 2 * nbytes + 4:
        raise KeyFormatError(f"key blob of {len(blob)} bytes, expected {8 + 2 * nbytes + 4}")
    n = int.from_bytes(blob[8:8 + nbytes], "little")
    rr = int.from_bytes(blob[8 + nbytes:8 + 2 * nbytes], "little")
    (e,) = struct.unpack_from("<I", blob, 8 + 2 * nbytes)
    if n % 2 == 0 or (n * n0inv) % (1 << 32) != (1 << 32) - 1 or rr != pow(2, 2 * nbytes * 8, n):
        raise KeyFormatError("inconsistent key (n0inv or rr does not match n)")
    return AdbPublicKey(n=n, e=e, comment=parts[1] if len(parts) > 1 else "")


def expected_encoding(token: bytes, size: int) -> bytes:
    """EMSA-PKCS1-v1_5 encoding of ``token`` as a SHA-1 "digest" for a modulus of ``size`` bytes."""
    t = SHA1_DIGEST_INFO + token
    return b"\x00\x01" + b"\xff" * (size - len(t) - 3) + b"\x00" + t


def verify_signature(key: AdbPublicKey, token: bytes, signature: bytes) -> bool:
    """RSA_verify(NID_sha1, token, signature, key) as adbd does it."""
    size = key.size_bytes
    if len(signature) != size or len(token) + len(SHA1_DIGEST_INFO) + 11 > size:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    return pow(s, key.e, key.n).to_bytes(size, "big") == expected_encoding(token, size)


def new_token() -> bytes:
    return secrets.token_bytes(20)


class AuthorizedKeys:
    """The device's list of trusted host keys, optionally kept in an ``adb_keys`` file."""

    def __init__(self, path: Path | None = None, keys: list[str] | None = None) -> None:
        self.path = path
        self._keys: list[AdbPublicKey] = []
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                self._add(line)
        for line in keys or []:
            self.add(line)

    def _add(self, line: str) -> AdbPublicKey | None:
        if not line.strip():
            return None
        try:
            key = parse_public_key(line)
        except KeyFormatError:
            return None
        if any(k.n == key.n and k.e == key.e for k in self._keys):
            return None
        self._keys.append(key)
        return key

    def add(self, line: str | bytes, persist: bool = True) -> bool:
        """Trust a key (an adbkey.pub line); written to the list's file when it has one and ``persist``.
        False if invalid or already known."""
        text = line.rstrip(b"\0").decode("utf-8", "replace") if isinstance(line, bytes) else line
        key = self._add(text.strip())
        if key is None:
            return False
        if self.path is not None and persist:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as f:
                f.write(key.encode() + "\n")
        return True

    def match(self, token: bytes, signature: bytes) -> AdbPublicKey | None:
        return next((k for k in self._keys if verify_signature(k, token, signature)), None)

    def __len__(self) -> int:
        return len(self._keys)


# --- key generation and signing: what the host side does; used by tests and by `serve --key`. ---

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % q for q in range(2, int(p ** 0.5) + 1))]


def _probable_prime(n: int, rounds: int = 24) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        c = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probable_prime(c):
            return c


@dataclass(frozen=True)
class AdbPrivateKey:
    n: int
    e: int
    d: int

    @classmethod
    def generate(cls, bits: int = 2048, e: int = 65537) -> AdbPrivateKey:
        while True:
            p, q = _prime(bits // 2), _prime(bits // 2)
            n, phi = p * q, (p - 1) * (q - 1)
            if p != q and n.bit_length() == bits and phi % e:
                return cls(n=n, e=e, d=pow(e, -1, phi))

    def public(self, comment: str = "test@mindedge") -> AdbPublicKey:
        return AdbPublicKey(self.n, self.e, comment)

    def sign(self, token: bytes) -> bytes:
        size = (self.n.bit_length() + 7) // 8
        m = int.from_bytes(expected_encoding(token, size), "big")
        return pow(m, self.d, self.n).to_bytes(size, "big")
