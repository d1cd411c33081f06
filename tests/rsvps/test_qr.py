"""The signed ticket code and its QR images: round trips, every refusal, and real decoding."""

import base64
import io
import re
import stat
import struct
from xml.etree import ElementTree as ET

import pytest
import qrcode.constants
import qrcode.util
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter

from eventsvc import create_app
from eventsvc.errors import DomainError
from eventsvc.rsvps import qr

UINT32_MAX = 2**32 - 1
BASE32 = re.compile(r"[A-Z2-7]+")


@pytest.fixture(scope="module")
def key():
    return qr.load_private_key(qr.generate_private_key_b64())


@pytest.fixture(scope="module")
def public(key):
    return key.public_key()


@pytest.fixture(scope="module")
def code(key):
    return qr.encode_ticket(
        event_id=UINT32_MAX, ticket_id=UINT32_MAX, seed=b"\xff" * 6, private_key=key
    )


def make_app(tmp_path, **config):
    return create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        | config
    )


def assert_refused(code, public, reason=None):
    with pytest.raises(qr.InvalidTicketCode) as excinfo:
        qr.decode_ticket(code, public)
    assert isinstance(excinfo.value, DomainError)
    assert excinfo.value.code == "invalid"
    if reason:
        assert excinfo.value.reason == reason


def raw_code(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


# -- the code ------------------------------------------------------------------------------


def test_round_trip(key, public):
    seed = qr.new_seed()
    code = qr.encode_ticket(event_id=12, ticket_id=345, seed=seed, private_key=key)
    assert qr.decode_ticket(code, public) == qr.TicketClaim(
        version=1, event_id=12, ticket_id=345, seed=seed
    )


def test_round_trip_at_the_limits(key, public):
    for ids in ((0, 0), (UINT32_MAX, UINT32_MAX), (1, UINT32_MAX)):
        code = qr.encode_ticket(event_id=ids[0], ticket_id=ids[1], seed=bytes(6), private_key=key)
        claim = qr.decode_ticket(code, public)
        assert (claim.event_id, claim.ticket_id, claim.seed) == (*ids, bytes(6))


def test_code_is_upper_case_unpadded_base32_of_fixed_length(key):
    for event_id in (1, 99, UINT32_MAX):
        code = qr.encode_ticket(event_id=event_id, ticket_id=7, seed=qr.new_seed(), private_key=key)
        assert BASE32.fullmatch(code)
        assert len(code) == qr.CODE_LENGTH == 127
        assert "=" not in code


def test_layout_is_as_documented(code, public):
    raw = base64.b32decode(code + "=")
    assert len(raw) == 79
    assert raw[:15] == b"\x01" + struct.pack(">II", UINT32_MAX, UINT32_MAX) + b"\xff" * 6
    public.verify(raw[15:], raw[:15])  # an Ed25519 signature over exactly those bytes


def test_no_personal_data_can_be_in_the_code():
    assert qr.TicketClaim.__dataclass_fields__.keys() == {
        "version",
        "event_id",
        "ticket_id",
        "seed",
    }


def test_seeds_are_random_and_make_codes_differ(key):
    seeds = {qr.new_seed() for _ in range(1000)}
    assert len(seeds) == 1000 and all(len(s) == 6 for s in seeds)
    codes = {
        qr.encode_ticket(event_id=1, ticket_id=1, seed=seed, private_key=key)
        for seed in list(seeds)[:10]
    }
    assert len(codes) == 10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event_id": -1},
        {"event_id": 2**32},
        {"ticket_id": 2**32},
        {"seed": b"short"},
        {"seed": bytes(7)},
    ],
)
def test_encode_refuses_what_does_not_fit(key, kwargs):
    with pytest.raises(ValueError):
        qr.encode_ticket(
            **({"event_id": 1, "ticket_id": 1, "seed": bytes(6)} | kwargs), private_key=key
        )


