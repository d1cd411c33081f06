"""Messages from the organisers to an event's attendees: audience, preview, sending.

Each message goes through the outbox, one per attendee, in their language, and is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from eventsvc.core.audit import record_audit
from eventsvc.core.models import AuditLog
from eventsvc.db import TitledEnum
from eventsvc.errors import DomainError
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _, _l
from eventsvc.mail.services import queue_mail, render_mail
from eventsvc.rsvps.models import Rsvp, RsvpStatus

logger = logging.getLogger(__name__)


# --- messages from the organisers to an event's attendees --------------------------------------


class Audience(TitledEnum):
    """Whom of an event's attendees a message is for; cancelled RSVPs never get one."""

    live = "live"
    confirmed = "confirmed"
    waitlisted = "waitlisted"

    __titles__ = {
        "live": _l("Everyone coming or waiting (confirmed and waiting list)"),
        "confirmed": _l("Confirmed only"),
        "waitlisted": _l("Waiting list only"),
    }

    @property
    def statuses(self) -> tuple[RsvpStatus, ...]:
        """Return the RSVP statuses this audience covers."""
        if self is Audience.live:
            return (RsvpStatus.confirmed, RsvpStatus.waitlisted)
        return (RsvpStatus(self.value),)


@dataclass(frozen=True)
class MessageDraft:
    """What the organisers wrote, in both languages (plain text)."""

    subject_en: str
    body_en: str
    subject_es: str
    body_es: str

    def in_language(self, language: str) -> tuple[str, str]:
        """Return (subject, body) for a recipient's language: Spanish, else English."""
        if language == "es":
            return self.subject_es, self.body_es
        return self.subject_en, self.body_en


@dataclass
class AudiencePlan:
    """Who of an audience gets a message, and how many are left out and why."""

    recipients: list[Rsvp]
    #: Recipients per message language ("en", "es").
    languages: dict[str, int]
    #: Left out: the data was deleted; only a phone number; did not ask for updates.
    deleted: int = 0
    no_email: int = 0
    no_consent: int = 0

    @property
    def left_out(self) -> int:
        """Return how many of the audience do not get the message."""
        return self.deleted + self.no_email + self.no_consent

    @property
    def total(self) -> int:
        """Return the size of the audience (RSVPs, not people)."""
        return len(self.recipients) + self.left_out


@dataclass(frozen=True)
class MessageOutcome:
    """What sending a message did: how many were queued, or that it was a repeat."""

    plan: AudiencePlan
    queued: int
    #: The same form was submitted again (a double click): nothing was queued.
    is_repeat: bool = False


def message_language(language: str | None) -> str:
    """Return the language an attendee gets messages in: "es" for Spanish, else "en"."""
    return "es" if (language or "").lower().startswith("es") else "en"


def plan_event_message(event: Event, audience: Audience) -> AudiencePlan:
    """Return who of an event's audience may get a message from the organisers.

    The RSVP form's box reads "Send me reminders and updates about this event": a message from
    the organisers is such an update, so it goes only to people who ticked it and gave an email.
    """
    rsvps = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status.in_(audience.statuses))
        .order_by(Rsvp.id)
    ).all()
    plan = AudiencePlan(recipients=[], languages={"en": 0, "es": 0})
    for rsvp in rsvps:
        if rsvp.is_anonymised:
            plan.deleted += 1
        elif not rsvp.email:
            plan.no_email += 1
        elif not rsvp.consent_contact:
            plan.no_consent += 1
        else:
            plan.recipients.append(rsvp)
            plan.languages[message_language(rsvp.language)] += 1
    return plan


def event_messages_sent(event: Event) -> list[AuditLog]:
    """Return the audit entries of the messages sent to an event's attendees, newest first."""
    return list(
        db.session.scalars(
            select(AuditLog)
            .where(
                AuditLog.action == "event.message",
                AuditLog.object_type == "event",
                AuditLog.object_id == str(event.id),
            )
            .order_by(AuditLog.created_dt.desc(), AuditLog.id.desc())
        )
    )


def send_event_message(
    event: Event,
    audience: Audience,
    draft: MessageDraft,
    *,
    send_key: str,
    actor,
) -> MessageOutcome:
    """Queue one message per recipient of audience, each in their language; audit it.

    send_key is a random key of the form: the same key again (a double click, a reload) sends
    nothing. Sends for one event take turns, so the check holds when two requests race.
    """
    if not send_key or len(send_key) > 64:
        raise DomainError("invalid_key", _("This form was changed. Reload the page and try again."))
    lock_event(event)  # sends for one event take turns
    plan = plan_event_message(event, audience)
    if any(e.details.get("send_key") == send_key for e in event_messages_sent(event)):
        logger.info("Event %s message repeated: nothing sent", event.id)
        return MessageOutcome(plan=plan, queued=0, is_repeat=True)
    if not plan.recipients:
        raise DomainError("no_recipients", _("Nobody in this audience can get the message."))
    rendered = render_event_message(event, draft)
    for rsvp in plan.recipients:
        language = message_language(rsvp.language)
        subject, text, html = rendered[language]
        queue_mail(
            to=rsvp.email,
            subject=subject,
            body_text=text,
            body_html=html,
            language=language,
            kind="event_message",
            rsvp_id=rsvp.id,
        )
    record_audit(
        "event.message",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={
            "audience": audience.value,
            "subject": draft.subject_en[:120],
            "recipients": len(plan.recipients),
            "languages": plan.languages,
            "left_out": {
                "deleted": plan.deleted,
                "no_email": plan.no_email,
                "no_consent": plan.no_consent,
            },
            "send_key": send_key,
        },
    )
    logger.info("Event %s message queued for %d recipients", event.id, len(plan.recipients))
    return MessageOutcome(plan=plan, queued=len(plan.recipients))


def render_event_message(event: Event, draft: MessageDraft) -> dict[str, tuple[str, str, str]]:
    """Return the (subject, text, html) of a message to an event's attendees, per language."""
    rendered = {}
    for language in ("en", "es"):
        subject, body = draft.in_language(language)
        rendered[language] = render_mail(
            "event_message", language=language, event=event, subject=subject, body=body
        )
    return rendered
