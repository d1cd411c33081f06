"""An organiser creates and publishes an event in a real browser; axe-core checks every page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.checkin.doors import Door, create_door_pass
from eventsvc.checkin.models import DoorPass
from eventsvc.checkin.services import check_in
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Ticket
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def check_axe(page, visited: list[str]) -> None:
    visited.append(page.url)
    assert axe_violations(page) == [], page.url


def test_organiser_creates_publishes_and_finds_the_event(
    page, live_server, create_staff_user, make_event
):
    make_event(title_en="Earlier event", slug="earlier-event")  # the series exists
    user = create_staff_user(role=Role.organiser)
    visited: list[str] = []

    page.goto("/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))
    check_axe(page, visited)

    page.get_by_role("link", name="Create an event").first.click()
    page.wait_for_url(re.compile(r"/admin/events/new$"))
    check_axe(page, visited)

    # A first try with the end before the start: the error is next to the field.
    page.get_by_label("Title (English)").fill("Youth leadership forum")
    page.get_by_label("Title (Spanish)").fill("Foro de liderazgo juvenil")
    page.get_by_label("Description (English)").fill("Workshops and lunch.")
    page.get_by_label("Description (Spanish)").fill("Talleres y almuerzo.")
    page.get_by_label("Starts").fill("2030-09-12T10:00")
    page.get_by_label("Ends").fill("2030-09-12T09:00")
    page.get_by_label("Venue", exact=True).fill("Centro Comunitario")
    page.get_by_label("Address", exact=True).fill("456 Mission Blvd, Ontario, CA")
    page.get_by_label("Capacity (seats in total)").fill("80")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_load_state()
    assert "must end after it starts" in page.locator("#ends-error").inner_text()
    assert page.get_by_label("Title (Spanish)").input_value() == "Foro de liderazgo juvenil"
    check_axe(page, visited)

    page.get_by_label("Ends").fill("2030-09-12T14:00")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/admin/events/\d+$"))
    assert "Draft" in page.locator("main").inner_text()
    check_axe(page, visited)

    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/admin/events/\d+$"))
    assert "Event published" in page.locator("main").inner_text()
    check_axe(page, visited)

    page.goto("/admin/events")
    assert "Youth leadership forum" in page.locator("main").inner_text()
    check_axe(page, visited)

    page.goto("/events/")
    page.get_by_role("link", name="Youth leadership forum").click()
    page.wait_for_url(re.compile(r"/events/youth-leadership-forum$"))
    assert "Centro Comunitario" in page.locator("main").inner_text()

    feed = page.request.get(f"{live_server}/calendar.ics")
    assert feed.ok
    text = feed.text().replace("\r\n ", "")
    assert "SUMMARY:Youth leadership forum" in text
    # 10 am in California on 12 September 2030 (PDT) is 17:00 UTC.
    assert re.search(r"DTSTART(;TZID=America/Los_Angeles:20300912T100000|:20300912T170000Z)", text)
    assert len(visited) == 6


def test_event_form_and_dashboard_pass_axe_in_spanish(
    page, live_server, create_staff_user, make_event
):
    event_id = make_event(title_en="Gala", title_es="Gala de aniversario")
    user = create_staff_user(role=Role.organiser)
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto("/login")
    page.locator("#email").fill(user["email"])
    page.locator("#password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))
    for path in (
        "/admin/",
        f"/admin/events/{event_id}",
        f"/admin/events/{event_id}/edit",
        f"/admin/events/{event_id}/cancel",
    ):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "es"
        assert axe_violations(page) == [], path


def test_dashboard_door_view_updates_itself(app, page, create_staff_user, make_event):
    event_id = make_event(title_en="Tonight", starts_in=timedelta(minutes=-10))
    with app.app_context():
        event = db.session.get(Event, event_id)
        submit_rsvp(
            event,
            RsvpData(name="Ana", email="ana@example.org", phone=None, language="en", party_size=2),
        )
        door_id = create_door_pass(event, "Main entrance").id
        db.session.commit()
    user = create_staff_user(role=Role.organiser)
    page.goto("/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))
    live = page.locator("[data-live-url]")
    assert live.locator('[data-live="checked_in"]').inner_text() == "0"
    assert live.locator('[data-live="confirmed"]').inner_text() == "2"
    assert "No arrivals yet." in live.locator('[data-live="doors"]').inner_text()

    with app.app_context():
        event = db.session.get(Event, event_id)
        door = Door(event=event, door_pass=db.session.get(DoorPass, door_id))
        ticket = db.session.scalars(select(Ticket).where(Ticket.event_id == event_id)).first()
        assert check_in(door, code=ticket_code(ticket)).ok
        db.session.commit()

    # No reload: admin-live.js polls live.json and rewrites the numbers.
    page.wait_for_function(
        "document.querySelector('[data-live=\"checked_in\"]').textContent === '1'",
        timeout=15_000,
    )
    assert "Main entrance" in live.locator('[data-live="doors"]').inner_text()
    assert "Ana" in live.locator('[data-live="recent"]').inner_text()
    assert axe_violations(page) == []
