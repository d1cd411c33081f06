"""Fixtures of the memorial tests: honorees, tributes and images (hostile ones too)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from eventsvc.extensions import db
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus


@pytest.fixture
def make_honoree(app):
    """Return a factory of honorees (committed); returns the slug."""
    counter = iter(range(1, 10_000))

    def factory(**columns):
        n = next(counter)
        with app.app_context():
            honoree = Honoree(
                slug=columns.pop("slug", f"honoree-{n}"),
                name=columns.pop("name", f"Honoree {n}"),
                summary_en=columns.pop(
                    "summary_en", "Tirelessly advocated for immigrant justice in the Inland Empire."
                ),
                summary_es=columns.pop(
                    "summary_es",
                    "Luchó incansablemente por la justicia para las personas inmigrantes en el "
                    "Inland Empire.",
                ),
                sort_order=columns.pop("sort_order", n),
                **columns,
            )
            db.session.add(honoree)
            db.session.commit()
            return honoree.slug

    return factory


@pytest.fixture
def tribute_status(app):
    """Return a reader of the status of the only (or the newest) tribute."""

    def read() -> TributeStatus | None:
        with app.app_context():
            tribute = db.session.scalar(db.select(Tribute).order_by(Tribute.id.desc()))
            return tribute.status if tribute else None

    return read


def png_bytes(size=(40, 30), color=(120, 60, 80), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG", **save)
    return out.getvalue()


def png_with_gps() -> bytes:
    """Return a PNG whose EXIF says where it was taken and with which camera."""
    image = Image.new("RGB", (64, 48), (30, 90, 60))
    exif = image.getexif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (34.0, 3.0, 30.0)
    gps[3] = "W"
    gps[4] = (117.0, 18.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif)
    return out.getvalue()


def noise_png(size=(300, 300)) -> bytes:
    """Return a PNG that does not compress: big on disk for its size."""
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def decompression_bomb(width=40_000, height=40_000) -> bytes:
    """Return a tiny valid-looking PNG whose header claims width x height pixels."""
    data = bytearray(png_bytes(size=(1, 1)))
    # The IHDR chunk follows the 8-byte signature: length (4), type (4), data (13), CRC (4).
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


NOT_AN_IMAGE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n<script>alert(1)</script>\n"
