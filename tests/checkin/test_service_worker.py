"""The door pages' service worker: what it keeps on a phone, and a version that follows deploys."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from eventsvc.checkin.offline import WORKER

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"


def door_config(response) -> dict:
    """Return the DOOR object the route puts before the worker's code."""
    first_line = response.get_data(as_text=True).split("\n", 1)[0]
    match = re.fullmatch(r"const DOOR = (\{.*\});", first_line)
    assert match, first_line
    return json.loads(match.group(1))


@pytest.fixture
def static_copy(app, tmp_path, monkeypatch):
    """Serve a copy of the static folder, which the test may change (a deploy)."""
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    monkeypatch.setattr(app, "static_folder", str(copy))
    return copy


def test_the_worker_is_javascript_checked_at_every_load(client):
    response = client.get("/door/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    door_line, code = response.get_data(as_text=True).split("\n", 1)
    assert door_line.startswith("const DOOR = ")
    assert code == (STATIC / WORKER).read_text("utf-8")


def test_the_worker_keeps_every_scanner_module_and_the_decoder_and_nothing_else(client):
    precache = door_config(client.get("/door/sw.js"))["precache"]
    modules = {
        f"/static/js/scanner/{path.name}"
        for path in (STATIC / "js" / "scanner").glob("*.js")
        if path.name != "sw.js"
    }
    assert modules <= set(precache) and len(modules) >= 8
    if not (STATIC / "vendor" / "zxing-wasm" / "zxing_reader.wasm").exists():
        pytest.fail("The QR decoder is missing from static/vendor: run 'make vendor'.")
    for vendored in (
        "/static/vendor/zxing-wasm/zxing-reader.js",
        "/static/vendor/zxing-wasm/zxing_reader.wasm",
        "/static/vendor/noble-ed25519/index.js",
        "/static/css/site.css",
    ):
        assert vendored in precache
    assert len(precache) == len(set(precache))
    assert all(url.startswith("/static/") for url in precache)  # no page, no /api/, no other host
    assert "/static/js/scanner/sw.js" not in precache


def test_every_precached_file_is_served(client):
    for url in door_config(client.get("/door/sw.js"))["precache"]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_the_wasm_is_served_as_webassembly(client):
    response = client.get("/static/vendor/zxing-wasm/zxing_reader.wasm")
    assert response.mimetype == "application/wasm"  # or browsers refuse to stream-compile it
    response.close()


def test_the_version_changes_when_any_kept_file_or_the_worker_changes(client, static_copy):
    def version():
        return door_config(client.get("/door/sw.js"))["version"]

    first = version()
    assert version() == first  # stable between deploys
    for name in (
        "js/scanner/main.js",
        "vendor/zxing-wasm/zxing_reader.wasm",
        "css/site.css",
        WORKER,
    ):
        before = version()
        path = static_copy / name
        stat = path.stat()
        path.write_bytes(path.read_bytes() + b"\n")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert version() != before, name


def test_a_new_scanner_module_is_kept_too(client, static_copy):
    before = door_config(client.get("/door/sw.js"))
    (static_copy / "js" / "scanner" / "later.js").write_text("export const later = 1;\n")
    after = door_config(client.get("/door/sw.js"))
    assert "/static/js/scanner/later.js" in after["precache"]
    assert after["version"] != before["version"]