def test_every_flipped_bit_is_refused(code, public):
    raw = base64.b32decode(code + "=")
    for bit in range(len(raw) * 8):
        tampered = bytearray(raw)
        tampered[bit // 8] ^= 1 << (bit % 8)
        assert_refused(raw_code(bytes(tampered)), public, "bad signature")


def test_every_changed_character_is_refused(code, public):
    for i in range(len(code)):
        other = "A" if code[i] != "A" else "B"
        assert_refused(code[:i] + other + code[i + 1 :], public)


def test_another_keys_signature_is_refused(code):
    other = qr.load_private_key(qr.generate_private_key_b64())
    assert_refused(code, other.public_key(), "bad signature")


def test_a_code_signed_by_another_key_is_refused(public):
    other = qr.load_private_key(qr.generate_private_key_b64())
    forged = qr.encode_ticket(event_id=1, ticket_id=1, seed=bytes(6), private_key=other)
    assert_refused(forged, public, "bad signature")


def test_unknown_version_is_refused_even_when_signed(key, public):
    payload = struct.pack(">BII6s", 2, 1, 1, bytes(6))
    assert_refused(raw_code(payload + key.sign(payload)), public, "unknown version")


def test_non_canonical_trailing_bits_are_refused(code, public):
    # 79 bytes fill 127 characters with 3 bits to spare; they must be zero.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(code[-1])
    assert last & 0b111 == 0
    variant = code[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last | 1]
    assert base64.b32decode(variant + "=") == base64.b32decode(code + "=")
    assert_refused(variant, public, "not canonical base32")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1],
        lambda c: c[:-8],
        lambda c: c + "A",
        lambda c: c + "AAAAAAAA",
        lambda c: c + "=",
        lambda c: c[:-1] + "=",
        lambda c: c[:60] + " " + c[60:],
        lambda c: c[:60] + "-" + c[60:],
        lambda c: c[:60] + c[61:] + "1",  # 1 is not in the base32 alphabet
        lambda c: c[:-1] + "0",
        lambda c: c[:-1] + "\u0430",  # Cyrillic a
        lambda c: c.replace(c[5], "\uff21", 1),  # full-width A
        lambda c: c[:-1] + "\u0131",  # dotless i, which upper-cases to I
        lambda c: "",
        lambda c: "   ",
        lambda c: "A" * 127,
        lambda c: "A" * 10_000,
        lambda c: "\x00" * 127,
        lambda c: "https://example.org/" + c,
        lambda c: base64.b64encode(base64.b32decode(c + "=")).decode(),
    ],
    ids=lambda f: None,
)
def test_malformed_codes_are_refused(code, public, mangle):
    assert_refused(mangle(code), public)


@pytest.mark.parametrize("not_text", [None, 42, b"AAAA"])
def test_non_strings_are_refused(public, not_text):
    assert_refused(not_text, public)


@pytest.mark.parametrize(
    "variant",
    [
        lambda c: c.lower(),
        lambda c: c[:50].lower() + c[50:],
        lambda c: f"  {c}\n",
        lambda c: f"\t{c.lower()}\r\n",
    ],
)
def test_lower_case_and_surrounding_whitespace_are_accepted(code, public, variant):
    claim = qr.decode_ticket(variant(code), public)
    assert (claim.event_id, claim.ticket_id) == (UINT32_MAX, UINT32_MAX)


# -- keys ----------------------------------------------------------------------------------


def test_private_key_round_trips_through_base64():
    raw = qr.generate_private_key_b64()
    assert len(base64.b64decode(raw)) == 32
    key = qr.load_private_key(raw)
    code = qr.encode_ticket(event_id=1, ticket_id=2, seed=bytes(6), private_key=key)
    assert qr.decode_ticket(code, qr.load_private_key(raw).public_key()).ticket_id == 2


def test_public_key_is_base64_of_32_bytes_and_verifies(key, code):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = base64.b64decode(qr.public_key_b64(key), validate=True)
    assert len(raw) == 32
    assert qr.decode_ticket(code, Ed25519PublicKey.from_public_bytes(raw)).event_id == UINT32_MAX


@pytest.mark.parametrize("raw", ["", "not base64!", base64.b64encode(bytes(31)).decode()])
def test_malformed_private_keys_are_refused(raw):
    with pytest.raises(ValueError):
        qr.load_private_key(raw)


def test_signing_key_is_parsed_once_per_value():
    raw = qr.generate_private_key_b64()
    first = qr.signing_key({"TICKET_SIGNING_KEY": raw})
    assert qr.signing_key({"TICKET_SIGNING_KEY": raw}) is first
    assert qr.signing_key({"TICKET_SIGNING_KEY": qr.generate_private_key_b64()}) is not first


def test_instance_key_is_generated_private_and_reused(tmp_path):
    first = make_app(tmp_path)
    key_file = tmp_path / "ticket_signing_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == first.config["TICKET_SIGNING_KEY"]
    qr.signing_key(first.config)  # a valid key
    second = make_app(tmp_path)
    assert second.config["TICKET_SIGNING_KEY"] == first.config["TICKET_SIGNING_KEY"]
    assert (
        make_app(tmp_path / "other").config["TICKET_SIGNING_KEY"]
        != (first.config["TICKET_SIGNING_KEY"])
    )
    assert not list(tmp_path.glob(".ticket_signing_key.*"))  # no temporary file left behind


