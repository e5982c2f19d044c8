"""Making an MM fit a size limit by downscaling and recompressing its images.

Theory: the MM's decoded size is fixed overhead (SMIL, text, headers, media
that cannot shrink) plus the images.  We walk one ladder of (quality, scale)
steps, re-encoding *every* JPEG/PNG/GIF from its original at each step, and
stop at the first step whose MM fits.  Each step keeps the aspect ratio; the
walk stops at the floors (``min_quality``, ``min_side`` pixels on the long
side).  If the last allowed step does not fit, the caller fails the message
with 30019 before anything is sent.

Pure and blocking (Pillow); the sender runs it off the reactor thread.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, replace

from PIL import Image, ImageSequence, UnidentifiedImageError

from protocols.mm7.content import MediaItem, mm_size

SHRINKABLE = frozenset({"image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/gif"})
# (JPEG quality, scale of the original's sides)
LADDER = ((85, 1.0), (75, 1.0), (70, 0.85), (65, 0.7), (60, 0.6), (55, 0.5), (50, 0.42),
          (45, 0.35), (40, 0.3), (40, 0.25), (35, 0.2), (30, 0.16), (30, 0.12), (25, 0.1))


@dataclass(frozen=True)
class ShrinkPolicy:
    min_quality: int = 40  # never write a JPEG below this quality
    min_side: int = 160  # never make an image's long side smaller than this (pixels)
    max_frames: int = 1  # GIFs are flattened to their first frame when shrunk


@dataclass(frozen=True)
class Fitted:
    media: tuple[MediaItem, ...]
    size: int
    fits: bool
    changed: bool


def _encode(image: Image.Image, content_type: str, quality: int, scale: float, policy: ShrinkPolicy) -> bytes:
    width, height = image.size
    long_side = max(width, height)
    scale = max(scale, min(1.0, policy.min_side / long_side)) if long_side else 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    frame = image if size == image.size else image.resize(size, Image.LANCZOS)
    out = io.BytesIO()
    if content_type == "image/png":
        if frame.mode not in ("P", "L", "1"):
            frame = frame.convert("RGBA").quantize(256, method=Image.Quantize.FASTOCTREE)
        frame.save(out, "PNG", optimize=True)
    elif content_type == "image/gif":
        frame.convert("RGB").quantize(256 if quality >= 60 else 128).save(out, "GIF", optimize=True)
    else:
        if frame.mode not in ("RGB", "L"):
            frame = frame.convert("RGB")
        frame.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _open(item: MediaItem) -> Image.Image | None:
    if item.content_type.lower() not in SHRINKABLE:
        return None
    try:
        image = Image.open(io.BytesIO(item.data))
        first = next(iter(ImageSequence.Iterator(image)))
        first.load()
        return first.copy()
    except (UnidentifiedImageError, OSError, ValueError, StopIteration, Image.DecompressionBombError):
        return None


def fit(body: str, media: list[MediaItem], limit: int, policy: ShrinkPolicy = ShrinkPolicy()) -> Fitted:
    """The media (possibly re-encoded) and the MM size; ``fits`` says whether
    the MM is within ``limit``."""
    size = mm_size(body, media)
    if size <= limit:
        return Fitted(tuple(media), size, True, False)
    images = {i: img for i, item in enumerate(media) if (img := _open(item)) is not None}
    if not images:
        return Fitted(tuple(media), size, False, False)
    best = tuple(media)
    for quality, scale in LADDER:
        quality = max(quality, policy.min_quality)
        candidate = list(media)
        for index, image in images.items():
            ctype = "image/jpeg" if media[index].content_type.lower() in ("image/jpg", "image/pjpeg") \
                else media[index].content_type.lower()
            data = _encode(image, ctype, quality, scale, policy)
            if len(data) < len(media[index].data):
                candidate[index] = replace(media[index], content_type=ctype, data=data)
        best = tuple(candidate)
        size = mm_size(body, candidate)
        if size <= limit:
            return Fitted(best, size, True, True)
    return Fitted(best, size, False, True)
