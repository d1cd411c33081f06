"""Messages to an event's attendees (preview, send, language, consent) and the outbox."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from eventsvc.auth.models import Role
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import deliver_pending, queue_mail
from eventsvc.rsvps.services import RsvpData, submit_rsvp

MESSAGE = {
    "audience": "live",
    "subject_en": "Parking update",
    "body_en": "Park behind the hall.\n\nSee you <soon> & bring a friend!",
    "subject_es": "Aviso de estacionamiento",
    "body_es": "Estacione detrás del salón.\n\n¡Nos vemos pronto!",
    "send_key": "key-1234567890",
}


def add_rsvp(app, event_id, n, *, language="en", consent=True, email=True, status="confirmed"):
    """Add an RSVP; status confirmed, waitlisted, cancelled or deleted (anonymised)."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        data = RsvpData(
            name=f"Guest {n}",
            email=f"guest{n}@example.org" if email else None,
            phone=None if email else f"+1909555{n:04d}",
            language=language,
            party_size=1,
            consent_contact=consent,
        )
        rsvp = submit_rsvp(event, data).rsvp
        now = utc_now()
        if status == "waitlisted":
            rsvp.waitlist(now)
        elif status == "cancelled":
            rsvp.cancel(now)
        elif status == "deleted":
            rsvp.anonymise(now)
        db.session.commit()
        return rsvp.id


def event_messages(app):
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "event_message")
            .order_by(OutboxMessage.id)
        ).all()
        return [(m.to_address, m.language, m.subject, m.body_text, m.body_html) for m in rows]


def test_preview_then_send_queues_one_message_per_recipient_in_their_language(
    app, client, organiser, make_event, smtp_server, monkeypatch
):
    event_id = make_event(title_en="Anniversary Gala", title_es="Gala de aniversario")
    add_rsvp(app, event_id, 1, language="en")
    add_rsvp(app, event_id, 2, language="es")
    url = f"/admin/events/{event_id}/messages"

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="send_key"' in page.get_data(as_text=True)

    preview = client.post(url, data={**MESSAGE, "action": "preview"})
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "2 people will get this message." in text
    assert "In English: 1. In Spanish: 1." in text
    assert "Parking update" in text and "Aviso de estacionamiento" in text
    assert "Estacione detrás del salón." in text
    assert "Send to 2 people" in text
    assert event_messages(app) == []  # a preview sends nothing

    sent = client.post(url, data={**MESSAGE, "action": "send"})
    assert sent.status_code == 303
    assert sent.headers["Location"] == url
    assert "Message queued for 2 people" in client.get(url).get_data(as_text=True)

    messages = event_messages(app)
    assert [(to, lang, subject) for to, lang, subject, _t, _h in messages] == [
        ("guest1@example.org", "en", "Parking update"),
        ("guest2@example.org", "es", "Aviso de estacionamiento"),
    ]
    assert "Park behind the hall." in messages[0][3] and "Anniversary Gala" in messages[0][3]
    assert (
        "Estacione detrás del salón." in messages[1][3] and "Gala de aniversario" in messages[1][3]
    )
    # Organisers write plain text: it is escaped in the HTML version.
    html = messages[0][4]
    assert "See you &lt;soon&gt; &amp; bring a friend!" in html
    assert "<soon>" not in html

    with app.app_context():
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "event.message"))
        assert entry.object_id == str(event_id)
        assert entry.details["audience"] == "live"
        assert entry.details["recipients"] == 2
        assert entry.details["languages"] == {"en": 1, "es": 1}
        assert "@" not in str(entry.details)  # counts, never addresses

    # The queued messages reach a real SMTP server, each in its reader's language.
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    with app.app_context():
        deliver_pending()
    received = {
        tuple(rcpt): msg
        for rcpt, msg in zip(smtp_server.recipients, smtp_server.messages, strict=True)
        if msg["Subject"] in ("Parking update", "Aviso de estacionamiento")
    }
    english, spanish = received[("guest1@example.org",)], received[("guest2@example.org",)]
    assert english["Subject"] == "Parking update"
    assert english["Content-Language"] == "en"
    assert "Park behind the hall." in english.get_body(("plain",)).get_content()
    assert spanish["Subject"] == "Aviso de estacionamiento"
    assert spanish["Content-Language"] == "es"
    assert "¡Nos vemos pronto!" in spanish.get_body(("plain",)).get_content()
    assert "&lt;soon&gt;" in english.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("live", ["guest1@example.org", "guest2@example.org"]),
        ("confirmed", ["guest1@example.org"]),
        ("waitlisted", ["guest2@example.org"]),
    ],
)
def test_audience_filters(app, client, organiser, make_event, audience, expected):
    event_id = make_event()
    add_rsvp(app, event_id, 1)
    add_rsvp(app, event_id, 2, status="waitlisted")
    add_rsvp(app, event_id, 3, status="cancelled")  # never gets a message
    url = f"/admin/events/{event_id}/messages"
    data = {**MESSAGE, "audience": audience}
    preview = client.post(url, data={**data, "action": "preview"})
    n = len(expected)
    assert f"{n} {'person' if n == 1 else 'people'} will get this message." in preview.get_data(
        as_text=True
    )
    assert client.post(url, data={**data, "action": "send"}).status_code == 303
    assert [m[0] for m in event_messages(app)] == expected


