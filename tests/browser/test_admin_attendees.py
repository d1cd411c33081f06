"""The attendee pages in a real browser: axe-core, the keyboard, a phone, the printed door list."""

import re

import pytest

from eventsvc.auth.models import Role
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def event_id(app, make_event):
    """An event of 4 seats: a party of 3 with access needs, one person, one on the waitlist."""
    event_id = make_event(capacity=4, guest_limit=3, title_en="Anniversary Gala")
    people = [
        ("José Ñúñez", "jose@example.org", 3, "Wheelchair", ""),
        ("Ana López", "ana@example.org", 1, "", "Mixteco"),
        ("Zoë Waiting", "zoe@example.org", 2, "", ""),
    ]
    with app.app_context():
        event = db.session.get(Event, event_id)
        for name, email, size, access, interpretation in people:
            submit_rsvp(
                event,
                RsvpData(
                    name=name,
                    email=email,
                    phone=None,
                    language="es",
                    party_size=size,
                    access_needs=access,
                    interpretation_request=interpretation,
                ),
            )
        db.session.commit()
    return event_id


def log_in(page, user):
    page.goto("/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_attendee_list_search_and_check_in_by_keyboard_pass_axe(page, create_staff_user, event_id):
    log_in(page, create_staff_user(role=Role.organiser))
    page.goto(f"/admin/events/{event_id}/attendees")
    assert page.get_by_role("heading", name="Attendees: Anniversary Gala").is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Search").fill("jose nunez")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=jose"))
    assert page.get_by_role("link", name="José Ñúñez").is_visible()
    assert page.get_by_role("link", name="Ana López").count() == 0
    page.get_by_role("link", name="José Ñúñez").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/attendees/\d+$"))
    assert axe_violations(page) == []
    page.get_by_label("People to check in").select_option("2")
    page.get_by_role("button", name="Check in", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("status").get_by_text("Checked in: 2 people.").is_visible()
    assert page.get_by_role("button", name=re.compile(r"Undo check-in\s*: Person 1")).is_visible()
    assert axe_violations(page) == []
    # A form with errors keeps the typed values and passes too.
    page.get_by_label("Email").fill("not-an-email")
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()
    assert page.locator("#email-error").is_visible()
    assert page.get_by_label("Email").input_value() == "not-an-email"
    assert axe_violations(page) == []


def test_printed_door_list_has_no_site_chrome_and_passes_axe(page, create_staff_user, event_id):
    log_in(page, create_staff_user(role=Role.organiser))
    page.goto(f"/admin/events/{event_id}/attendees/print")
    assert page.get_by_role("button", name="Print").is_visible()  # print.js ran under the CSP
    assert axe_violations(page) == []
    rows = page.locator(".door-sheet-table tbody tr")
    assert rows.count() == 2  # the waiting party is not on the door list
    assert rows.nth(0).locator(".door-box").count() == 1  # Ana López, then José Ñúñez
    assert rows.nth(1).locator(".door-box").count() == 3
    page.emulate_media(media="print")
    for chrome in (".site-header", ".site-footer", ".admin-subnav", "[data-print]"):
        assert not page.locator(chrome).first.is_visible(), chrome
    assert page.get_by_role("heading", name="Door list: Anniversary Gala").is_visible()
    assert rows.nth(1).is_visible()


def test_attendee_pages_fit_a_small_phone_in_spanish(
    browser, live_server, create_staff_user, event_id
):
    user = create_staff_user(role=Role.organiser)
    context = browser.new_context(
        base_url=live_server,
        bypass_csp=True,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        locale="es-MX",
    )
    context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page = context.new_page()
    try:
        page.goto("/login")
        page.locator("#email").fill(user["email"])
        page.locator("#password").fill(user["password"])
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/admin/$"))
        for path in ["", "/new", "/print"]:
            page.goto(f"/admin/events/{event_id}/attendees{path}")
            assert page.locator("html").get_attribute("lang") == "es"
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
            assert axe_violations(page) == [], path
    finally:
        context.close()
