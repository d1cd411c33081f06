"""What an RSVP sends: confirmations, waitlist news, reminders, lost links, notices to holders.

Messages are queued in the caller's transaction and made when sent (render_rsvp_mail, registered
with the outbox in ``create_app``), so each shows the RSVP as it is when it leaves. A message
that is no longer true by then (a confirmation of a cancelled RSVP) is not sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select

from eventsvc.db import utc_now
from eventsvc.events.ical import build_calendar
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import Attachment, RenderedMail, queue_deferred, render_mail
from eventsvc.rsvps.links import disown_url, manage_url
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from eventsvc.rsvps.qr import qr_png
from eventsvc.rsvps.seats import waitlist_position
from eventsvc.rsvps.tickets import active_tickets, ticket_code

logger = logging.getLogger(__name__)

#: Reminders go out for events starting within this window (cron runs hourly).
REMINDER_WINDOW = timedelta(hours=24)


def tell_address_holders(rsvp: Rsvp, *, email_taken: bool, phone_taken: bool) -> None:
    """Queue the notice to the holders of the email / phone the new RSVP shares (under the lock).

    The holder of a taken email is told at that email. When the phone is taken, the earliest
    live RSVP with that phone and an email is told at its email; a holder who gave only a phone
    cannot be told by anyone (we have no way to reach them but the page they keep), so that case
    is only flagged to organisers.
    """
    addresses = []
    if email_taken:
        addresses.append(rsvp.email)
    if phone_taken:
        phone_holder = db.session.scalar(
            _holders(rsvp).where(Rsvp.phone == rsvp.phone, Rsvp.email.is_not(None)).limit(1)
        )
        if phone_holder is not None and phone_holder.email not in addresses:
            addresses.append(phone_holder.email)
    for address in addresses:
        holder = _holder_of(rsvp, address)
        if holder is None:
            continue
        queue_deferred(
            to=address, kind="rsvp_shared_address", language=holder.language, rsvp_id=rsvp.id
        )
        logger.info("RSVP %s: the holder of a shared address is told", rsvp.id)


def _holders(rsvp: Rsvp) -> Select:
    """Return the query of the live RSVPs of rsvp's event made before it by an address's owner.

    An RSVP that was itself made with a taken email is never the holder of that email.
    """
    return (
        select(Rsvp)
        .where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.id < rsvp.id,
            Rsvp.status != RsvpStatus.cancelled,
            func.coalesce(Rsvp.shared_contact, "") != "email",
        )
        .order_by(Rsvp.id)
    )


def _holder_of(rsvp: Rsvp, address: str) -> Rsvp | None:
    """Return the live RSVP whose holder owns address, made before rsvp; None if none now."""
    return db.session.scalar(_holders(rsvp).where(Rsvp.email == address).limit(1))


def queue_reminders(*, now: datetime | None = None) -> int:
    """Queue one reminder per confirmed RSVP that asked for them, a day ahead; never twice."""
    now = now or utc_now()
    events = db.session.scalars(
        select(Event).where(
            Event.status == EventStatus.published,
            Event.start_dt > now,
            Event.start_dt <= now + REMINDER_WINDOW,
        )
    ).all()
    queued = 0
    for event in events:
        lock_event(event)  # two cron runs at once take turns, so the check below holds
        already = select(OutboxMessage.id).where(
            OutboxMessage.rsvp_id == Rsvp.id, OutboxMessage.kind == "rsvp_reminder"
        )
        due = db.session.scalars(
            select(Rsvp).where(
                Rsvp.event_id == event.id,
                Rsvp.status == RsvpStatus.confirmed,
                Rsvp.email.is_not(None),
                Rsvp.consent_contact.is_(True),
                func.coalesce(Rsvp.shared_contact, "") != "email",
                # Someone who RSVPed within the last day just got their confirmation.
                Rsvp.created_dt <= event.start_dt - REMINDER_WINDOW,
                ~already.exists(),
            )
        ).all()
        for rsvp in due:
            queue_rsvp_mail(rsvp, "reminder")
        queued += len(due)
    logger.info("Queued %d reminders", queued)
    return queued


# --- mail -------------------------------------------------------------------------------------


#: Kinds of message that only make sense while the RSVP is still in that state.
_STILL_TRUE = {
    "rsvp_confirmed": lambda r: r.is_confirmed,
    "rsvp_promoted": lambda r: r.is_confirmed,
    "rsvp_reminder": lambda r: r.is_confirmed,
    "rsvp_waitlisted": lambda r: r.is_waitlisted,
    "rsvp_event_changed": lambda r: not r.is_cancelled,
}


def queue_rsvp_mail(rsvp: Rsvp, kind: str) -> OutboxMessage | None:
    """Queue the message of kind (confirmed, waitlisted, promoted, updated, cancelled, reminder).

    Its content (text, HTML, a QR image per ticket, the .ics) is made when it is sent. People
    who gave only a phone number get no email; their page shows everything. An RSVP made with
    another live RSVP's email gets no email either: its tickets and link would go to a person
    who did not make it (that person gets the shared-address notice instead).
    """
    if not rsvp.email or rsvp.shares_email:
        return None
    is_new = rsvp.id is None
    message = queue_deferred(
        to=rsvp.email,
        kind=f"rsvp_{kind}",
        language=rsvp.language,
        rsvp_id=rsvp.id,
        flush=not is_new,
    )
    if is_new:  # the flush that writes the new RSVP writes its message too, with its id
        rsvp.messages.add(message)
    return message


def render_rsvp_mail(message: OutboxMessage) -> RenderedMail | None:
    """Make the content of an RSVP message from the RSVP as it is now."""
    rsvp = db.session.get(Rsvp, message.rsvp_id) if message.rsvp_id else None
    if rsvp is None or rsvp.is_anonymised:
        return None
    if message.kind == "rsvp_shared_address":
        return _render_shared_address(message, rsvp)
    if message.kind == "rsvp_links":
        return _render_links(message)
    if rsvp.shares_email:
        return None  # its address's holder did not make it (however the message was queued)
    still_true = _STILL_TRUE.get(message.kind)
    if still_true is not None and not still_true(rsvp):
        return None  # a later message says what happened instead
    kind = message.kind.removeprefix("rsvp_")
    event = rsvp.event
    tickets = active_tickets(rsvp) if kind != "cancelled" else []
    attachments = [
        Attachment(
            filename=f"ticket-{ticket.position}.png",
            content_type="image/png",
            data=qr_png(ticket_code(ticket)),
            content_id=f"ticket-{ticket.id}",
        )
        for ticket in tickets
    ]
    if rsvp.is_confirmed and kind != "cancelled":
        attachments.append(
            Attachment(
                filename="event.ics",
                content_type="text/calendar; method=PUBLISH",
                data=build_calendar(
                    [event],
                    base_url=current_app.config["BASE_URL"],
                    language=rsvp.language,
                    method="PUBLISH",
                ),
            )
        )
    subject, text, html = render_mail(
        message.kind,
        language=rsvp.language,
        rsvp=rsvp,
        event=event,
        tickets=tickets,
        manage_url=manage_url(rsvp),
        position=waitlist_position(rsvp),
    )
    return RenderedMail(subject, text, html, attachments)


def _render_shared_address(message: OutboxMessage, rsvp: Rsvp) -> RenderedMail | None:
    """Tell the holder of an address that rsvp was made with it: their link, and a way out.

    rsvp is the new RSVP; the holder is the earliest live RSVP of the event with the message's
    address. Nothing of the new RSVP is shown (not its name): only that it exists.
    """
    if rsvp.is_cancelled:
        return None  # cancelled already (by its maker, or by the holder): nothing to act on
    holder = _holder_of(rsvp, message.to_address)
    if holder is None:
        return None  # the holder cancelled or erased their own RSVP since
    subject, text, html = render_mail(
        "rsvp_shared_address",
        language=message.language,
        rsvp=holder,
        event=rsvp.event,
        matched="email" if rsvp.email == message.to_address else "phone",
        made_dt=rsvp.created_dt,
        manage_url=manage_url(holder),
        disown_url=disown_url(rsvp),
    )
    return RenderedMail(subject, text, html)


def _links_query(email: str, now: datetime) -> Select:
    """Return the query of the live RSVPs of email's owner for events that have not ended."""
    return (
        select(Rsvp)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.email == email,
            Rsvp.status != RsvpStatus.cancelled,
            Rsvp.is_anonymised.is_(False),
            # Made with someone else's email: not theirs to manage (its holder was told).
            func.coalesce(Rsvp.shared_contact, "") != "email",
            Event.end_dt > now,
        )
        .order_by(Event.start_dt, Rsvp.id)
    )


def send_lost_links(email: str, *, now: datetime | None = None) -> int:
    """Mail the address's links again: one message listing its live RSVPs' pages; return how many.

    Only RSVPs for events not yet ended; in the language of the latest of them. Nothing is sent
    to an address with none. The caller answers the same either way.
    """
    now = now or utc_now()
    rsvps = db.session.scalars(_links_query(email, now)).all()
    if not rsvps:
        return 0
    latest = max(rsvps, key=lambda r: (r.created_dt, r.id))
    queue_deferred(to=email, kind="rsvp_links", language=latest.language, rsvp_id=latest.id)
    logger.info("RSVP links mailed again for %d RSVPs", len(rsvps))
    return len(rsvps)


def _render_links(message: OutboxMessage) -> RenderedMail | None:
    """List the address's live RSVPs with their links, as they are when the message leaves."""
    rsvps = db.session.scalars(_links_query(message.to_address, utc_now())).all()
    if not rsvps:
        return None
    subject, text, html = render_mail(
        "rsvp_links",
        language=message.language,
        rsvps=[(r, r.event, manage_url(r)) for r in rsvps],
    )
    return RenderedMail(subject, text, html)