def test_consent_email_and_deleted_data_are_respected_and_explained(
    app, client, organiser, make_event
):
    event_id = make_event()
    add_rsvp(app, event_id, 1)
    add_rsvp(app, event_id, 2, consent=False)
    add_rsvp(app, event_id, 3, email=False)
    add_rsvp(app, event_id, 4, status="deleted")
    url = f"/admin/events/{event_id}/messages"
    preview = client.post(url, data={**MESSAGE, "action": "preview"}).get_data(as_text=True)
    assert "1 person will get this message." in preview
    assert "3 left out:" in preview
    assert "1 without an email, 1 who did not ask for updates, 1 whose data was deleted." in preview
    assert client.post(url, data={**MESSAGE, "action": "send"}).status_code == 303
    assert [m[0] for m in event_messages(app)] == ["guest1@example.org"]
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.message"))
        assert entry.details["left_out"] == {"deleted": 1, "no_email": 1, "no_consent": 1}


def test_nobody_to_send_to_is_refused(app, client, organiser, make_event):
    event_id = make_event()
    add_rsvp(app, event_id, 1, consent=False)
    url = f"/admin/events/{event_id}/messages"
    preview = client.post(url, data={**MESSAGE, "action": "preview"}).get_data(as_text=True)
    assert "Nobody in this audience can get the message." in preview
    assert "Send to" not in preview
    response = client.post(url, data={**MESSAGE, "action": "send"})
    assert response.status_code == 400
    assert "Nobody in this audience can get the message." in response.get_data(as_text=True)
    assert event_messages(app) == []


def test_double_submit_sends_once(app, client, organiser, make_event):
    event_id = make_event()
    add_rsvp(app, event_id, 1)
    add_rsvp(app, event_id, 2, language="es")
    url = f"/admin/events/{event_id}/messages"
    assert client.post(url, data={**MESSAGE, "action": "send"}).status_code == 303
    again = client.post(url, data={**MESSAGE, "action": "send"})
    assert again.status_code == 303
    assert "already sent" in client.get(url).get_data(as_text=True)
    assert len(event_messages(app)) == 2
    # A new message (a new form, so a new key) goes out.
    fresh = {**MESSAGE, "send_key": "another-key-123456", "action": "send"}
    assert client.post(url, data=fresh).status_code == 303
    assert len(event_messages(app)) == 4


