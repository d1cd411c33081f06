"""The scanner in Chromium when the server says 429 (too many failed lookups) or shuts the door."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from eventsvc.checkin.doors import revoke_door_pass
from eventsvc.checkin.models import DoorPass
from eventsvc.extensions import db

pytestmark = pytest.mark.browser


def test_a_429_says_so_keeps_the_scan_and_sends_it_after_retry_after(page, door):
    sent = []

    def limited_once(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fulfill(
                status=429,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error": "rate_limited", "message": "Please wait"}',
            )
        else:
            route.continue_()

    page.route("**/checkins", limited_once)
    page.goto(f"/door/{door['token']}")
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text(
        "Too many failed tries from this network. "
        "The scan is saved and will be sent again in 1 min."
    )
    expect(page.locator("#queue")).to_have_text("1 scan waiting for connection")
    # Retry-After (1 s) later the same scan goes again and is answered.
    expect(page.locator("#verdict")).to_contain_text("Welcome, Aidê Arana", timeout=10_000)
    assert len(sent) == 2 and sent[0] == sent[1]


def test_a_429_in_spanish(browser, live_server, door):
    context = browser.new_context(base_url=live_server, locale="es-MX")
    page = context.new_page()
    page.route(
        "**/checkins",
        lambda route: route.fulfill(
            status=429, headers={"Retry-After": "600"}, body='{"error": "rate_limited"}'
        ),
    )
    page.goto(f"/door/{door['token']}")
    page.locator("#code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text(
        "Demasiados intentos fallidos desde esta red. El escaneo quedó guardado y se enviará "
        "de nuevo en 10 min."
    )
    context.close()


def test_a_door_switched_off_mid_shift_stops_asking_the_server(app, page, door):
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/" in r.url else None)
    page.goto(f"/door/{door['token']}")
    expect(page.locator("#count-total")).to_have_text(str(len(door["codes"])))
    with app.app_context():
        revoke_door_pass(db.session.get(DoorPass, door["door_pass_id"]))
        db.session.commit()
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    message = "This door link was switched off by the organisers."
    expect(page.locator("#verdict")).to_contain_text(message)
    asked = len(requests)
    # A closed door is not asked again: each try would count as a failed look-up.
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][1])
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text(message)
    page.wait_for_timeout(500)
    assert len(requests) == asked
