import logging
import os
import threading
from datetime import timedelta
from email.parser import BytesParser
from email.policy import default

import pytest
from flask_babel import get_locale
from sqlalchemy import func, select

from eventsvc.db import utc_now
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import (
    MAX_ATTEMPTS,
    Attachment,
    build_email,
    deliver_pending,
    queue_mail,
    render_mail,
    retry_delay,
)
from tests.mail.smtp_server import free_port

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r\n\x00end"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
    "SUMMARY:Vigilia por Aidê y José Ñúñez\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
TEXT = "Hola José Ñúñez,\n\nTu lugar está confirmado. Aidê te espera.\n"
HTML = (
    '<p lang="es">Hola José Ñúñez, Aidê te espera.</p>\n'
    '<img src="cid:ticket-qr@eventsvc" alt="QR">\n'
)


@pytest.fixture
def smtp_app(app, smtp_server, monkeypatch):
    """The app, sending to the local SMTP server from a UTF-8 sender name."""
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Coalición Aidê <eventos@example.org>")
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 2)
    return app


def queue_ticket(**overrides) -> OutboxMessage:
    values = {
        "to": "José Ñúñez <jose@example.org>",
        "subject": "Tu boleto, José Ñúñez",
        "body_text": TEXT,
        "body_html": HTML,
        "language": "es",
        "kind": "rsvp_confirmed",
        "attachments": [
            Attachment("boleto.png", "image/png", PNG, content_id="ticket-qr@eventsvc"),
            Attachment("evento.ics", "text/calendar; method=PUBLISH", ICS),
        ],
    }
    return queue_mail(**{**values, **overrides})


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_rolled_back_transaction_queues_nothing(smtp_app, smtp_server):
    with smtp_app.app_context():
        queue_ticket()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert deliver_pending() == deliver_pending().__class__()
    assert smtp_server.messages == []


def test_committed_message_is_delivered_once_intact(smtp_app, smtp_server):
    with smtp_app.app_context():
        queue_ticket()
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        [message] = outbox()
        assert message.status == MailStatus.sent
        assert message.attempts == 1 and message.sent_dt is not None
        assert deliver_pending().sent == 0
    assert smtp_server.recipients == [["jose@example.org"]]
    [received] = smtp_server.messages
    assert received["Subject"] == "Tu boleto, José Ñúñez"
    assert received["To"] == "José Ñúñez <jose@example.org>"
    assert received["From"] == "Coalición Aidê <eventos@example.org>"
    assert received["Message-ID"].endswith(".eventsvc@example.org>")
    assert received["Date"].datetime.tzinfo is not None
    assert received["Content-Language"] == "es"
    assert received.get_content_type() == "multipart/mixed"
    assert received.get_body(("plain",)).get_content() == TEXT
    assert received.get_body(("html",)).get_content() == HTML

    alternative = received.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    related = alternative.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image["Content-ID"] == "<ticket-qr@eventsvc>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PNG

    [calendar] = received.iter_attachments()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    assert calendar.get_filename() == "evento.ics"
    assert calendar.get_payload(decode=True) == ICS
    # 7-bit on the wire: any relay takes it, with or without 8BITMIME.
    assert smtp_server.raw[0].isascii()


def test_text_only_message_is_a_single_part(smtp_app, smtp_server):
    with smtp_app.app_context():
        queue_ticket(body_html=None, attachments=[])
        db.session.commit()
        deliver_pending()
    [received] = smtp_server.messages
    assert received.get_content_type() == "text/plain"
    assert received.get_content() == TEXT


def test_smtp_down_keeps_the_message_and_retries_once_up(smtp_app, smtp_server):
    smtp_server.stop()
    with smtp_app.app_context():
        queue_ticket()
        queue_ticket(kind="reminder")
        db.session.commit()
        now = utc_now()
        report = deliver_pending(now=now)
        # One attempt, then the run stops: a down server costs one timeout, not one per message.
        assert (report.sent, report.retried, report.failed) == (0, 1, 0)
        assert report.server_down
        first, second = outbox()
        assert first.status == MailStatus.pending and first.attempts == 1
        assert "Connection" in first.last_error or "connect" in first.last_error
        assert first.next_attempt_dt == now + timedelta(minutes=1)
        assert second.attempts == 0

        smtp_server.start()
        report = deliver_pending(now=now + timedelta(seconds=30))  # first not due yet
        assert (report.sent, report.retried) == (1, 0)
        report = deliver_pending(now=now + timedelta(minutes=1))
        assert report.sent == 1
        assert deliver_pending(now=now + timedelta(hours=1)).sent == 0
        assert [m.status for m in outbox()] == [MailStatus.sent, MailStatus.sent]
        assert [m.attempts for m in outbox()] == [2, 1]
    assert len(smtp_server.messages) == 2


