"""The door's service worker: which static files a phone keeps for the scanner, and their version.

The worker's code is ``static/js/scanner/sw.js``; this module puts before it the line the code
reads, ``const DOOR = {"version": ..., "precache": [...]};``. The version is a hash of every
precached file and of the worker itself, so any deploy that changes one of them changes the
worker's bytes: browsers install it, and it replaces the phone's cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

#: The worker's code, relative to the static folder.
WORKER = "js/scanner/sw.js"
#: The scanner's modules: every one in this folder is precached (but the worker).
SCANNER_MODULES = "js/scanner"
#: The other static files the scanner page loads, when present (``make vendor`` copies the last
#: three from node_modules; without them the page itself lacks the decoder).
PAGE_FILES = (
    "css/site.css",
    "img/favicon.svg",
    "vendor/zxing-wasm/zxing-reader.js",
    "vendor/zxing-wasm/zxing_reader.wasm",
    "vendor/noble-ed25519/index.js",
)


def precached_files(static: Path) -> list[str]:
    """Return the static files a phone keeps for the scanner, relative to the static folder."""
    modules = sorted(
        path.relative_to(static).as_posix()
        for path in (static / SCANNER_MODULES).glob("*.js")
        if path.relative_to(static).as_posix() != WORKER
    )
    return modules + [name for name in PAGE_FILES if (static / name).is_file()]


def worker_source(static_folder: str | Path, static_url: Callable[[str], str]) -> str:
    """Return the worker's script: its DOOR line, then static/js/scanner/sw.js."""
    static = Path(static_folder)
    files = precached_files(static)
    stamps = tuple((name, *_stamp(static / name)) for name in [*files, WORKER])
    config = {"version": _version(static, stamps), "precache": [static_url(f) for f in files]}
    return f"const DOOR = {json.dumps(config)};\n" + (static / WORKER).read_text("utf-8")


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=8)
def _version(static: Path, stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Hash the files' names and contents; the stamps (mtime, size) only say when to read again."""
    digest = hashlib.sha256()
    for name, *_ in stamps:
        digest.update(name.encode() + b"\0" + (static / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]
