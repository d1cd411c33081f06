"""The scanner reloads with no network: its service worker keeps the page and every file it needs.

And nothing it keeps holds an attendee's name or email, even after a shift of names on screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

WASM = ROOT / "static" / "vendor" / "zxing-wasm" / "zxing_reader.wasm"

# Every response in the origin's Cache Storage: {cache name: {url: body as text}}.
DUMP_CACHES = """async () => {
  const dump = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    dump[name] = {};
    for (const request of await cache.keys()) {
      dump[name][request.url] = await (await cache.match(request)).text();
    }
  }
  return dump;
}"""


@pytest.fixture
def door_page(browser, live_server):
    """Return a page with the site's real Content-Security-Policy (the worker must pass it)."""
    if not WASM.exists():
        pytest.fail("The QR decoder is missing from static/vendor: run 'make vendor'.")
    context = browser.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


def wait_for_worker(page) -> None:
    """Wait until the worker is active and controls the page (it claims it on activation)."""
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("navigator.serviceWorker.controller?.state === 'activated'")


def test_the_scanner_reloads_offline_from_the_workers_cache(door_page, door):
    page = door_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"/door/{door['token']}")
    wait_for_worker(page)

    # A shift online: names on screen, from a search and a check-in (the API's answers).
    page.get_by_role("searchbox", name="Name").fill("aide")
    expect(page.locator(".person", has_text="Aidê Arana")).to_contain_text("Party of 3")
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text("Welcome, Aidê Arana")

    title = page.get_by_role("heading", level=1).text_content()
    page.context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()
    # The modules ran (the mute button is wired); the decoder's script and its WebAssembly, and
    # the Ed25519 fallback, all come from the cache.
    page.get_by_role("button", name="Mute sound").click()
    expect(page.get_by_role("button", name="Mute sound")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("typeof window.ZXingWASM.readBarcodes") == "function"
    wasm = page.evaluate(
        """async (url) => {
          const r = await fetch(url);
          const bytes = new Uint8Array(await r.arrayBuffer());
          const type = r.headers.get("content-type");
          return [r.status, type, bytes.length, WebAssembly.validate(bytes)];
        }""",
        page.locator("#scanner").get_attribute("data-wasm-url"),
    )
    assert wasm == [200, "application/wasm", WASM.stat().st_size, True]
    noble = page.evaluate(
        "async (url) => typeof (await import(url)).verifyAsync",
        page.locator("#scanner").get_attribute("data-noble-url"),
    )
    assert noble == "function"

    # Really offline, for the worker too: a door page it never kept fails, and so does the API.
    api = page.evaluate("fetch('/api/v1/openapi.json').then(() => 'answered', () => 'failed')")
    assert api == "failed"
    other = page.context.new_page()
    with pytest.raises(Exception, match="ERR_"):
        other.goto("/door/event/999999")
    other.close()

    # What the phone keeps: the scanner's files and this door's page, no name, no email, no API.
    dump = page.evaluate(DUMP_CACHES)
    urls = [url for cache in dump.values() for url in cache]
    assert any(url.endswith(f"/door/{door['token']}") for url in urls)
    assert any(url.endswith("/zxing_reader.wasm") for url in urls)
    assert not [url for url in urls if "/api/" in url]
    for cache, responses in dump.items():
        for url, body in responses.items():
            for personal in ("Aidê", "Arana", "aide@example.org"):
                assert personal not in body, (cache, url, personal)
    assert errors == []


def test_a_closed_door_link_is_not_kept_for_offline(app, door_page, door):
    from eventsvc.checkin.doors import revoke_door_pass
    from eventsvc.checkin.models import DoorPass
    from eventsvc.extensions import db

    page = door_page
    page.goto(f"/door/{door['token']}")
    wait_for_worker(page)
    with app.app_context():
        revoke_door_pass(db.session.get(DoorPass, door["door_pass_id"]))
        db.session.commit()
    assert page.reload().status == 403  # the network's answer, not the kept page
    page.context.set_offline(True)
    with pytest.raises(Exception, match="ERR_"):
        page.reload()
