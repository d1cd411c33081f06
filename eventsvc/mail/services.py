"""Email that is never lost: queue it with the change that caused it, deliver it later.

A use case calls :func:`render_mail` and :func:`queue_mail` inside its own transaction, so a
message exists exactly when the RSVP (or other change) was committed, and a rollback queues
nothing. ``flask eventsvc send-mail`` (cron) then calls :func:`deliver_pending`, which hands each
due message to the transport chosen by ``SMTP_URL`` (see :mod:`eventsvc.mail.smtp`) and retries
with exponential back-off while the server is down.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.smtp import DeliveryError, open_transport

logger = logging.getLogger(__name__)

#: Attempts before a message is given up on (status failed). With the back-off below the last
#: attempt comes about 20 hours after the first: an SMTP outage overnight loses nothing.
MAX_ATTEMPTS = 12
#: Wait after the first failed attempt; doubled after each further one, up to RETRY_CAP.
FIRST_RETRY = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
#: How long a run owns a message it has claimed: far longer than one SMTP exchange can take, so
#: a run that dies mid-send releases the message to a later run instead of keeping it forever.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message; with a content_id it is an inline part (``cid:…`` in HTML)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the form stored in OutboxMessage.attachments."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data_b64": base64.b64encode(self.data).decode("ascii"),
            "content_id": self.content_id,
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Attachment:
        """Return the attachment stored as stored."""
        return cls(
            filename=stored["filename"],
            content_type=stored["content_type"],
            data=base64.b64decode(stored["data_b64"]),
            content_id=stored.get("content_id"),
        )


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    #: Failed this time, scheduled to be tried again.
    retried: int = 0
    #: Given up on this time (refused for good, or MAX_ATTEMPTS reached).
    failed: int = 0
    #: The run stopped early because the server could not be reached or refused us.
    server_down: bool = False


def queue_mail(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    language: str = "en",
    kind: str,
    attachments: Sequence[Attachment] = (),
    rsvp_id: int | None = None,
    member_id: int | None = None,
    tribute_id: int | None = None,
    not_before: datetime | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (flush, never commit).

    to is an address, optionally with a display name ("Aidê Souza <aide@example.org>");
    not_before delays delivery, e.g. for a reminder. flush=False leaves the write to the
    caller's next flush (the message has no id until then).
    """
    to = to.strip()
    if "@" not in parseaddr(to)[1] or len(to) > 254 or re.search(r"[\r\n]", to):
        raise ValueError("queue_mail needs one email address")
    message = OutboxMessage(
        kind=kind,
        to_address=to,
        subject=_one_line(subject)[:300],
        body_text=body_text,
        body_html=body_html,
        attachments=[a.to_json() for a in attachments] or None,
        language=language,
        status=MailStatus.pending,
        attempts=0,
        rsvp_id=rsvp_id,
        member_id=member_id,
        tribute_id=tribute_id,
    )
    if not_before is not None:
        message.next_attempt_dt = not_before
    db.session.add(message)
    if flush:
        db.session.flush()
    logger.info("mail %s (%s) queued", message.id, kind)
    return message


@dataclass(frozen=True)
class RenderedMail:
    """The content of a message made when it is sent."""

    subject: str
    body_text: str
    body_html: str | None = None
    attachments: Sequence[Attachment] = ()


#: Where an app keeps the makers of content for messages queued without one, by kind prefix
#: (e.g. "rsvp_"): they return the content, or None when the message no longer has a reason to
#: go out. The outbox knows no domain: ``create_app`` registers each domain's maker.
RENDERERS = "eventsvc.mail.renderers"


def register_renderer(
    app: Flask, kind_prefix: str, render: Callable[[OutboxMessage], RenderedMail | None]
) -> None:
    """Let a domain make the content of its deferred messages (see :func:`queue_deferred`)."""
    app.extensions.setdefault(RENDERERS, {})[kind_prefix] = render