def test_missing_text_is_refused_and_what_was_typed_is_kept(app, client, organiser, make_event):
    event_id = make_event()
    url = f"/admin/events/{event_id}/messages"
    response = client.post(url, data={**MESSAGE, "body_es": "", "action": "preview"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Write the message." in text
    assert "Parking update" in text
    assert 'aria-invalid="true"' in text


def test_edit_from_the_preview_keeps_the_text(app, client, organiser, make_event):
    event_id = make_event()
    url = f"/admin/events/{event_id}/messages"
    response = client.post(url, data={**MESSAGE, "action": "edit"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Aviso de estacionamiento" in text and "key-1234567890" in text


def test_messages_need_an_organiser(app, client, auth, create_staff_user, make_event):
    event_id = make_event()
    volunteer = create_staff_user(role=Role.volunteer)
    auth.login(volunteer["email"], volunteer["password"])
    assert client.get(f"/admin/events/{event_id}/messages").status_code == 403
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/events/9999/messages").status_code == 403


def test_unknown_event_is_404(client, organiser):
    assert client.get("/admin/events/9999/messages").status_code == 404


# --- the outbox -------------------------------------------------------------------------------


def test_outbox_shows_failed_with_reason_and_retry_requeues(
    app, client, organiser, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    smtp_server.reject("nobody@example.org")
    with app.app_context():
        failing = queue_mail(
            to="nobody@example.org", subject="Hello", body_text="Hi", kind="notice"
        ).id
        queue_mail(to="ana@example.org", subject="Fine", body_text="Hi", kind="notice")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.failed) == (1, 1)

    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "recipient refused (550)" in page
    assert "After 1 attempt" in page
    assert "no…@example.org" in page and "nobody@example.org" not in page  # masked
    assert "an…@example.org" not in page  # filtered out: it was sent
    assert "Try again" in page

    sent_page = client.get("/admin/outbox?status=sent").get_data(as_text=True)
    assert "an…@example.org" in sent_page and "Try again" not in sent_page

    response = client.post(f"/admin/outbox/{failing}/retry?status=failed")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/outbox?status=failed"
    with app.app_context():
        message = db.session.get(OutboxMessage, failing)
        assert message.status == MailStatus.pending
        assert message.attempts == 0
        assert message.next_attempt_dt <= utc_now()
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "mail.retry"))
        assert entry.object_id == str(failing)
        assert entry.details["last_error"] == "recipient refused (550)"

    # A second click finds nothing to retry and says so.
    client.post(f"/admin/outbox/{failing}/retry")
    assert "not waiting for a retry" in client.get("/admin/outbox").get_data(as_text=True)

    # The mailbox exists now: the next delivery run sends it.
    smtp_server.rejected.clear()
    with app.app_context():
        assert deliver_pending().sent == 1
        assert db.session.get(OutboxMessage, failing).status == MailStatus.sent


def test_outbox_filters_by_kind_newest_first_and_pages(app, client, organiser):
    with app.app_context():
        for n in range(55):
            queue_mail(to=f"p{n}@example.org", subject=f"Note {n}", body_text="x", kind="notice")
        queue_mail(to="x@example.org", subject="Invite", body_text="x", kind="staff_invite")
        db.session.commit()
    page = client.get("/admin/outbox?kind=notice").get_data(as_text=True)
    assert "55 messages." in page
    assert "Invite" not in page
    assert page.index("Note 54") < page.index("Note 53")  # newest first
    assert "Page 1 of 2" in page
    second = client.get("/admin/outbox?kind=notice&page=2").get_data(as_text=True)
    assert "Note 0" in second and "Note 54" not in second
    assert re.search(r'href="/admin/outbox\?kind=notice&amp;page=1"', second)


def test_retry_of_unknown_message_is_404(client, organiser):
    assert client.post("/admin/outbox/9999/retry").status_code == 404


def test_outbox_counts_by_status(app, client, organiser):
    with app.app_context():
        queue_mail(to="a@example.org", subject="A", body_text="x", kind="notice")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert 'Waiting <span class="count">(1)</span>' in page
    assert "Next try:" in page
