import io

import pytest
from PIL import Image

from eventsvc.memorial.photos import PhotoError, clean_photo
from tests.memorial.conftest import (
    NOT_AN_IMAGE,
    decompression_bomb,
    noise_png,
    png_bytes,
    png_with_gps,
)

GPS_IFD = 0x8825


def test_png_with_gps_comes_out_without_any_exif():
    original = png_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the test data is real
    cleaned = clean_photo(original)
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not image.getexif().get_ifd(GPS_IFD)
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in cleaned.data and b"PhoneMaker" not in cleaned.data


def test_exif_orientation_is_applied_before_it_is_dropped():
    image = Image.new("RGB", (60, 20), (200, 10, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    cleaned = clean_photo(out.getvalue())
    assert (cleaned.width, cleaned.height) == (20, 60)


def test_large_dimensions_are_capped():
    cleaned = clean_photo(png_bytes(size=(4000, 1000)), max_side=1600)
    assert (cleaned.width, cleaned.height) == (1600, 400)


def test_transparency_is_flattened_onto_white():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, format="PNG")
    cleaned = clean_photo(out.getvalue())
    assert Image.open(io.BytesIO(cleaned.data)).getpixel((5, 5)) >= (250, 250, 250)


def test_webp_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="WEBP")
    assert clean_photo(out.getvalue()).mimetype == "image/jpeg"


@pytest.mark.parametrize(
    "data",
    [
        NOT_AN_IMAGE,
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"GIF89a" + b"\x00" * 40,
        png_bytes()[:60],  # truncated
    ],
    ids=["pdf", "empty", "svg", "gif-header", "truncated"],
)
def test_non_images_are_refused_clearly(data):
    with pytest.raises(PhotoError) as e:
        clean_photo(data)
    assert e.value.code == "not_an_image"
    assert "JPEG, PNG or WebP" in e.value.message


def test_gif_is_refused_even_when_valid():
    out = io.BytesIO()
    Image.new("P", (4, 4)).save(out, format="GIF")
    with pytest.raises(PhotoError) as e:
        clean_photo(out.getvalue())
    assert e.value.code == "not_an_image"


def test_oversized_file_is_refused_clearly():
    data = noise_png()
    with pytest.raises(PhotoError) as e:
        clean_photo(data, max_bytes=len(data) - 1)
    assert e.value.code == "too_large"
    assert "too big" in e.value.message


@pytest.mark.parametrize("size", [(40_000, 40_000), (9_000, 9_000)], ids=["error", "warning"])
def test_decompression_bomb_is_refused_without_decoding(size):
    bomb = decompression_bomb(*size)
    assert len(bomb) < 200
    with pytest.raises(PhotoError) as e:
        clean_photo(bomb)
    assert e.value.code == "too_many_pixels"
    assert "too large to process" in e.value.message


def test_pillow_itself_refuses_a_bomb_at_our_limit():
    from eventsvc.memorial import photos

    assert Image.MAX_IMAGE_PIXELS == photos.MAX_PIXELS
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(decompression_bomb(40_000, 40_000)))


def _jpeg_with_comment_exif_and_icc() -> bytes:
    image = Image.new("RGB", (40, 30), (120, 60, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(
        out,
        format="JPEG",
        comment=b"taken at 123 Main St by Ana",
        exif=exif.tobytes(),
        icc_profile=b"\0" * 128 + b"fake-icc-profile",
    )
    return out.getvalue()


def _png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ana Lopez")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Riverside</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(
    ("original", "secrets"),
    [
        (_jpeg_with_comment_exif_and_icc(), [b"123 Main St", b"PhoneMaker", b"fake-icc"]),
        (_png_with_text(), [b"Ana Lopez", b"Riverside", b"xmpmeta"]),
    ],
    ids=["jpeg-comment-exif-icc", "png-text-xmp"],
)
def test_a_stored_photo_keeps_no_metadata_at_all(original, secrets):
    source = Image.open(io.BytesIO(original))
    assert source.info  # the test data really carries metadata
    cleaned = clean_photo(original)
    image = Image.open(io.BytesIO(cleaned.data))
    # Only what the JPEG encoder itself writes (JFIF header, its progressive flags) remains.
    assert set(image.info) <= {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
        "progressive",
        "progression",
        "adobe",
        "adobe_transform",
    }
    assert dict(image.getexif()) == {}
    for secret in secrets:
        assert secret not in cleaned.data