def test_backoff_doubles_up_to_six_hours_then_gives_up(smtp_app, smtp_server):
    smtp_server.stop()
    with smtp_app.app_context():
        message_id = queue_ticket().id
        db.session.commit()
        now = utc_now()
        delays = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = deliver_pending(now=now)
            message = db.session.get(OutboxMessage, message_id)
            assert message.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert report.retried == 1 and message.status == MailStatus.pending
                delays.append(message.next_attempt_dt - now)
                assert deliver_pending(now=message.next_attempt_dt - timedelta(seconds=1)) == (
                    type(report)()
                )
                now = message.next_attempt_dt
            else:
                assert report.failed == 1 and message.status == MailStatus.failed
        assert deliver_pending(now=now + timedelta(days=30)).retried == 0
    minutes = [d / timedelta(minutes=1) for d in delays]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert retry_delay(1) == timedelta(minutes=1)


def test_refused_recipient_fails_at_once(smtp_app, smtp_server):
    smtp_server.reject("jose@example.org")
    with smtp_app.app_context():
        queue_ticket()
        queue_ticket(to="ana@example.org")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.failed) == (1, 0, 1)
        refused, sent = outbox()
        assert refused.status == MailStatus.failed
        assert refused.last_error == "recipient refused (550)"
        assert sent.status == MailStatus.sent


def test_overlapping_runs_never_send_a_message_twice(smtp_app, smtp_server):
    with smtp_app.app_context():
        for n in range(30):
            queue_ticket(to=f"person{n}@example.org", attachments=[])
        db.session.commit()
    barrier = threading.Barrier(3)
    reports, errors = [], []

    def run():
        try:
            with smtp_app.app_context():
                barrier.wait()
                reports.append(deliver_pending())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in reports) == 30
    recipients = sorted(r[0] for r in smtp_server.recipients)
    assert recipients == sorted(f"person{n}@example.org" for n in range(30))
    with smtp_app.app_context():
        assert {m.status for m in outbox()} == {MailStatus.sent}
        assert {m.attempts for m in outbox()} == {1}


def test_without_smtp_url_messages_become_eml_files(app):
    folder = os.path.join(app.instance_path, "outbox")
    with app.app_context():
        message = queue_ticket()
        db.session.commit()
        assert deliver_pending().sent == 1
        name = f"{message.created_dt:%Y%m%dT%H%M%SZ}-{message.id}-rsvp_confirmed.eml"
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            parsed = BytesParser(policy=default).parse(f)
        expected = build_email(message, mail_from=app.config["MAIL_FROM"])
        assert message.status == MailStatus.sent
    assert parsed["Subject"] == "Tu boleto, José Ñúñez"
    assert parsed["Message-ID"] == expected["Message-ID"]
    assert parsed.get_body(("plain",)).get_content() == TEXT
    assert parsed.get_body(("html",)).get_content() == HTML
    image = next(p for p in parsed.walk() if p["Content-ID"] == "<ticket-qr@eventsvc>")
    assert image.get_content() == PNG
    [calendar] = parsed.iter_attachments()
    assert calendar.get_payload(decode=True) == ICS


