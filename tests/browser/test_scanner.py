"""The door scanner in a real Chromium: fake camera, keyboard-wedge scanner, search, bad wifi."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from eventsvc.checkin.doors import create_door_pass, door_pass_token, revoke_door_pass
from eventsvc.checkin.models import CheckIn
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Ticket
from tests.browser.camera import camera_browser, write_y4m
from tests.browser.conftest import axe_violations
from tests.browser.phone import poll, read_store

pytestmark = pytest.mark.browser


def admissions(app, ticket_id: int) -> list[CheckIn]:
    """Return the ok scans of a ticket that were not undone."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(CheckIn).where(
                    CheckIn.ticket_id == ticket_id, CheckIn.result == "ok", ~CheckIn.is_undone
                )
            )
        )


def wait_for_admissions(app, ticket_id: int, count: int, timeout: float = 5.0) -> None:
    """Wait until a ticket has `count` admissions: the page may show a sync a moment before this
    process's database connection sees its row."""
    deadline = time.monotonic() + timeout
    while len(admissions(app, ticket_id)) != count:
        assert time.monotonic() < deadline, f"ticket {ticket_id}: not {count} admissions"
        time.sleep(0.05)


def checked_in(app, ticket_id: int):
    with app.app_context():
        return db.session.get(Ticket, ticket_id).checked_in_dt


def verdict(page):
    return page.locator("#verdict")


# --- the camera -----------------------------------------------------------------------------------


@pytest.fixture
def camera_page(browser, live_server, tmp_path, door):
    """Return a page in a second Chromium whose camera films door["codes"][0] (real CSP on)."""
    video = tmp_path / "ticket.y4m"
    write_y4m(video, door["codes"][0])
    with camera_browser(browser, live_server, video=video) as page:
        yield page


def test_camera_scan_admits_the_ticket_holder(app, camera_page, door):
    page = camera_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"/door/{door['token']}")
    page.get_by_role("button", name="Start camera").click()
    expect(verdict(page)).to_contain_text("Welcome, Aidê Arana — party 1 of 3", timeout=20_000)
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    expect(page.locator("#count-in")).to_have_text("1")
    assert page.get_by_role("button", name="Stop camera").is_visible()
    assert checked_in(app, door["tickets"][0]) is not None
    (entry,) = admissions(app, door["tickets"][0])
    assert entry.door_pass_id == door["door_pass_id"]
    # The camera keeps seeing the ticket: it is not sent again within 3 s (no amber verdict).
    page.wait_for_timeout(1000)
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    assert errors == []


# --- a keyboard-wedge scanner: it types the code and presses Enter --------------------------------


def test_hardware_scanner_admits_then_says_already_in(app, page, door):
    page.goto(f"/door/{door['token']}")
    field = page.get_by_label("Scan or type a ticket code")
    expect(field).to_be_focused()  # ready for the first scan without a tap
    page.keyboard.type(door["codes"][1])
    page.keyboard.press("Enter")
    expect(verdict(page)).to_contain_text("Welcome, Aidê Arana — party 2 of 3")
    expect(verdict(page)).to_contain_text("Come in")
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    page.keyboard.type(door["codes"][1])
    page.keyboard.press("Enter")
    expect(verdict(page)).to_have_class(re.compile("verdict-warn"))
    expect(verdict(page)).to_contain_text(
        re.compile(r"Already checked in: Aidê, at .+ at Side door")
    )
    page.keyboard.type("NOT-A-TICKET")
    page.keyboard.press("Enter")
    expect(verdict(page)).to_have_class(re.compile("verdict-stop"))
    expect(verdict(page)).to_contain_text("Not valid")
    assert len(admissions(app, door["tickets"][1])) == 1
    assert axe_violations(page) == []


# --- name search, part of a party, undo -----------------------------------------------------------


