"""The ticket code inside the QR: a signed, versioned payload, and its QR images.

Format, version 1 (the only one so far)
---------------------------------------
The signed bytes are 15 bytes, all integers big-endian (network order)::

    offset  size  field
    0       1     version      0x01
    1       4     event id     uint32
    5       4     ticket id    uint32
    9       6     seed         random bytes from ``secrets`` (see below)

followed by a 64-byte Ed25519 signature (RFC 8032, the pure variant; no hashing or context
string) over those 15 bytes: 79 bytes in all. The code is those 79 bytes in RFC 4648 base32,
upper case, *without* the ``=`` padding: always exactly 127 characters from ``A-Z2-7``, which
a QR code stores in its compact alphanumeric mode (version 6, 41 x 41 modules, at error
correction M).

- **No personal data.** Only ids and random bytes: a lost scanner or a photo of a ticket tells
  nobody who holds it. Base32 is an encoding, not a secret.
- **The seed** lets the server issue a new code for the same ticket and refuse the old one
  (Ed25519 signatures are deterministic: the same ids would always give the same code). Store
  the seed with the ticket and compare it at the door: the signature alone proves "issued by
  us", not "still valid".
- **Keys.** The private key is ``TICKET_SIGNING_KEY`` (configuration or the instance folder,
  never the database) and signs tickets and nothing else, so a valid signature also says "this
  is a ticket". Offline scanners may be given :func:`public_key_b64`.
- **Versioning rule.** The first byte names the layout, the algorithm and the length. A change
  to any of them takes a new version; an existing version never changes meaning. A decoder
  verifies the signature before it trusts any field, and refuses versions it does not know.
- **Reading.** Surrounding whitespace and lower-case letters are accepted (hand-typed codes,
  keyboard-emulating scanners that add a newline); anything else that is not exactly the
  canonical encoding is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import qrcode
import qrcode.constants
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

from eventsvc.errors import DomainError
from eventsvc.i18n import _l

#: The version this module writes.
VERSION = 1
SEED_SIZE = 6
SIGNATURE_SIZE = 64
_PAYLOAD = struct.Struct(">BII6s")  # version, event id, ticket id, seed
#: Bytes and base32 characters of a version 1 code.
CODE_BYTES = _PAYLOAD.size + SIGNATURE_SIZE
CODE_LENGTH = -(-CODE_BYTES * 8 // 5)
_UINT32_MAX = 2**32 - 1
#: QR error correction: M restores about 15% of the symbol (a scuffed or badly lit phone screen).
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
#: The quiet zone around the symbol, in modules; the QR standard asks for four.
QR_BORDER = 4


class InvalidTicketCode(DomainError):
    """The code is not a ticket we issued: malformed, tampered with, or of an unknown version."""

    def __init__(self, reason: str):
        super().__init__("invalid", _l("This is not a valid ticket code."))
        #: Why, for logs and tests; never shown (it would help someone forging codes).
        self.reason = reason


@dataclass(frozen=True)
class TicketClaim:
    """What a verified code says: which ticket of which event, with which seed."""

    version: int
    event_id: int
    ticket_id: int
    seed: bytes


def new_seed() -> bytes:
    """Return a fresh random seed for a ticket code."""
    return secrets.token_bytes(SEED_SIZE)


def encode_ticket(
    *, event_id: int, ticket_id: int, seed: bytes, private_key: Ed25519PrivateKey
) -> str:
    """Return the signed code of a ticket (127 upper-case base32 characters)."""
    for name, value in (("event_id", event_id), ("ticket_id", ticket_id)):
        if not 0 <= value <= _UINT32_MAX:
            raise ValueError(f"{name} must fit in an unsigned 32-bit integer, got {value}")
    if len(seed) != SEED_SIZE:
        raise ValueError(f"seed must be {SEED_SIZE} bytes, got {len(seed)}")
    payload = _PAYLOAD.pack(VERSION, event_id, ticket_id, seed)
    return _b32encode(payload + private_key.sign(payload))


def decode_ticket(code: str, public_key: Ed25519PublicKey) -> TicketClaim:
    """Verify a code and return its claim; raise InvalidTicketCode for anything else."""
    if not isinstance(code, str):
        raise InvalidTicketCode("not a string")
    text = code.strip()
    if not text.isascii() or len(text) != CODE_LENGTH:
        raise InvalidTicketCode("wrong length")
    text = text.upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise InvalidTicketCode("not base32") from None
    if len(raw) != CODE_BYTES or _b32encode(raw) != text:  # one spelling per code
        raise InvalidTicketCode("not canonical base32")
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        raise InvalidTicketCode("bad signature") from None
    version, event_id, ticket_id, seed = _PAYLOAD.unpack(payload)
    if version != VERSION:
        raise InvalidTicketCode("unknown version")
    return TicketClaim(version=version, event_id=event_id, ticket_id=ticket_id, seed=seed)


def _b32encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def generate_private_key_b64() -> str:
    """Return a new Ed25519 private key as base64 of its 32 raw bytes."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode("ascii")


def load_private_key(raw: str) -> Ed25519PrivateKey:
    """Return the Ed25519 private key given as base64 of its 32 raw bytes."""
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the ticket signing key is not valid base64") from None
    if len(key) != 32:
        raise ValueError(f"the ticket signing key must be 32 bytes, got {len(key)}")
    return Ed25519PrivateKey.from_private_bytes(key)


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    """Return the public half of a key as base64 of its 32 raw bytes (for offline scanners)."""
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def signing_key(config: Mapping) -> Ed25519PrivateKey:
    """Return the app's ticket signing key from its config (parsed once per value)."""
    return _cached_private_key(config["TICKET_SIGNING_KEY"])


@functools.lru_cache(maxsize=4)
def _cached_private_key(raw: str) -> Ed25519PrivateKey:
    return load_private_key(raw)


def qr_code(code: str, *, box_size: int = 10) -> qrcode.QRCode:
    """Return the QR symbol of a code: error correction M, the smallest version that fits."""
    qr = qrcode.QRCode(
        version=None, error_correction=QR_ERROR_CORRECTION, box_size=box_size, border=QR_BORDER
    )
    qr.add_data(code, optimize=0)  # one segment: alphanumeric for a ticket code
    qr.make(fit=True)
    return qr


class _TicketSvg(SvgPathFillImage):
    """A white-backed, single-path SVG marked as an image, with an optional <title>."""

    def new_image(self, *, title: str | None = None, **kwargs) -> ET.Element:
        svg = super().new_image(role="img", **kwargs)
        if title:
            element = ET.Element("title")
            element.text = title
            svg.insert(0, element)  # first child: what screen readers announce
        return svg


def qr_svg(code: str, *, title: str | None = None) -> bytes:
    """Return the code as an SVG QR image (1 mm modules, white quiet zone) named by title."""
    image = qr_code(code).make_image(image_factory=_TicketSvg, title=title)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(code: str, *, box_size: int = 8) -> bytes:
    """Return the code as a black-on-white PNG QR image, box_size pixels per module."""
    image = qr_code(code, box_size=box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, optimize=True)
    return buffer.getvalue()