def test_key_from_the_environment_is_used_as_given(tmp_path, monkeypatch):
    raw = qr.generate_private_key_b64()
    monkeypatch.setenv("EVENTSVC_TICKET_SIGNING_KEY", raw)
    app = make_app(tmp_path)
    assert app.config["TICKET_SIGNING_KEY"] == raw
    assert not (tmp_path / "ticket_signing_key").exists()
    assert qr.public_key_b64(qr.signing_key(app.config)) == qr.public_key_b64(
        qr.load_private_key(raw)
    )


def test_malformed_configured_key_fails_at_start(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSVC_TICKET_SIGNING_KEY", "not-a-key")
    with pytest.raises(ValueError, match="ticket signing key"):
        make_app(tmp_path)


# -- QR images -----------------------------------------------------------------------------


def decode_image(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image.convert("L"))


def rasterise_svg(svg: bytes, scale: int = 8) -> Image.Image:
    """Draw the SVG's white background and its one path of axis-aligned squares."""
    root = ET.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    x0, y0, width, height = (float(v) for v in root.get("viewBox").split())
    assert (x0, y0) == (0, 0)
    assert root.find("svg:rect", ns).get("fill") == "white"
    image = Image.new("L", (int(width * scale), int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = root.find("svg:path", ns).get("d")
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", path)
    assert "".join(f"M{a},{b}H{c}V{d}H{e}z" for a, b, c, d, e in squares) == path
    for left, top, right, bottom, _ in squares:
        box = [float(v) * scale for v in (left, top, right, bottom)]
        draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=0)
    return image


def test_qr_is_alphanumeric_mode_version_6_or_less_at_error_correction_m(key, code):
    codes = [code] + [
        qr.encode_ticket(
            event_id=UINT32_MAX, ticket_id=UINT32_MAX, seed=qr.new_seed(), private_key=key
        )
        for _ in range(50)
    ]
    for each in codes:
        symbol = qr.qr_code(each)
        assert symbol.version <= 6
        assert symbol.error_correction == qrcode.constants.ERROR_CORRECT_M
        assert [chunk.mode for chunk in symbol.data_list] == [qrcode.util.MODE_ALPHA_NUM]


def test_png_decodes_to_exactly_the_code(code):
    png = qr.qr_png(code)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    (symbol,) = decode_image(image)
    assert symbol.text == code
    assert symbol.format == zxingcpp.BarcodeFormat.QRCode
    assert symbol.ec_level == "M"


def test_png_has_a_white_quiet_zone_of_four_modules(code):
    image = Image.open(io.BytesIO(qr.qr_png(code, box_size=8))).convert("L")
    border = 4 * 8
    inner = image.crop((border, border, image.width - border, image.height - border))
    assert inner.getextrema()[0] == 0
    for box in (
        (0, 0, image.width, border),
        (0, 0, border, image.height),
        (image.width - border, 0, image.width, image.height),
        (0, image.height - border, image.width, image.height),
    ):
        assert image.crop(box).getextrema() == (255, 255)


def test_blurred_downscaled_png_still_decodes(code):
    image = Image.open(io.BytesIO(qr.qr_png(code))).convert("L")
    image = image.filter(ImageFilter.GaussianBlur(1))
    image = image.resize((int(image.width * 0.6), int(image.height * 0.6)))
    (symbol,) = decode_image(image)
    assert symbol.text == code


def test_png_box_size_scales_the_image(code):
    small = Image.open(io.BytesIO(qr.qr_png(code, box_size=4)))
    large = Image.open(io.BytesIO(qr.qr_png(code, box_size=10)))
    modules = qr.qr_code(code).modules_count + 2 * qr.QR_BORDER
    assert small.size == (modules * 4,) * 2
    assert large.size == (modules * 10,) * 2
    assert decode_image(large)[0].text == code


def test_svg_decodes_to_exactly_the_code(code):
    svg = qr.qr_svg(code)
    (symbol,) = decode_image(rasterise_svg(svg))
    assert symbol.text == code


def test_svg_is_an_image_with_a_title(code):
    svg = qr.qr_svg(code, title="Ticket 2 of 3")
    assert svg.startswith(b"<?xml")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root[0].tag == "{http://www.w3.org/2000/svg}title"
    assert root[0].text == "Ticket 2 of 3"
    assert decode_image(rasterise_svg(svg))[0].text == code
    assert b"<title" not in qr.qr_svg(code)


def test_images_of_a_max_id_code_stay_small(code):
    assert len(qr.qr_png(code)) < 2_000
    assert len(qr.qr_svg(code)) < 20_000


def test_refusal_message_is_for_people_and_says_nothing_of_why(app_ctx, public):
    with pytest.raises(qr.InvalidTicketCode) as excinfo:
        qr.decode_ticket("A" * 127, public)
    assert str(excinfo.value.message) == "This is not a valid ticket code."
    assert excinfo.value.reason == "bad signature"
