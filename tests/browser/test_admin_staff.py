"""Messages, outbox, staff and audit pages in a real browser (CSRF on); axe-core checks each."""

import re

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def check_axe(page) -> None:
    assert axe_violations(page) == [], page.url


def log_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_organiser_previews_and_sends_a_message(app, page, create_staff_user, make_event):
    event_id = make_event(title_en="Gala", title_es="Gala")
    with app.app_context():
        event = db.session.get(Event, event_id)
        for n, language in enumerate(("en", "es")):
            data = RsvpData(
                name=f"Guest {n}",
                email=f"guest{n}@example.org",
                phone=None,
                language=language,
                party_size=1,
                consent_contact=True,
            )
            submit_rsvp(event, data)
        db.session.commit()
    log_in(page, create_staff_user(role=Role.organiser))

    page.goto(f"/admin/events/{event_id}/messages")
    check_axe(page)
    page.get_by_label("Confirmed only").check()
    page.get_by_label("Subject in English").fill("Parking")
    page.get_by_label("Message in English").fill("Line one.\n\nPark <behind> the hall.")
    page.get_by_label("Subject in Spanish").fill("Estacionamiento")
    page.get_by_label("Message in Spanish").fill("Estacione detrás del salón.")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert "2 people will get this message." in page.content()
    check_axe(page)

    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_url(re.compile(rf"/admin/events/{event_id}/messages$"))
    assert "Message queued for 2 people" in page.locator(".flashes").inner_text()
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMessage.body_text).where(OutboxMessage.kind == "event_message")
        ).all()
    # The text went through the preview's hidden fields with its blank line intact.
    assert len(bodies) == 2
    assert any("Line one.\n\nPark <behind> the hall." in b for b in bodies)

    page.goto("/admin/outbox")
    check_axe(page)


def test_admin_invites_and_the_invitee_sets_a_password_on_a_phone(
    app, page, phone_page, create_staff_user
):
    log_in(page, create_staff_user(role=Role.admin, name="Ada Admin"))
    page.goto("/admin/staff/invite")
    check_axe(page)
    page.get_by_label("Name").fill("Nina New")
    page.get_by_label("Email").fill("nina@example.org")
    page.get_by_label("Role").select_option("volunteer")
    page.get_by_label("Español").check()
    page.get_by_role("button", name="Send the invitation").click()
    page.wait_for_url(re.compile(r"/admin/staff$"))
    assert "Invitation sent to Nina New." in page.content()
    check_axe(page)
    page.get_by_role("link", name="Nina New").click()
    check_axe(page)
    page.goto("/admin/audit")
    assert "staff.invite" in page.content()
    check_axe(page)

    with app.app_context():
        assert deliver_pending().sent == 1  # to files: SMTP_URL is empty in tests
        body = db.session.scalar(
            select(OutboxMessage.body_text).where(OutboxMessage.kind == "staff_invite")
        )
    path = re.search(r"/invite/\S+", body).group(0)
    phone_page.goto(path)
    check_axe(phone_page)
    phone_page.get_by_label("Contraseña nueva").fill("una contraseña larga")
    phone_page.get_by_label("La misma contraseña otra vez").fill("una contraseña larga")
    phone_page.get_by_role("button", name="Guardar mi contraseña y entrar").click()
    phone_page.wait_for_url(re.compile(r"/admin/$"))
    assert "Nina New" in phone_page.content()
