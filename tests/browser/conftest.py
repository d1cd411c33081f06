"""A real server in a thread and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from eventsvc import create_app
from eventsvc.checkin.doors import create_door_pass, door_pass_token
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code
from tests.conftest import dispose

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("EVENTSVC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Browser tests need Debian's Chromium: run 'apt-get install chromium' "
            "(make test does it when run as root)."
        )
    return path


def _read_files_at_once(response):
    """Send a static file from memory, its file closed before the first byte goes out.

    The door's service worker downloads the scanner's files in the background; a browser closed
    at the end of a test drops those connections mid-file, and the file the dev server's thread
    held open surfaced later as a ResourceWarning (an error here) in whichever test was running.
    """
    if response.direct_passthrough:
        body = b"".join(response.response)
        close = getattr(response.response, "close", None)
        if close is not None:
            close()
        response.direct_passthrough = False
        response.response = [body]
    return response


@pytest.fixture(scope="session")
def live_server(app, app_config):
    """Serve a production-like app (CSRF on) on the test database; yield its base URL."""
    server_app = create_app(app_config)
    server_app.after_request(_read_files_at_once)
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    dispose(server_app)


@pytest.fixture(scope="session")
def browser():
    """Launch headless Chromium once per session."""
    from playwright.sync_api import sync_playwright

    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run 'npm ci' (make test does it).")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """Return a fresh page (no cookies) whose relative URLs go to the live server."""
    # bypass_csp lets the test inject axe-core; the app's own pages never need it.
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """Return a page the size of a small phone."""
    context = browser.new_context(
        base_url=live_server,
        bypass_csp=True,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        locale="es-MX",
    )
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page and return the violations of the given impacts."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture
def door(app, make_event):
    """Return a dict: the door link's token and id, the party's ticket ids and codes."""
    event_id = make_event(capacity=20, guest_limit=3, starts_in=timedelta(hours=1))
    with app.app_context():
        event = db.session.get(Event, event_id)
        rsvp = submit_rsvp(
            event,
            RsvpData(
                name="Aidê Arana", email="aide@example.org", phone=None, language="es", party_size=3
            ),
        ).rsvp
        door_pass = create_door_pass(event, "Side door")
        db.session.commit()
        return {
            "event_id": event_id,
            "token": door_pass_token(door_pass),
            "door_pass_id": door_pass.id,
            "tickets": [t.id for t in rsvp.tickets],
            "codes": [ticket_code(t) for t in rsvp.tickets],
        }
