"""Write ticket QR images "as a phone camera sees another phone's screen" for qr_decoders.mjs.

Each sample is a real version-1 ticket code (signed with a throw-away key, the same format the
app prints) rendered by eventsvc.rsvps.qr.qr_png, then degraded: blurred (out of focus),
downscaled (held far away), low-contrast and noisy (a dim screen in poor light), and pasted
into a 640x480 camera frame with an uneven background, as the scanner's camera hands it over.

Writes, into the folder given (default: a new temporary one), one PNG per sample (to look at)
and a raw 8-bit grey copy (``.gray``, what the benchmark reads), plus ``manifest.json``.

    .venv/bin/python benchmarks/qr_samples.py /tmp/qr-samples
"""

from __future__ import annotations

import argparse
import io
import json
import random
import secrets
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageEnhance, ImageFilter

from eventsvc.rsvps.qr import encode_ticket, generate_private_key_b64, load_private_key, qr_png

FRAME = (640, 480)

#: name → (scale, blur sigma in camera pixels, low contrast + noise?)
VARIANTS = {
    "clean": (1.0, 0.0, False),
    "blur1.0": (1.0, 1.0, False),
    "blur1.5": (1.0, 1.5, False),
    "small60": (0.6, 0.0, False),
    "small40": (0.4, 0.0, False),
    "small60-blur1.0": (0.6, 1.0, False),
    "small60-blur1.5": (0.6, 1.5, False),
    "small40-blur1.0": (0.4, 1.0, False),
    "small40-blur1.5": (0.4, 1.5, False),
    "dim-noisy": (1.0, 0.7, True),
    "dim-noisy-small60-blur1.0": (0.6, 1.0, True),
    "dim-noisy-small40-blur1.0": (0.4, 1.0, True),
}


def ticket_codes(count: int) -> list[str]:
    """Return count real-format ticket codes (127 base32 characters each)."""
    key = load_private_key(generate_private_key_b64())
    return [
        encode_ticket(event_id=7 + i, ticket_id=1000 + 37 * i, seed=secrets.token_bytes(6),
                      private_key=key)
        for i in range(count)
    ]  # fmt: skip


def degrade(code: str, scale: float, blur: float, dim: bool, rng: random.Random) -> Image.Image:
    """Return the camera frame of a ticket QR held at the given distance and light."""
    qr = Image.open(io.BytesIO(qr_png(code, box_size=8))).convert("L")  # 392 x 392
    if scale != 1.0:
        size = round(qr.width * scale)
        qr = qr.resize((size, size), Image.Resampling.BILINEAR)
    if dim:
        # A dim screen: black is dark grey, white is light grey (contrast ~ 70 of 255).
        qr = ImageEnhance.Contrast(qr).enhance(0.3)
    # The frame: a gradient (uneven light), the code somewhere off-centre.
    frame = Image.linear_gradient("L").resize(FRAME).point(lambda v: 60 + v // 3)
    x = rng.randint(10, FRAME[0] - qr.width - 10)
    y = rng.randint(10, max(10, FRAME[1] - qr.height - 10))
    frame.paste(qr, (x, y))
    if blur:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    if dim:
        # Sensor noise: Gaussian, sigma 14, centred on 128 → shift back to zero mean.
        noise = Image.effect_noise(FRAME, 14)
        frame = ImageChops.add(frame, noise, scale=1.0, offset=-128)
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="where to write (default: a new temp folder)")
    parser.add_argument("--codes", type=int, default=4, help="how many ticket codes (4)")
    args = parser.parse_args(argv)
    folder = Path(args.folder or tempfile.mkdtemp(prefix="qr-samples-"))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(2008)  # the same frames on every run
    samples = []
    for n, code in enumerate(ticket_codes(args.codes)):
        for variant, (scale, blur, dim) in VARIANTS.items():
            image = degrade(code, scale, blur, dim, rng)
            stem = f"code{n}-{variant}"
            image.save(folder / f"{stem}.png")
            (folder / f"{stem}.gray").write_bytes(image.tobytes())
            samples.append(
                {"file": f"{stem}.gray", "variant": variant, "width": image.width,
                 "height": image.height, "code": code}
            )  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps({"samples": samples}, indent=1))
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
