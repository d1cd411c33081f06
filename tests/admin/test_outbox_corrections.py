"""The outbox: an organiser discards a stuck message or corrects its address (both audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.core.models import AuditLog
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import deliver_pending, queue_mail


@pytest.fixture
def stuck(app, smtp_server, monkeypatch):
    """A message to josé@ that a relay without SMTPUTF8 refused, and one that went out."""
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    with app.app_context():
        refused = queue_mail(
            to="José Ñúñez <josé@example.org>", subject="Tu boleto", body_text="Hola", kind="notice"
        ).id
        sent = queue_mail(to="ana@example.org", subject="Ticket", body_text="Hi", kind="notice").id
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.failed) == (1, 1)
    return {"refused": refused, "sent": sent}


def audit_entries(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_outbox_offers_correct_and_discard_for_stuck_messages_only(client, organiser, stuck):
    page = client.get("/admin/outbox").get_data(as_text=True)
    refused, sent = stuck["refused"], stuck["sent"]
    row = page[page.index(f'id="message-{refused}"') :]
    row = row[: row.index("</tr>")]
    assert f"/admin/outbox/{refused}/correct" in row and f"/admin/outbox/{refused}/discard" in row
    assert "SMTPUTF8" in row  # why it failed
    assert f"/admin/outbox/{sent}/discard" not in page
    assert f"/admin/outbox/{sent}/correct" not in page


def test_corrected_address_goes_out_keeping_the_name_and_is_audited_without_it(
    app, client, organiser, stuck, smtp_server
):
    url = f"/admin/outbox/{stuck['refused']}/correct"
    form = client.get(url)
    assert form.status_code == 200
    assert 'value="josé@example.org"' in form.get_data(as_text=True)

    response = client.post(url, data={"address": " jose@example.org "})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/outbox"
    with app.app_context():
        message = db.session.get(OutboxMessage, stuck["refused"])
        assert message.to_address == "José Ñúñez <jose@example.org>"
        assert (message.status, message.attempts, message.last_error) == (
            MailStatus.pending,
            0,
            None,
        )
        assert deliver_pending().sent == 1
        assert db.session.get(OutboxMessage, stuck["refused"]).status == MailStatus.sent
    assert smtp_server.recipients[-1] == ["jose@example.org"]
    assert smtp_server.messages[-1]["To"].addresses[0].display_name == "José Ñúñez"

    [entry] = audit_entries(app, "mail.correct")
    assert entry.actor_id == organiser["id"]
    assert (entry.object_type, entry.object_id) == ("outbox_message", str(stuck["refused"]))
    assert entry.details == {
        "kind": "notice",
        "status": "failed",
        "attempts": 1,
        "last_error": "the address needs SMTPUTF8, which the mail server does not offer",
    }
    assert "jos" not in str(entry.details) and "@" not in str(entry.details)


def test_correction_refuses_an_invalid_address(app, client, organiser, stuck):
    url = f"/admin/outbox/{stuck['refused']}/correct"
    response = client.post(url, data={"address": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.get(OutboxMessage, stuck["refused"])
        assert message.to_address == "José Ñúñez <josé@example.org>"
        assert message.status == MailStatus.failed
    assert audit_entries(app, "mail.correct") == []


def test_discarded_message_is_never_sent_and_is_audited(app, client, organiser, stuck):
    response = client.post(f"/admin/outbox/{stuck['refused']}/discard?status=failed")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/outbox?status=failed"
    with app.app_context():
        message = db.session.get(OutboxMessage, stuck["refused"])
        assert message.status == MailStatus.discarded
        assert deliver_pending().sent == 0
    [entry] = audit_entries(app, "mail.discard")
    assert entry.details["status"] == "failed" and entry.details["attempts"] == 1
    assert "@" not in str(entry.details)
    page = client.get("/admin/outbox?status=discarded").get_data(as_text=True)
    assert "1 message." in page and "Discarded" in page

    # A second click, or a correction after it, changes nothing and says so.
    client.post(f"/admin/outbox/{stuck['refused']}/discard")
    client.post(f"/admin/outbox/{stuck['refused']}/correct", data={"address": "a@example.org"})
    assert "sent or discarded meanwhile" in client.get("/admin/outbox").get_data(as_text=True)
    assert len(audit_entries(app, "mail.discard")) == 1
    assert audit_entries(app, "mail.correct") == []


def test_a_waiting_message_can_be_discarded_before_it_goes(app, client, organiser):
    with app.app_context():
        waiting = queue_mail(to="ana@example.org", subject="S", body_text="x", kind="notice").id
        db.session.commit()
    assert client.post(f"/admin/outbox/{waiting}/discard").status_code == 303
    with app.app_context():
        assert deliver_pending().sent == 0
        assert db.session.get(OutboxMessage, waiting).status == MailStatus.discarded


def test_a_sent_message_cannot_be_discarded_or_corrected(app, client, organiser, stuck):
    client.post(f"/admin/outbox/{stuck['sent']}/discard")
    response = client.post(f"/admin/outbox/{stuck['sent']}/correct", data={"address": "b@x.org"})
    assert response.status_code == 303
    with app.app_context():
        message = db.session.get(OutboxMessage, stuck["sent"])
        assert (message.status, message.to_address) == (MailStatus.sent, "ana@example.org")
    assert audit_entries(app, "mail.discard") == audit_entries(app, "mail.correct") == []


@pytest.mark.parametrize("action", ["discard", "correct"])
def test_volunteers_cannot_discard_or_correct(app, client, auth, create_staff_user, action):
    with app.app_context():
        message = queue_mail(to="ana@example.org", subject="S", body_text="x", kind="notice").id
        db.session.commit()
    volunteer = create_staff_user(role=Role.volunteer)
    auth.login(volunteer["email"], volunteer["password"])
    response = client.post(f"/admin/outbox/{message}/{action}", data={"address": "b@example.org"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(OutboxMessage, message).status == MailStatus.pending


def test_unknown_message_is_404(client, organiser):
    assert client.post("/admin/outbox/9999/discard").status_code == 404
    assert client.get("/admin/outbox/9999/correct").status_code == 404


def test_going_back_a_migration_turns_discarded_into_failed(app, client, organiser):
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        message = queue_mail(to="ana@example.org", subject="S", body_text="x", kind="notice").id
        db.session.commit()
    client.post(f"/admin/outbox/{message}/discard")
    with app.app_context():
        db.session.remove()
        try:
            downgrade(revision="c12a0f33d002")
            status = db.session.scalar(
                select(OutboxMessage.__table__.c.status).where(OutboxMessage.id == message)
            )
            db.session.remove()
        finally:
            upgrade()
    assert status == "failed"