def test_search_checks_in_two_of_three_and_undo_takes_one_back(app, page, door):
    page.goto(f"/door/{door['token']}")
    expect(page.locator("#count-in")).to_have_text("0")
    expect(page.locator("#count-total")).to_have_text("3")
    page.get_by_role("searchbox", name="Name").fill("aide")  # no accent, lower case: still found
    result = page.locator(".person", has_text="Aidê Arana")
    expect(result).to_contain_text("Party of 3")
    result.get_by_role("button", name="Check in person 1").click()
    expect(verdict(page)).to_contain_text("party 1 of 3")
    result.get_by_role("button", name="Check in person 2").click()
    expect(verdict(page)).to_contain_text("party 2 of 3")
    expect(page.locator("#count-in")).to_have_text("2")
    expect(result).to_contain_text(re.compile(r"Person 2: in at"))
    expect(result.get_by_role("button", name="Check in person 3")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Undo last check-in").click()
    expect(verdict(page)).to_contain_text("The last check-in was undone.")
    expect(page.locator("#count-in")).to_have_text("1")
    expect(result.get_by_role("button", name="Check in person 2")).to_be_visible()
    assert checked_in(app, door["tickets"][0]) is not None
    assert checked_in(app, door["tickets"][1]) is None


def test_rest_of_the_party_after_a_scan(app, page, door):
    page.goto(f"/door/{door['token']}")
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    expect(verdict(page)).to_contain_text("party 1 of 3")
    page.get_by_role("button", name="Check in the rest of the party").click()
    page.get_by_role("button", name="Check in all remaining (2)").click()
    expect(page.locator("#count-in")).to_have_text("3")
    assert all(checked_in(app, t) for t in door["tickets"])


# --- closed links, languages, small phones --------------------------------------------------------


def test_revoked_and_expired_links_show_the_closed_page(app, page, door):
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        revoked = create_door_pass(event, "Back door")
        revoke_door_pass(revoked)
        expired = create_door_pass(event, "Old door")
        expired.expires_dt = utc_now() - timedelta(minutes=1)
        db.session.commit()
        tokens = [door_pass_token(revoked), door_pass_token(expired)]
    for token, why in zip(tokens, ["switched off", "expired"], strict=True):
        response = page.goto(f"/door/{token}")
        assert response.status == 403
        expect(page.get_by_role("heading", name="This scanner is closed")).to_be_visible()
        expect(page.get_by_text(why)).to_be_visible()
        assert page.locator("#scanner").count() == 0


def test_scanner_passes_axe_in_english_and_spanish(page, live_server, door):
    page.goto(f"/door/{door['token']}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe_violations(page) == []
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto(f"/door/{door['token']}")
    assert page.locator("html").get_attribute("lang") == "es"
    assert axe_violations(page) == []


def test_scanner_fits_a_small_phone(phone_page, door):
    phone_page.goto(f"/door/{door['token']}")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    for button in phone_page.locator(".scanner button:visible").all():
        assert button.bounding_box()["height"] >= 48
    # Off the camera's screen (http://127.0.0.1 is a secure context): no warning.
    assert phone_page.locator("#camera-status").inner_text() == ""


# --- flaky wifi -----------------------------------------------------------------------------------


def test_a_dropped_request_is_retried_as_the_same_scan(app, page, door):
    sent = []

    def flaky(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/checkins", flaky)
    page.goto(f"/door/{door['token']}")
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][2])
    page.keyboard.press("Enter")
    # The answer did not come: the phone decides at once (offline), and syncs the admission later.
    expect(verdict(page)).to_contain_text("Valid ticket, checked on this phone")
    expect(verdict(page).locator(".verdict-badge")).to_have_text("Offline")
    expect(page.locator("#queue")).to_be_hidden(timeout=10_000)  # synced
    assert len(sent) == 2
    first, second = sent
    assert len(first["client_scan_id"]) == 36
    # The same scan (client_scan_id, code, scanned_at), now said to be an offline admission.
    assert {k: second[k] for k in first} == first
    assert second["offline"] is True and second["sent_at"]
    expect(verdict(page)).to_contain_text("Valid ticket, checked on this phone")  # not replaced
    assert read_store(page)[f"queue.{door['event_id']}"] == []
    assert page.evaluate("Object.keys(localStorage).filter(k => k.includes('queue'))") == []
    wait_for_admissions(app, door["tickets"][2], 1)
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.result == "ok")
        )
    assert count == 1


def test_queue_survives_a_reload_without_names(app, page, door):
    page.route("**/checkins", lambda route: route.abort("internetdisconnected"))
    page.goto(f"/door/{door['token']}")
    page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
    page.keyboard.press("Enter")
    expect(page.locator("#queue")).to_have_text("1 scan waiting for connection")
    stored = read_store(page)  # the queue (and the snapshot) live in IndexedDB now
    (scan,) = stored[f"queue.{door['event_id']}"]
    assert scan["code"] == door["codes"][0] and scan["offline"] is True
    assert "Aid" not in json.dumps(stored, ensure_ascii=False)
    page.unroute("**/checkins")
    page.reload()  # the saved admission is synced once the page is back
    poll(page, "the queue to empty", lambda queue: not queue, key=f"queue.{door['event_id']}")
    wait_for_admissions(app, door["tickets"][0], 1)