def queue_deferred(
    *,
    to: str,
    kind: str,
    language: str = "en",
    rsvp_id: int | None = None,
    member_id: int | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Queue a message whose content is made when it is sent, not in the request.

    The row is written in the caller's transaction like any other, so it exists exactly when
    the change that caused it does; building QR images and calendars later keeps requests fast
    and lets the message show the state of things when it leaves.
    """
    return queue_mail(
        to=to,
        subject="",
        body_text="",
        language=language,
        kind=kind,
        rsvp_id=rsvp_id,
        member_id=member_id,
        flush=flush,
    )


def _render_deferred(message: OutboxMessage) -> bool:
    """Fill in a deferred message's content; return False when it has nothing to say any more."""
    render = next(
        (
            fn
            for prefix, fn in current_app.extensions.get(RENDERERS, {}).items()
            if message.kind.startswith(prefix)
        ),
        None,
    )
    if render is None:
        raise LookupError(f"no renderer for mail kind {message.kind!r}")
    rendered = render(message)
    if rendered is None:
        return False
    message.subject = _one_line(rendered.subject)[:300]
    message.body_text = rendered.body_text
    message.body_html = rendered.body_html
    message.attachments = [a.to_json() for a in rendered.attachments] or None
    return True


def render_mail(template: str, *, language: str, **context: Any) -> tuple[str, str, str]:
    """Return (subject, text, html) of templates/mail/<template>.* in the recipient's language.

    The templates see the site context (org_name, hotline, hotline_tel…) and ``language``,
    whatever the language of the current request, and work outside a request (CLI, cron).
    """
    app = current_app
    if language not in app.config["LANGUAGES"]:
        language = app.config["LANGUAGES"][0]
    with force_locale(language):
        # What render_template does, without tying domain code to the HTTP layer.
        values: dict[str, Any] = {**context, "language": language}
        app.update_template_context(values)
        subject, text, html = (
            app.jinja_env.get_template(f"mail/{template}{suffix}").render(values)
            for suffix in (".subject.txt", ".txt", ".html")
        )
    return _one_line(subject), text.strip() + "\n", html


def build_email(message: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """Return the MIME message of an outbox row.

    multipart/alternative of the text and the HTML; attachments with a content_id go with the
    HTML in a multipart/related part, the others (an .ics…) are attached to a multipart/mixed.
    Headers are RFC 2047-encoded and bodies UTF-8 (quoted-printable), so any relay accepts it.
    """
    email = EmailMessage(policy=SMTP)
    email["Subject"] = message.subject
    email["From"] = mail_from
    email["To"] = message.to_address
    email["Date"] = format_datetime(message.created_dt)
    email["Message-ID"] = _message_id(message, mail_from)
    # RFC 3834: tells vacation responders not to answer an automatic message.
    email["Auto-Submitted"] = "auto-generated"

    email.set_content(message.body_text, cte="quoted-printable")
    attachments = stored_attachments(message)
    if message.body_html is not None:
        email.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
        html_part = email.get_payload()[1]
        for attachment in attachments:
            if attachment.content_id:
                maintype, subtype, params = _content_type(attachment.content_type)
                html_part.add_related(
                    attachment.data,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{attachment.content_id.strip('<>')}>",
                    filename=attachment.filename,
                    disposition="inline",
                    params=params,
                )
    for attachment in attachments:
        if attachment.content_id and message.body_html is not None:
            continue
        maintype, subtype, params = _content_type(attachment.content_type)
        email.add_attachment(
            attachment.data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    # Last: set_content and the multipart conversions move Content-* headers into the parts.
    email["Content-Language"] = message.language
    return email


def stored_attachments(message: OutboxMessage) -> list[Attachment]:
    """Return the attachments stored with a message."""
    return [Attachment.from_json(a) for a in message.attachments or []]


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the attempts-th failed attempt: 1, 2, 4… minutes, at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), RETRY_CAP)


def deliver_pending(*, now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send the due pending messages, oldest first; never raises for a mail server problem.

    Each message is claimed with a conditional UPDATE before it is sent, so two runs that
    overlap never send the same message. When the server cannot be reached the run records one
    failed attempt and stops: the other messages wait, untouched, for the next run. A message
    refused for its own sake (its address, its size or content) fails alone, retried with
    back-off after a 4xx and given up on after a 5xx, and the run goes on with the others.
    """
    now = now or utc_now()
    report = DeliveryReport()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MailStatus.pending, OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.created_dt, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read; every message gets its own transactions below

    config = current_app.config
    transport = open_transport(
        config["SMTP_URL"],
        outbox_folder=Path(current_app.instance_path) / "outbox",
        timeout=float(config.get("SMTP_TIMEOUT", 10)),
    )
    with transport:
        for message_id in due:
            if not _claim(message_id, now):
                continue  # another run has it, or it was sent meanwhile
            message = db.session.get(OutboxMessage, message_id)
            if message is None:  # deleted (privacy purge) since the claim
                continue
            try:
                if not message.body_text and not _render_deferred(message):
                    # Overtaken by events (a confirmation for an RSVP cancelled since): drop it.
                    logger.info("mail %s (%s) no longer needed", message.id, message.kind)
                    db.session.delete(message)
                    db.session.commit()
                    continue
                email = build_email(message, mail_from=config["MAIL_FROM"])
                transport.send(email, to=email["To"].addresses[0].addr_spec, name=_name(message))
            except DeliveryError as e:
                gave_up = _record_failure(message, str(e), now=now, permanent=e.permanent)
                report.server_down = e.server_down
            except Exception as e:  # a message we cannot build: keep it, retry after a fix
                gave_up = _record_failure(
                    message, f"cannot build message: {type(e).__name__}", now=now, permanent=False
                )
            else:
                message.mark_sent(now)
                logger.info("mail %s (%s) sent", message.id, message.kind)
                gave_up = None
            # A cron run commits per message, unlike a request: what went out must be recorded
            # as sent at once, or a crash later in the run would send it again next time.
            db.session.commit()
            if gave_up is None:
                report.sent += 1
            elif gave_up:
                report.failed += 1
            else:
                report.retried += 1
            if report.server_down:
                break
    return report


def _claim(message_id: int, now: datetime) -> bool:
    """Take a due message for this run (lease until now + CLAIM_LEASE); False if not ours."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MailStatus.pending,
            OutboxMessage.next_attempt_dt <= now,
        )
        .values(next_attempt_dt=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount == 1
    db.session.commit()
    return claimed


def _record_failure(message: OutboxMessage, error: str, *, now: datetime, permanent: bool) -> bool:
    """Record a failed attempt and schedule the next one; return whether it was given up."""
    attempts = (message.attempts or 0) + 1
    give_up = permanent or attempts >= MAX_ATTEMPTS
    message.mark_failed(error, retry_dt=None if give_up else now + retry_delay(attempts))
    if give_up:
        logger.warning(
            "mail %s (%s) failed after %s attempts: %s", message.id, message.kind, attempts, error
        )
    else:
        logger.info(
            "mail %s (%s) not sent (attempt %s), retry at %s: %s",
            message.id,
            message.kind,
            attempts,
            message.next_attempt_dt.isoformat(),
            error,
        )
    return give_up


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    header = default_policy.header_factory("Content-Type", value)
    return header.maintype, header.subtype, dict(header.params)


def _message_id(message: OutboxMessage, mail_from: str) -> str:
    # The same on every retry, so a server that got a message twice can tell.
    host = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{message.created_dt:%Y%m%d%H%M%S}.{message.id}.eventsvc@{host}>"


def _name(message: OutboxMessage) -> str:
    kind = re.sub(r"[^A-Za-z0-9_-]", "_", message.kind)
    return f"{message.created_dt:%Y%m%dT%H%M%SZ}-{message.id}-{kind}"


# --- the outbox in the back office ------------------------------------------------------------


def find_outbox(
    *, status: MailStatus | None = None, kind: str | None = None, page: int = 1, per_page: int = 50
):
    """Return one page (Flask-SQLAlchemy Pagination) of messages, newest first, filtered."""
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    query = query.order_by(OutboxMessage.created_dt.desc(), OutboxMessage.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)


def outbox_kinds() -> list[str]:
    """Return the kinds of message in the outbox, for a filter."""
    return list(db.session.scalars(select(OutboxMessage.kind).distinct().order_by("kind")))


def outbox_counts() -> dict[MailStatus, int]:
    """Return how many messages have each status."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(MailStatus, 0)
    counts.update({MailStatus(status): n for status, n in rows})
    return counts


def retry_mail(message: OutboxMessage, *, actor, now: datetime | None = None) -> OutboxMessage:
    """Put a failed message back in the queue, due now, with a fresh round of attempts."""
    now = now or utc_now()
    attempts, error = message.attempts, message.last_error
    # Conditional: a double click, or a retry racing another, requeues it once.
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == MailStatus.failed)
        .values(status=MailStatus.pending, next_attempt_dt=now, attempts=0)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("not_failed", _("This message is not waiting for a retry any more."))
    db.session.refresh(message)
    record_audit(
        "mail.retry",
        actor=actor,
        object_type="outbox_message",
        object_id=message.id,
        # The error text of a delivery never holds an address (see mail/smtp.py).
        details={"kind": message.kind, "attempts": attempts, "last_error": (error or "")[:200]},
    )
    logger.info("mail %s (%s) queued again", message.id, message.kind)
    return message


def _change_stuck(message: OutboxMessage, action: str, *, actor, **values) -> None:
    """Apply values to a message still waiting or failed, race-safe; audit it as action.

    Audited with the message's id, kind, status and attempts before the change: no address.
    """
    status, attempts, error = message.status, message.attempts, message.last_error
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status.in_((MailStatus.pending, MailStatus.failed)),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("not_correctable", _("This message was sent or discarded meanwhile."))
    db.session.refresh(message)
    record_audit(
        action,
        actor=actor,
        object_type="outbox_message",
        object_id=message.id,
        details={
            "kind": message.kind,
            "status": status.value,
            "attempts": attempts,
            "last_error": (error or "")[:200],
        },
    )


def discard_mail(message: OutboxMessage, *, actor) -> OutboxMessage:
    """Give up on a message that has not gone out (waiting or failed): it is never sent.

    The row stays, marked discarded, so the outbox still tells what happened; audited with the
    message's id, kind and attempts, never its address.
    """
    _change_stuck(message, "mail.discard", actor=actor, status=MailStatus.discarded)
    logger.info("mail %s (%s) discarded", message.id, message.kind)
    return message


def correct_mail_address(
    message: OutboxMessage, address: str, *, actor, now: datetime | None = None
) -> OutboxMessage:
    """Send a stuck message (waiting or failed) to a corrected address, due now, attempts anew.

    address is a bare address ("jose@example.org"); the display name of the old one is kept.
    Audited with the message's id, kind and attempts: neither the old address nor the new one.
    """
    now = now or utc_now()
    address = address.strip()
    if (
        not address
        or len(address) > 200
        or parseaddr(address)[1] != address
        or address.count("@") != 1
        or re.search(r"[\s<>,;\\\"]", address)
    ):
        raise DomainError("bad_address", _("Enter a valid email address, like name@example.com."))
    to = re.sub(r"<[^<>]*>\s*$", f"<{address}>", message.to_address)
    if "<" not in message.to_address or len(to) > 254:
        to = address
    _change_stuck(
        message,
        "mail.correct",
        actor=actor,
        to_address=to,
        status=MailStatus.pending,
        next_attempt_dt=now,
        attempts=0,
        last_error=None,
    )
    logger.info("mail %s (%s) readdressed and queued again", message.id, message.kind)
    return message
