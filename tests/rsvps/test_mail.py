"""RSVP mail end to end: a real SMTP server receives it, the QR decodes to a valid ticket."""

from datetime import timedelta
from io import BytesIO

import icalendar
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from eventsvc.checkin.services import resolve_ticket
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.models import Rsvp


@pytest.fixture
def mailing(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    return smtp_server


def rsvp_form(**overrides):
    data = {
        "name": "José Ñúñez",
        "email": "jose@example.org",
        "language": "es",
        "party_size": "2",
        "consent_contact": "y",
    }
    data.update(overrides)
    return data


def test_confirmation_reaches_smtp_with_qr_tickets_and_calendar(app, client, mailing, make_event):
    event_id = make_event(capacity=10, guest_limit=3)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    response = client.post(f"/events/{slug}", data=rsvp_form())
    assert response.status_code == 303
    with app.app_context():
        assert deliver_pending().sent == 1
    [message] = mailing.messages
    assert mailing.recipients == [["jose@example.org"]]
    assert "Evento" in message["Subject"]  # in the RSVP's language
    text = message.get_body(("plain",)).get_content()
    assert "José Ñúñez" in text
    assert response.headers["Location"] in text  # the private link

    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2  # one per person of the party
    with app.app_context():
        tickets = []
        for image in images:
            [barcode] = zxingcpp.read_barcodes(Image.open(BytesIO(image.get_content())))
            tickets.append(resolve_ticket(barcode.text))
        assert sorted(t.position for t in tickets) == [1, 2]
        assert {t.rsvp.email for t in tickets} == {"jose@example.org"}
    html = message.get_body(("html",)).get_content()
    for image in images:
        assert f"cid:{image['Content-ID'].strip('<>')}" in html

    [ics] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]).startswith(f"event-{event_id}@")
    assert str(vevent["SUMMARY"]).startswith("Evento")


def test_smtp_down_keeps_the_rsvp_and_delivers_once_when_back(app, client, mailing, make_event):
    event_id = make_event()
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    mailing.stop()
    response = client.post(f"/events/{slug}", data=rsvp_form(email="ana@example.org"))
    assert response.status_code == 303  # the RSVP does not wait for mail
    with app.app_context():
        report = deliver_pending()
        assert report.sent == 0 and report.retried == 1
        assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 1
        message = db.session.scalar(select(OutboxMessage))
        assert message.status == MailStatus.pending and message.attempts == 1
    mailing.start()
    with app.app_context():
        later = utc_now() + timedelta(hours=1)
        assert deliver_pending(now=later).sent == 1
        assert deliver_pending(now=later + timedelta(hours=1)).sent == 0
    assert len(mailing.messages) == 1


def test_promotion_mail_carries_a_working_link(app, client, mailing, make_event):
    event_id = make_event(capacity=1, guest_limit=0)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    first = client.post(f"/events/{slug}", data=rsvp_form(email="a@example.org", party_size="1"))
    client.post(f"/events/{slug}", data=rsvp_form(email="b@example.org", party_size="1"))
    assert client.post(first.headers["Location"] + "/cancel").status_code == 303
    with app.app_context():
        deliver_pending()
    promoted = [m for m in mailing.messages if m["To"] == "b@example.org"][-1]
    text = promoted.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/rsvp/" in word)
    path = link.split("127.0.0.1:5000", 1)[1]
    page = client.get(path).get_data(as_text=True)
    assert "qr.svg" in page  # confirmed, with a ticket


def test_send_reminders_command_queues_once(app, runner, make_event):
    from eventsvc.rsvps.services import RsvpData, submit_rsvp

    event_id = make_event(starts_in=timedelta(hours=10))
    with app.app_context():
        event = db.session.get(Event, event_id)
        submit_rsvp(
            event,
            RsvpData(
                name="A",
                email="a@example.org",
                phone=None,
                language="en",
                party_size=1,
                consent_contact=True,
            ),
            now=utc_now() - timedelta(days=2),
        )
        db.session.execute(Rsvp.__table__.update().values(created_dt=utc_now() - timedelta(days=2)))
        db.session.commit()
    assert "queued 1 reminder(s)" in runner.invoke(args=["eventsvc", "send-reminders"]).output
    assert "queued 0 reminder(s)" in runner.invoke(args=["eventsvc", "send-reminders"]).output


def test_confirmation_overtaken_by_cancellation_is_not_sent(app, client, mailing, make_event):
    event_id = make_event()
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    location = client.post(f"/events/{slug}", data=rsvp_form(email="c@example.org")).headers[
        "Location"
    ]
    client.post(location + "/cancel")
    with app.app_context():
        deliver_pending()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    [message] = mailing.messages  # the cancellation only
    assert "cancel" in message.get_body(("plain",)).get_content().lower()