def test_unreachable_port_is_retried_not_raised(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    with app.app_context():
        queue_ticket()
        db.session.commit()
        assert deliver_pending().retried == 1


def test_render_mail_uses_the_recipients_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(get_locale()) == "en"
        subject, text, html = render_mail(
            "notice", language="es", title="Cambio de lugar\n", body="Nos vemos en\nRiverside."
        )
        assert str(get_locale()) == "en"  # the request keeps its language
    assert subject == "Cambio de lugar"
    assert "Línea de la Red de Respuesta Rápida: 909-361-4588" in text
    assert text.startswith("Cambio de lugar\n\nNos vemos en\nRiverside.\n")
    assert '<html lang="es"' in html
    assert "Línea de la Red de Respuesta Rápida" in html
    assert 'href="tel:+19093614588"' in html
    assert "Inland Coalition for Immigrant Justice" in html


def test_render_mail_outside_a_request_escapes_html_only(app_ctx):
    subject, text, html = render_mail(
        "notice", language="en", title="Tom & Jerry <3", body="a <b>bold</b> claim"
    )
    assert subject == "Tom & Jerry <3"
    assert "a <b>bold</b> claim" in text
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in html
    assert "Emergency Response Network hotline" in html and '<html lang="en"' in html


def test_queue_mail_refuses_a_header_injection(app_ctx):
    with pytest.raises(ValueError):
        queue_mail(to="a@example.org\r\nBcc: x@example.org", subject="s", body_text="t", kind="k")
    message = queue_mail(to="a@example.org", subject="one\r\nBcc: two", body_text="t", kind="k")
    assert message.subject == "one Bcc: two"
    db.session.rollback()


def test_send_mail_command_prints_the_counts(app, runner):
    with app.app_context():
        queue_ticket()
        db.session.commit()
    result = runner.invoke(args=["eventsvc", "send-mail", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 1, retrying 0, failed 0"


def test_send_mail_command_exits_0_when_smtp_is_down_and_1_on_give_up(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    with app.app_context():
        queue_ticket()
        db.session.commit()
    result = runner.invoke(args=["eventsvc", "send-mail"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent 0, retrying 1, failed 0\n")

    monkeypatch.setattr("eventsvc.mail.services.MAX_ATTEMPTS", 2)
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.update().values(next_attempt_dt=utc_now()))
        db.session.commit()
    result = runner.invoke(args=["eventsvc", "send-mail"])
    assert result.exit_code == 1
    assert result.output.startswith("sent 0, retrying 0, failed 1\n")


def test_logs_name_id_and_kind_never_the_person(smtp_app, smtp_server, caplog):
    caplog.set_level(logging.INFO, logger="eventsvc")
    smtp_server.reject("gone@example.org")
    with smtp_app.app_context():
        sent = queue_ticket().id
        refused = queue_ticket(to="Aidê Gone <gone@example.org>").id
        db.session.commit()
        deliver_pending()
        smtp_server.stop()
        queue_ticket(kind="reminder")
        db.session.commit()
        deliver_pending()
    assert f"mail {sent} (rsvp_confirmed) sent" in caplog.text
    assert f"mail {refused} (rsvp_confirmed) failed" in caplog.text
    assert "(reminder) not sent (attempt 1)" in caplog.text
    for secret in ("jose@", "gone@", "José", "Aidê", "Ñúñez"):
        assert secret not in caplog.text


# --- a message refused for its own sake fails alone ------------------------------------------


def test_address_needing_smtputf8_fails_alone_on_a_relay_without_it(smtp_app, smtp_server):
    with smtp_app.app_context():
        refused = queue_ticket(to="José Ñúñez <josé@example.org>").id
        queue_ticket(to="ana@example.org")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.failed) == (1, 0, 1)
        assert not report.server_down
        message = db.session.get(OutboxMessage, refused)
        assert message.status == MailStatus.failed and message.attempts == 1
        assert message.last_error == (
            "the address needs SMTPUTF8, which the mail server does not offer"
        )
    assert smtp_server.recipients == [["ana@example.org"]]


def test_smtputf8_is_used_when_the_server_offers_it(smtp_app, smtp_server):
    smtp_server.offer_smtputf8(True)
    with smtp_app.app_context():
        queue_ticket(to="José Ñúñez <josé@example.org>")
        queue_ticket(to="ana@example.org", attachments=[])
        db.session.commit()
        assert deliver_pending().sent == 2
    assert smtp_server.recipients == [["josé@example.org"], ["ana@example.org"]]
    utf8, ascii_only = smtp_server.mail_options
    assert "SMTPUTF8" in utf8 and "SMTPUTF8" not in ascii_only
    assert smtp_server.messages[0]["To"].addresses[0].addr_spec == "josé@example.org"
    assert smtp_server.messages[0].get_body(("plain",)).get_content() == TEXT


def test_200_messages_with_one_refused_address_all_199_others_go_in_one_run(
    smtp_app, smtp_server, runner
):
    with smtp_app.app_context():
        for n in range(200):
            to = "josé@example.org" if n == 57 else f"person{n}@example.org"
            queue_mail(to=to, subject=f"Boleto {n}", body_text="Hola\n", kind="rsvp_confirmed")
        db.session.commit()
    result = runner.invoke(args=["eventsvc", "send-mail"])
    assert result.output.startswith("sent 199, retrying 0, failed 1\n"), result.output
    assert "Mail server down" not in result.output
    assert result.exit_code == 1  # a person should look at the one given up on
    assert len(smtp_server.messages) == 199
    assert "josé@example.org" not in {r[0] for r in smtp_server.recipients}
    with smtp_app.app_context():
        statuses = [m.status for m in outbox()]
    assert statuses.count(MailStatus.sent) == 199
    assert statuses[57] == MailStatus.failed


def test_temporary_refusal_is_retried_with_backoff_while_the_others_go(smtp_app, smtp_server):
    smtp_server.reject("jose@example.org", "450 4.2.1 Mailbox busy, try later")
    with smtp_app.app_context():
        later = queue_ticket().id
        queue_ticket(to="ana@example.org")
        queue_ticket(to="bea@example.org")
        db.session.commit()
        now = utc_now()
        report = deliver_pending(now=now)
        assert (report.sent, report.retried, report.failed) == (2, 1, 0)
        assert not report.server_down
        message = db.session.get(OutboxMessage, later)
        assert message.status == MailStatus.pending and message.attempts == 1
        assert message.last_error == "recipient refused (450)"
        assert message.next_attempt_dt == now + timedelta(minutes=1)

        smtp_server.rejected.clear()
        assert deliver_pending(now=now + timedelta(minutes=1)).sent == 1
        assert db.session.get(OutboxMessage, later).status == MailStatus.sent
    assert [r[0] for r in smtp_server.recipients] == [
        "ana@example.org",
        "bea@example.org",
        "jose@example.org",
    ]


@pytest.mark.parametrize(
    ("reply", "status", "error"),
    [
        ("554 5.7.1 Message content refused", MailStatus.failed, "message refused (554)"),
        ("451 4.7.1 Greylisted, try later", MailStatus.pending, "message refused (451)"),
    ],
)
def test_refused_content_fails_alone(smtp_app, smtp_server, reply, status, error):
    smtp_server.refuse_data("jose@example.org", reply)
    with smtp_app.app_context():
        refused = queue_ticket().id
        queue_ticket(to="ana@example.org")
        db.session.commit()
        report = deliver_pending()
        assert report.sent == 1 and not report.server_down
        message = db.session.get(OutboxMessage, refused)
        assert (message.status, message.last_error) == (status, error)
    assert smtp_server.recipients == [["ana@example.org"]]


def test_sender_refused_once_is_that_message_twice_in_a_row_is_the_server(smtp_app, smtp_server):
    smtp_server.refuse_sender("552 5.3.4 Message too big for this system")
    with smtp_app.app_context():
        too_big = queue_ticket().id
        db.session.commit()
        report = deliver_pending()
        assert (report.failed, report.server_down) == (1, False)
        message = db.session.get(OutboxMessage, too_big)
        assert message.status == MailStatus.failed
        assert message.last_error == "sender refused for this message (552)"

        # A relay that refuses our sender for every message: the run stops at the second.
        smtp_server.refuse_sender("550 5.7.1 Sender not allowed")
        for n in range(3):
            queue_ticket(to=f"person{n}@example.org")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.failed) == (0, 2, 0)
        assert report.server_down
        first, second, third = outbox()[1:]
        assert first.last_error == "sender refused for this message (550)"
        assert second.last_error == "sender refused (550)"
        assert (first.status, second.status) == (MailStatus.pending, MailStatus.pending)
        assert third.attempts == 0  # untouched: it waits for the next run


def test_a_server_closing_the_session_stops_the_run(smtp_app, smtp_server):
    smtp_server.reject("jose@example.org", "421 4.3.2 Shutting down")
    with smtp_app.app_context():
        queue_ticket()
        queue_ticket(to="ana@example.org")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.server_down) == (0, 1, True)
        first, second = outbox()
        assert first.last_error == "server closing the session (421)"
        assert second.attempts == 0


def test_a_sender_address_needing_smtputf8_stops_the_run_and_loses_nothing(
    smtp_app, smtp_server, monkeypatch
):
    monkeypatch.setitem(smtp_app.config, "MAIL_FROM", "Coalición <eventós@example.org>")
    with smtp_app.app_context():
        queue_ticket(to="ana@example.org")
        queue_ticket(to="bea@example.org")
        db.session.commit()
        report = deliver_pending()
        assert (report.sent, report.retried, report.failed, report.server_down) == (0, 1, 0, True)
        first, second = outbox()
        assert first.status == MailStatus.pending
        assert first.last_error.startswith("the sender address needs SMTPUTF8")
        assert second.attempts == 0
