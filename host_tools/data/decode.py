"""Decoding one image file to 8-bit RGB with Pillow, the reason a file cannot be used, and printable paths.

Colour rules (the same for training, predict and the feature cache):
- EXIF orientation is applied (``ImageOps.exif_transpose``) before anything else.
- 16-bit grey (``I;16*``) and 32-bit integer (``I``, taken as 16-bit, clipped to 0-65535) are scaled to 8 bits
  as ``round(v * 255 / 65535)``, never clipped at 255; Pillow already reduces 16-bit RGB PNGs to 8 bits.
- Images with transparency (RGBA, LA, PA, palette or grey/RGB with a ``transparency`` entry) are composited
  over white, which is how a viewer shows them.
- Everything else (1-bit, L, P, CMYK, YCbCr, F ...) goes through Pillow's ``convert("RGB")``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from host_tools.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MIN_SIZE = 8  # px, each side
PROBE_DRAFT = 64  # JPEG probes decode at a reduced DCT scale, never below this many px a side
_ALPHA_MODES = {"RGBA", "LA", "PA", "La", "RGBa"}


def display_path(p: os.PathLike | str) -> str:
    """``p`` as printable text: bytes that are not UTF-8 (kept by Python as surrogates) shown as ``\\xNN``.
    Never raises; the result encodes to UTF-8 and to JSON."""
    text = os.fspath(p)
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that did not come from the file system
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def is_image_name(name: str) -> bool:
    """True for the extensions image folders hold (case-insensitive)."""
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _scale16(img: Image.Image) -> Image.Image:
    a = np.clip(np.asarray(img).astype(np.int64), 0, 65535)
    grey = ((a * 255 + 32767) // 65535).astype(np.uint8)
    return Image.fromarray(np.repeat(grey[..., None], 3, axis=2))


def to_rgb(img: Image.Image) -> Image.Image:
    """``img`` as an 8-bit RGB image, by the colour rules of this module."""
    if img.mode == "RGB" and "transparency" not in img.info:
        return img
    if img.mode.startswith("I;16") or img.mode == "I":
        return _scale16(img)
    if img.mode in _ALPHA_MODES or "transparency" in img.info:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _reason(e: BaseException) -> str:
    """A short, one-line account of why Pillow could not read a file."""
    if isinstance(e, UnidentifiedImageError):
        return "not an image Pillow can read"
    if isinstance(e, Image.DecompressionBombError):
        return f"too large to decode safely ({e})"
    if isinstance(e, OSError) and "truncated" in str(e):
        return f"truncated image data ({e})"
    if isinstance(e, OSError) and e.strerror:
        return f"cannot read ({e.strerror})"
    return f"corrupt image ({type(e).__name__}: {e})".replace("\n", " ")


def _open(path: Path, draft: int | None) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded, upright RGB image and the file's own size (before any draft reduction)."""
    with Image.open(path) as im:
        size = im.size
        if draft is not None and im.format == "JPEG":
            im.draft(im.mode, (draft, draft))
        im.load()
        upright = ImageOps.exif_transpose(im)
        rgb = to_rgb(upright)
        rgb.load()
        return rgb, size


def _size_problem(size: tuple[int, int], min_size: int) -> str | None:
    w, h = size
    if w < min_size or h < min_size:
        return f"too small ({w}x{h} px; at least {min_size}x{min_size} needed)"
    return None


def probe(path: Path, min_size: int = MIN_SIZE) -> str | None:
    """Why ``path`` cannot be used as an image (decoding it fully, JPEGs at a reduced DCT scale), or None."""
    try:
        _, size = _open(path, PROBE_DRAFT)
    except Exception as e:  # Pillow's decoders raise many kinds of errors on corrupt input
        return _reason(e)
    return _size_problem(size, min_size)


def read_rgb(path: Path, min_size: int = MIN_SIZE) -> np.ndarray:
    """The image at ``path`` as an HxWx3 uint8 array (EXIF orientation applied); DataError naming the file."""
    try:
        rgb, size = _open(Path(path), None)
    except Exception as e:  # Pillow's decoders raise many kinds of errors on corrupt input
        raise DataError(f"{display_path(path)}: {_reason(e)}",
                        hint="use a JPEG, PNG, BMP or WebP file that opens in an image viewer") from e
    problem = _size_problem(size, min_size)
    if problem:
        raise DataError(f"{display_path(path)}: {problem}", hint="use a larger image")
    return np.asarray(rgb, dtype=np.uint8)
