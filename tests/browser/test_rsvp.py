import re

import pytest

from eventsvc.events.models import Event
from eventsvc.extensions import db
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def slug(app, make_event):
    event_id = make_event(
        capacity=3, guest_limit=2, title_en="Know Your Rights", title_es="Conoce tus derechos"
    )
    with app.app_context():
        return db.session.get(Event, event_id).slug


def test_rsvp_with_keyboard_only_gets_a_ticket(page, slug):
    page.goto("/events/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Know Your Rights").click()
    assert page.get_by_text("3 seats left").is_visible()
    assert axe_violations(page) == []
    page.get_by_label("Your name").focus()
    page.keyboard.type("Aidê Arana")
    page.keyboard.press("Tab")
    page.keyboard.type("aide@example.org")
    page.get_by_label("How many people are coming, counting you?").select_option("2")
    page.get_by_label("Email").press("Enter")  # Enter in a text field submits the form
    page.wait_for_url(re.compile(r"/rsvp/"))
    assert page.get_by_role("heading", name="You are confirmed").is_visible()
    images = page.locator("img[src*='qr.svg']")
    assert images.count() == 2
    assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert axe_violations(page) == []


def test_errors_in_spanish_are_announced_and_pass_axe(page, live_server, slug):
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto(f"/events/{slug}")
    assert page.get_by_role("heading", name="Conoce tus derechos").is_visible()
    page.get_by_label("Tu nombre").fill("José Ñúñez")
    page.get_by_label("Correo electrónico").fill("jose@")
    page.get_by_role("button", name="Confirmar asistencia").click()
    error = page.locator("#email-error")
    assert error.is_visible() and "correo" in error.inner_text().lower()
    assert page.get_by_label("Tu nombre").input_value() == "José Ñúñez"
    assert page.get_by_label("Correo electrónico").get_attribute("aria-invalid") == "true"
    assert axe_violations(page) == []


def test_full_event_offers_the_waitlist_and_tells_the_position(page, slug):
    page.goto(f"/events/{slug}")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Email").fill("ana@example.org")
    page.get_by_label("How many people are coming, counting you?").select_option("3")
    page.get_by_role("button", name="RSVP").click()
    page.wait_for_url(re.compile(r"/rsvp/"))
    page.goto(f"/events/{slug}")
    assert page.get_by_text("Full — join the waitlist").is_visible()
    page.get_by_label("Your name").fill("Bea")
    page.get_by_label("Email").fill("bea@example.org")
    page.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_url(re.compile(r"/rsvp/"))
    assert page.get_by_text("Your place on the waitlist: 1").is_visible()
    assert axe_violations(page) == []


def test_event_page_fits_a_small_phone(phone_page, slug):
    phone_page.goto(f"/events/{slug}")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    button = phone_page.get_by_role("button", name="Confirmar asistencia").bounding_box()
    assert button["height"] >= 44
