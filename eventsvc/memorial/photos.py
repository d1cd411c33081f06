"""Photos people upload to the memorial: checked, re-encoded, stripped of metadata.

Nothing a visitor uploads is ever served as they sent it. ``clean_photo`` opens the bytes with
Pillow, refuses anything that is not a JPEG, PNG or WebP image (whatever its name says), refuses
files over the size limit and images whose pixel count betrays a decompression bomb, turns the
image upright (EXIF orientation), shrinks it to fit the largest side allowed, flattens any
transparency onto white and writes a fresh JPEG. The new file carries no EXIF, GPS, XMP, ICC or
text chunks: only pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from eventsvc.errors import DomainError
from eventsvc.i18n import _

#: Formats accepted from visitors (Pillow's names).
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
#: Default limits; the app passes its configured ones.
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
#: No honest photo from a phone comes near this (a 48-megapixel camera is 48_000_000).
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85

# Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that; lower its limit to ours so
# no code path in the process decodes a bomb, and treat its warning as a refusal below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PhotoError(DomainError):
    """A photo was refused; ``code`` says why (not_an_image, too_large, too_many_pixels)."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo, ready to store."""

    data: bytes
    width: int
    height: int
    extension: str = "jpg"
    mimetype: str = "image/jpeg"


def _not_an_image() -> PhotoError:
    return PhotoError(
        "not_an_image",
        _("This file is not a photo we can use. Choose a JPEG, PNG or WebP image."),
    )


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        _("This image is too large to process. Choose a smaller photo."),
    )


def clean_photo(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
) -> CleanPhoto:
    """Return data re-encoded as a metadata-free JPEG no larger than max_side; raise PhotoError."""
    if len(data) > max_bytes:
        raise PhotoError(
            "too_large",
            _(
                "This photo is too big (the limit is %(size)d MB). Choose a smaller one.",
                size=max(1, max_bytes // (1024 * 1024)),
            ),
        )
    if not data:
        raise _not_an_image()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            if image.width * image.height > max_pixels:
                raise _too_many_pixels()
            image.load()
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise _too_many_pixels() from e
        except PhotoError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            # Truncated or corrupt files and anything Pillow does not recognise.
            raise _not_an_image() from e
    image = _flatten(image)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the upload's metadata (EXIF, GPS, a JPEG
    # comment, an ICC profile, PNG text, XMP) rides along, whatever Pillow copies by default.
    image = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return CleanPhoto(data=out.getvalue(), width=image.width, height=image.height)


def _flatten(image: Image.Image) -> Image.Image:
    """Return image in RGB, transparency composited onto white (JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
