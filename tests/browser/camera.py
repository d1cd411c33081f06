"""Chromium with a fake camera for the scanner's tests: a video of a ticket's QR code."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from eventsvc.rsvps.qr import qr_png
from tests.browser.conftest import CHROMIUM_FLAGS, ROOT, chromium_path

DECODER = ROOT / "static" / "vendor" / "zxing-wasm" / "zxing_reader.wasm"


def write_y4m(path: Path, code: str, *, size=(640, 480), shown=10, hidden=0) -> None:
    """Write a YUV4MPEG2 (4:2:0, 10 frames a second, looped by Chromium) of a ticket's QR on white.

    hidden: blank frames after the `shown` ones; longer than the camera's same-code pause
    (camera.js), each loop is a new scan.
    """
    width, height = size
    blank = Image.new("L", size, 255)
    frame = blank.copy()
    qr = Image.open(io.BytesIO(qr_png(code, box_size=7))).convert("L")  # 343 x 343 px
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)  # no colour: U and V at their middle
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for image in [frame] * shown + [blank] * hidden:
            f.write(b"FRAME\n" + image.tobytes() + chroma + chroma)


@contextmanager
def camera_browser(browser, live_server, *, video: Path | None = None, devices=1, **context):
    """Yield a page in a second Chromium whose fake camera films `video` (or a test pattern).

    Without bypass_csp unless asked: the page must work under its own Content-Security-Policy
    (WebAssembly). devices: how many fake cameras (a phone's front and back: 2).
    """
    if video is not None and not DECODER.exists():
        pytest.fail("The QR decoder is missing from static/vendor: run 'make vendor'.")
    args = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream"]
    args.append(
        "--use-fake-device-for-media-stream" + (f"=device-count={devices}" if devices != 1 else "")
    )
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    launched = browser.browser_type.launch(
        executable_path=chromium_path(), headless=True, args=args
    )
    new_context = launched.new_context(base_url=live_server, locale="en-US", **context)
    new_context.grant_permissions(["camera"], origin=live_server)
    try:
        yield new_context.new_page()
    finally:
        new_context.close()
        launched.close()
