"""What an event's edit or cancellation does to its attendees.

A new capacity goes through the RSVPs' own use case (seats go to the waitlist); a new time or
place can be mailed to every attendee; a cancellation voids the tickets and tells attendees in
their language and the other.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select, update

from eventsvc.core.audit import record_audit
from eventsvc.events.display import format_event_when
from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import event_values, update_event
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.services import queue_deferred, queue_mail, render_mail
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus
from eventsvc.rsvps.seats import seat_counts
from eventsvc.rsvps.services import update_capacity

logger = logging.getLogger(__name__)


def cancel_event(
    event: Event,
    *,
    actor: Any = None,
    message_en: str | None = None,
    message_es: str | None = None,
) -> Event:
    """Call the event off: it stays public and in the feeds as cancelled, with a higher SEQUENCE.

    Its tickets stop admitting anyone (the door answers "cancelled"); the RSVPs stay as they
    are, for the counts. With a message in both languages, every live attendee with an email
    gets it (their language first, the other below), through the outbox.
    """
    if event.is_cancelled:
        return event
    # One conditional UPDATE: of two organisers cancelling at once, one does it (and mails).
    cancelled = db.session.execute(
        update(Event)
        .where(Event.id == event.id, Event.status != EventStatus.cancelled)
        .values(status=EventStatus.cancelled, ical_sequence=Event.ical_sequence + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(event)
    if cancelled != 1:
        return event
    voided = db.session.execute(
        update(Ticket)
        .where(Ticket.event_id == event.id, Ticket.status == TicketStatus.active)
        .values(status=TicketStatus.void)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    notified = 0
    if message_en and message_es:
        notified = _queue_cancellation_mails(event, {"en": message_en, "es": message_es})
    record_audit(
        "event.cancel",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={
            "ical_sequence": event.ical_sequence,
            "tickets_voided": voided,
            "notified": notified,
        },
    )
    db.session.flush()
    logger.info("Event %s cancelled, iCal sequence %s", event.id, event.ical_sequence)
    return event


#: Changes attendees are offered an email about: when and where.
NOTIFY_FIELDS = frozenset({"start_dt", "end_dt", "venue_name", "venue_address"})


#: RSVPs still coming (or hoping to): the people an event's emails go to.
LIVE_RSVP = (RsvpStatus.confirmed, RsvpStatus.waitlisted)


@dataclass(frozen=True)
class EditOutcome:
    """What an edit changed, and how many attendees were emailed about it."""

    changed: list[str]
    notified: int = 0


def edit_event(
    event: Event, values: Mapping[str, Any], *, actor: Any = None, notify: bool = False
) -> EditOutcome:
    """Change an event; with notify, email its attendees when its time or place changed.

    A new capacity goes through the RSVPs' own use case (it locks the event and gives new
    seats to the waitlist); the rest through update_event, which bumps the iCal SEQUENCE.
    """
    values = event_values(values, event=event, taken=seat_counts(event.id)[0])
    capacity = values.pop("capacity")
    changed = []
    if capacity != event.capacity:
        before = event.capacity
        update_capacity(event, capacity)  # reloads the event under its lock: first, then edit
        record_audit(
            "event.capacity",
            actor=actor,
            object_type="event",
            object_id=event.id,
            details={"from": before, "to": capacity},
        )
        changed.append("capacity")
    moved = sorted(name for name in NOTIFY_FIELDS if getattr(event, name) != values[name])
    changed += [name for name, value in values.items() if getattr(event, name) != value]
    update_event(event, actor=actor, **values)
    notified = 0
    if notify and moved and event.is_published:
        for rsvp in attendees_to_tell(event):
            queue_deferred(
                to=rsvp.email, kind="rsvp_event_changed", language=rsvp.language, rsvp_id=rsvp.id
            )
            notified += 1
        record_audit(
            "event.notify_change",
            actor=actor,
            object_type="event",
            object_id=event.id,
            details={"fields": moved, "notified": notified},
        )
    db.session.flush()
    return EditOutcome(sorted(changed), notified)


def attendees_to_tell(event: Event) -> list[Rsvp]:
    """Return the event's confirmed and waitlisted RSVPs that gave an email."""
    return list(
        db.session.scalars(
            select(Rsvp)
            .where(
                Rsvp.event_id == event.id,
                Rsvp.status.in_(LIVE_RSVP),
                Rsvp.email.is_not(None),
            )
            .order_by(Rsvp.id)
        )
    )


def _cancellation_part(event: Event, rsvp: Rsvp, language: str, message: str) -> dict[str, str]:
    """Return one language's part of a cancellation email."""
    with force_locale(language):
        return {
            "language": language,
            "subject": _("Cancelled: %(title)s", title=event.title(language)),
            "greeting": _("Hi %(name)s,", name=rsvp.name),
            "intro": _(
                "We are sorry: %(title)s (%(when)s) is cancelled. Your ticket will not be needed.",
                title=event.title(language),
                when=format_event_when(event, language),
            ),
            "heading": _("Message from the organisers"),
            "message": message.strip(),
        }


def _queue_cancellation_mails(event: Event, messages: dict[str, str]) -> int:
    """Queue to every live attendee with an email the news, in their language and the other."""
    queued = 0
    for rsvp in attendees_to_tell(event):
        own = rsvp.language if rsvp.language in messages else "en"
        order = [own, *(lang for lang in messages if lang != own)]
        parts = [_cancellation_part(event, rsvp, lang, messages[lang]) for lang in order]
        subject, text, html = render_mail("event_cancelled", language=own, parts=parts)
        queue_mail(
            to=rsvp.email,
            subject=subject,
            body_text=text,
            body_html=html,
            language=own,
            kind="event_cancelled",
            rsvp_id=rsvp.id,
        )
        queued += 1
    return queued
