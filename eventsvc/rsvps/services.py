"""RSVPs: seats that are never oversold, a waitlist that promotes itself, tickets, the private link.

Every use case that changes seats (a new RSVP, a bigger or smaller party, a cancellation, a
deletion) first locks the event's row, then reads the seat counts and writes, all in the
caller's transaction. Two requests for the same event therefore take turns, on PostgreSQL
(``SELECT … FOR UPDATE``) and on SQLite (the first write takes the database's write lock), and
the count they read is the count they write against.

The waitlist is strict first come, first served: freed seats go to the party at its head, and
when that party does not fit yet, nobody behind it jumps the queue. A new RSVP joins the back
of the waitlist whenever anyone is waiting, even if a few seats are free.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, and_, bindparam, case, delete, func, or_, select, tuple_

from eventsvc.core.services import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.ical import build_calendar
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import Feed, make_feed
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import (
    Attachment,
    RenderedMail,
    queue_deferred,
    register_renderer,
    render_mail,
)
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus
from eventsvc.rsvps.qr import decode_ticket, encode_ticket, new_seed, qr_png, signing_key
from eventsvc.security import link_token, token_hash

logger = logging.getLogger(__name__)

#: Reminders go out for events starting within this window (cron runs hourly).
REMINDER_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RsvpData:
    """What a person gives when they RSVP; already validated and normalised by the form."""

    name: str
    email: str | None
    phone: str | None
    language: str
    party_size: int
    access_needs: str = ""
    interpretation_request: str = ""
    consent_contact: bool = False
    submission_key: str | None = None


@dataclass(frozen=True)
class RsvpOutcome:
    """The RSVP a submission ended in, its private link token, and what happened."""

    rsvp: Rsvp
    token: str
    is_new: bool
    #: The same form was submitted again (a double click): nothing changed, nothing was sent.
    is_repeat: bool = False


@dataclass(frozen=True)
class SeatSummary:
    """The seat situation of an event."""

    capacity: int
    taken: int
    waiting: int

    @property
    def left(self) -> int:
        """Return how many seats a new RSVP could still get."""
        return 0 if self.waiting else max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        """Return whether a new RSVP would go to the waitlist."""
        return self.left == 0


# --- the private link -------------------------------------------------------------------------


def manage_token(rsvp: Rsvp) -> str:
    """Return the token of the RSVP's private link."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-manage", rsvp.manage_token_salt)


def get_rsvp_by_token(token: str) -> Rsvp | None:
    """Return the RSVP whose private link carries token, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Rsvp).where(Rsvp.manage_token_hash == token_hash(token)))


def manage_url(rsvp: Rsvp) -> str:
    """Return the absolute URL of the RSVP's private page."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/rsvp/{manage_token(rsvp)}"


# --- seats ------------------------------------------------------------------------------------


def _seat_counts(event_id: int) -> tuple[int, int]:
    """Return the confirmed seats and the waiting parties of an event, in one query."""
    taken, parties, _nobody = _seat_counts_for(event_id, None, None)
    return taken, parties


@cache
def _seat_counts_for_query() -> Select:
    """Build the query of :func:`_seat_counts_for` once: it runs under the event's lock."""
    confirmed = Rsvp.status == RsvpStatus.confirmed
    waiting = Rsvp.status == RsvpStatus.waitlisted
    # A NULL email or phone matches nothing.
    same_person = and_(
        Rsvp.status != RsvpStatus.cancelled,
        or_(Rsvp.email == bindparam("email"), Rsvp.phone == bindparam("phone")),
    )
    return select(
        func.coalesce(func.sum(case((confirmed, Rsvp.party_size), else_=0)), 0),
        func.coalesce(func.sum(case((waiting, 1), else_=0)), 0),
        func.coalesce(func.sum(case((same_person, 1), else_=0)), 0),
    ).where(Rsvp.event_id == bindparam("event_id"))


def _seat_counts_for(event_id: int, email: str | None, phone: str | None) -> tuple[int, int, bool]:
    """Return the confirmed seats, the waiting parties, and whether the person has RSVPed.

    One query: whether email or phone already has a live (not cancelled) RSVP for the event
    comes with the counts.
    """
    params = {"event_id": event_id, "email": email or None, "phone": phone or None}
    taken, parties, matches = db.session.execute(_seat_counts_for_query(), params).one()
    return int(taken), int(parties), bool(matches)


def seat_summary(event: Event) -> SeatSummary:
    """Return the seat situation of one event."""
    taken, waiting = _seat_counts(event.id)
    return SeatSummary(capacity=event.capacity, taken=taken, waiting=waiting)


def seat_summaries(events: list[Event]) -> dict[int, SeatSummary]:
    """Return the seat situation of several events with one query."""
    if not events:
        return {}
    confirmed = Rsvp.status == RsvpStatus.confirmed
    waiting = Rsvp.status == RsvpStatus.waitlisted
    rows = db.session.execute(
        select(
            Rsvp.event_id,
            func.sum(case((confirmed, Rsvp.party_size), else_=0)),
            func.sum(case((waiting, 1), else_=0)),
        )
        .where(Rsvp.event_id.in_([e.id for e in events]))
        .group_by(Rsvp.event_id)
    ).all()
    counts = {event_id: (int(taken or 0), int(parties or 0)) for event_id, taken, parties in rows}
    return {e.id: SeatSummary(e.capacity, *counts.get(e.id, (0, 0))) for e in events}


def waitlist_position(rsvp: Rsvp) -> int | None:
    """Return the party's place on the waitlist (1 is next), or None when it is not waiting."""
    if not rsvp.is_waitlisted:
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.status == RsvpStatus.waitlisted,
            tuple_(Rsvp.waitlisted_dt, Rsvp.id) < tuple_(rsvp.waitlisted_dt, rsvp.id),
        )
    )
    return ahead + 1


# --- rules ------------------------------------------------------------------------------------


def check_rsvp_open(event: Event, now: datetime) -> None:
    """Raise a coded DomainError when the event does not take RSVPs at now."""
    if event.status == EventStatus.draft:
        raise DomainError("not_published", _("This event is not open for RSVPs."))
    if event.is_cancelled:
        raise DomainError("event_cancelled", _("This event has been cancelled."))
    if event.rsvp_opens_dt is not None and now < event.rsvp_opens_dt:
        raise DomainError("not_open_yet", _("RSVPs for this event are not open yet."))
    if not event.rsvp_is_open(now):
        raise DomainError("closed", _("RSVPs for this event are closed."))


def _check_party_size(event: Event, party_size: int) -> None:
    if not 1 <= party_size <= event.max_party_size:
        raise DomainError(
            "party_too_large",
            _("A party can have from 1 to %(n)d people.", n=event.max_party_size),
        )


def _live_rsvp_for(event_id: int, email: str | None, phone: str | None) -> Rsvp | None:
    """Return the person's live RSVP for the event, matched by email first, then by phone."""
    contacts = []
    if email:
        contacts.append(Rsvp.email == email)
    if phone:
        contacts.append(Rsvp.phone == phone)
    if not contacts:
        return None
    matches = db.session.scalars(
        select(Rsvp).where(
            Rsvp.event_id == event_id, Rsvp.status != RsvpStatus.cancelled, or_(*contacts)
        )
    ).all()
    by_email = [r for r in matches if email and r.email == email]
    return (by_email or matches or [None])[0]


# --- tickets ----------------------------------------------------------------------------------


def _issue_tickets(rsvp: Rsvp, count: int, *, event_id: int | None = None) -> None:
    """Give the party `count` more active tickets, numbered after the ones it has.

    event_id: for an RSVP not yet in the session (its ``event`` is not loaded).
    """
    next_position = max((t.position for t in rsvp.tickets), default=0) + 1
    event_id = event_id or rsvp.event_id or rsvp.event.id
    for position in range(next_position, next_position + count):
        rsvp.tickets.append(Ticket(event_id=event_id, position=position, secret=new_seed().hex()))


def _void_tickets(rsvp: Rsvp, count: int) -> None:
    """Void `count` of the party's active tickets, those not yet checked in and last first."""
    active = [t for t in rsvp.tickets if t.is_active]
    removable = sorted((t for t in active if not t.is_checked_in), key=lambda t: -t.position)
    if len(removable) < count:
        raise DomainError(
            "already_checked_in",
            _("Some of your party have already checked in; the party cannot be that small."),
        )
    for ticket in removable[:count]:
        ticket.void()
    # Voided tickets keep their position, so new ones must never reuse it.
    db.session.flush()


def active_tickets(rsvp: Rsvp) -> list[Ticket]:
    """Return the tickets that admit the party, in order."""
    return [t for t in rsvp.tickets if t.status == TicketStatus.active]


def ticket_code(ticket: Ticket) -> str:
    """Return the signed code printed in the ticket's QR."""
    return encode_ticket(
        event_id=ticket.event_id,
        ticket_id=ticket.id,
        seed=bytes.fromhex(ticket.secret),
        private_key=signing_key(current_app.config),
    )


def resolve_ticket(code: str) -> Ticket:
    """Return the active ticket a scanned code stands for, or raise why it is refused.

    Codes: "invalid" (not a code we signed), "unknown" (no such ticket), "replaced" (the ticket
    was re-issued and this is an old code), "void" (cancelled).
    """
    claim = decode_ticket(code, signing_key(current_app.config).public_key())
    ticket = db.session.get(Ticket, claim.ticket_id)
    if ticket is None or ticket.event_id != claim.event_id:
        raise DomainError("unknown", _("This ticket is not known."))
    if not hmac.compare_digest(ticket.secret, claim.seed.hex()):
        raise DomainError("replaced", _("This ticket was replaced by a newer one."))
    if not ticket.is_active:
        raise DomainError("void", _("This ticket was cancelled."))
    return ticket


# --- use cases --------------------------------------------------------------------------------


def submit_rsvp(event: Event, data: RsvpData, *, now: datetime | None = None) -> RsvpOutcome:
    """RSVP for a party, or update the person's live RSVP; mail the result.

    RSVPs for one event take turns on the event's lock, so the work inside it is kept short:
    the new RSVP (token, details) is made before the lock, and under it one query reads the
    seats, the waitlist and whether this person has already RSVPed.
    """
    rsvp, token = _new_rsvp(event.id, data)
    event = lock_event(event)
    # Read the clock under the lock: the waitlist's order is the order RSVPs got the lock in.
    now = now or utc_now()
    check_rsvp_open(event, now)
    _check_party_size(event, data.party_size)
    taken, waiting, already = _seat_counts_for(event.id, data.email, data.phone)
    if already:
        return _update_existing(_live_rsvp_for(event.id, data.email, data.phone), data, now)
    _seat(rsvp, event, taken, waiting, now)
    queue_rsvp_mail(rsvp, "confirmed" if rsvp.is_confirmed else "waitlisted")
    db.session.flush()  # one flush: the RSVP, its tickets, its message
    logger.info(
        "RSVP %s %s for event %s (party of %d)", rsvp.id, rsvp.status, event.id, rsvp.party_size
    )
    return RsvpOutcome(rsvp, token, is_new=True)


def _seat(rsvp: Rsvp, event: Event, taken: int, waiting: int, now: datetime) -> None:
    """Confirm a new party if it fits and nobody waits, else waitlist it (under the lock)."""
    if waiting == 0 and taken + rsvp.party_size <= event.capacity:
        rsvp.confirm()
        _issue_tickets(rsvp, rsvp.party_size, event_id=event.id)
    else:
        rsvp.waitlist(now)
    db.session.add(rsvp)


def _new_rsvp(event_id: int, data: RsvpData) -> tuple[Rsvp, str]:
    """Return a new RSVP with its private link's token, not yet in the session."""
    rsvp = Rsvp(
        event_id=event_id, manage_token_salt=secrets.token_hex(16), party_size=data.party_size
    )
    _apply_details(rsvp, data)
    token = manage_token(rsvp)
    rsvp.manage_token_hash = token_hash(token)
    return rsvp, token


def _update_existing(existing: Rsvp, data: RsvpData, now: datetime) -> RsvpOutcome:
    """The same person RSVPed again (under the lock): update their RSVP, or repeat its answer."""
    if data.submission_key and existing.submission_key == data.submission_key:
        return RsvpOutcome(existing, manage_token(existing), is_new=False, is_repeat=True)
    _apply_details(existing, data)
    _resize(existing, data.party_size, now)
    queue_rsvp_mail(existing, "updated")
    logger.info("RSVP %s updated by its owner", existing.id)
    return RsvpOutcome(existing, manage_token(existing), is_new=False)


def _apply_details(rsvp: Rsvp, data: RsvpData) -> None:
    rsvp.name = data.name
    rsvp.email = data.email
    rsvp.phone = data.phone
    rsvp.language = data.language
    rsvp.access_needs = data.access_needs
    rsvp.interpretation_request = data.interpretation_request
    rsvp.consent_contact = data.consent_contact
    rsvp.submission_key = data.submission_key


def _resize(rsvp: Rsvp, party_size: int, now: datetime) -> None:
    """Change the party's size under the event lock; promote the waitlist when seats free up."""
    event = rsvp.event
    _check_party_size(event, party_size)
    change = party_size - rsvp.party_size
    if change == 0 or rsvp.is_cancelled:
        return
    if rsvp.is_waitlisted:
        rsvp.party_size = party_size
        db.session.flush()
        _promote_waitlist(event, now)
        return
    if change > 0:
        taken, waiting = _seat_counts(event.id)
        free = 0 if waiting else event.capacity - taken
        if change > free:
            raise DomainError(
                "no_seats",
                _("Only %(n)d more seats are available right now.", n=max(free, 0)),
            )
        rsvp.party_size = party_size
        _issue_tickets(rsvp, change)
        db.session.flush()
        return
    _void_tickets(rsvp, -change)
    rsvp.party_size = party_size
    db.session.flush()
    _promote_waitlist(event, now)


def _promote_waitlist(event: Event, now: datetime) -> list[Rsvp]:
    """Give freed seats to the waitlist in order; stop at the first party that does not fit."""
    taken, waiting = _seat_counts(event.id)
    free = event.capacity - taken
    if not waiting or free <= 0:
        return []
    queue = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.waitlisted)
        .order_by(Rsvp.waitlisted_dt, Rsvp.id)
        .limit(free)  # every party has at least one person
    ).all()
    promoted = []
    for rsvp in queue:
        if rsvp.party_size > free:
            break
        rsvp.confirm()
        _issue_tickets(rsvp, rsvp.party_size)
        free -= rsvp.party_size
        promoted.append(rsvp)
    db.session.flush()
    for rsvp in promoted:
        queue_rsvp_mail(rsvp, "promoted")
        logger.info("RSVP %s promoted from the waitlist of event %s", rsvp.id, event.id)
    return promoted


def change_party_size(rsvp: Rsvp, party_size: int, *, now: datetime | None = None) -> Rsvp:
    """Let the person change how many come; freed seats go to the waitlist."""
    now = now or utc_now()
    lock_event(rsvp.event)
    _require_live(rsvp)
    if rsvp.event.has_ended(now) or rsvp.event.is_cancelled:
        raise DomainError("closed", _("This event can no longer be changed."))
    before = rsvp.party_size
    _resize(rsvp, party_size, now)
    if party_size != before:
        queue_rsvp_mail(rsvp, "updated")
        logger.info("RSVP %s party size %d -> %d", rsvp.id, before, party_size)
    return rsvp


def cancel_rsvp(rsvp: Rsvp, *, now: datetime | None = None, notify: bool = True) -> Rsvp:
    """Cancel the RSVP, void its tickets and give its seats to the waitlist."""
    now = now or utc_now()
    event = lock_event(rsvp.event)
    db.session.refresh(rsvp)
    if rsvp.is_cancelled:
        return rsvp
    rsvp.cancel(now)
    db.session.flush()
    if notify:
        queue_rsvp_mail(rsvp, "cancelled")
    _promote_waitlist(event, now)
    logger.info("RSVP %s cancelled", rsvp.id)
    return rsvp


def delete_personal_data(rsvp: Rsvp, *, now: datetime | None = None) -> Rsvp:
    """Erase the person's data at once, keeping only an anonymous count; free their seats."""
    now = now or utc_now()
    cancel_rsvp(rsvp, now=now, notify=False)
    rsvp.anonymise(now)
    rsvp.submission_key = None
    # Their messages hold their address and name: sent or not, they go too.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.rsvp_id == rsvp.id))
    record_audit(
        "rsvp.delete",
        actor_label="attendee",
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "party_size": rsvp.party_size},
    )
    db.session.flush()
    logger.info("RSVP %s personal data deleted by its owner", rsvp.id)
    return rsvp


def update_capacity(event: Event, capacity: int, *, now: datetime | None = None) -> Event:
    """Change how many seats the event has; more seats go to the waitlist at once."""
    now = now or utc_now()
    event = lock_event(event)
    taken, _waiting = _seat_counts(event.id)
    if capacity < max(taken, 1):
        raise DomainError(
            "below_confirmed",
            _("Capacity cannot be below the %(n)d seats already confirmed.", n=taken),
        )
    event.capacity = capacity
    db.session.flush()
    _promote_waitlist(event, now)
    logger.info("Event %s capacity set to %d", event.id, capacity)
    return event


def _require_live(rsvp: Rsvp) -> None:
    if rsvp.is_anonymised:
        raise DomainError("deleted", _("This RSVP's data was deleted."))
    if rsvp.is_cancelled:
        raise DomainError("rsvp_cancelled", _("This RSVP was cancelled."))


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
    who gave only a phone number get no email; their page shows everything.
    """
    if not rsvp.email:
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


def personal_feed_events(rsvp: Rsvp) -> tuple[list[Event], datetime]:
    """Return the public events this person has a live RSVP for, and when that last changed.

    The person is whoever shares the RSVP's email or phone, across the series; a cancelled RSVP
    or an erased person (no email, no phone) drops out. One query. The time is the latest
    change of any of their RSVPs (cancelled ones too) or of the events, so it moves forward when
    an event leaves the feed, and If-Modified-Since never hides that.
    """
    who = []
    if rsvp.email:
        who.append(Rsvp.email == rsvp.email)
    if rsvp.phone:
        who.append(Rsvp.phone == rsvp.phone)
    changed = rsvp.updated_dt
    if not who:
        return [], changed
    rows = db.session.execute(
        select(Rsvp.status, Rsvp.updated_dt, Event)
        .join(Event, Event.id == Rsvp.event_id)
        .where(or_(*who), Event.status.in_([EventStatus.published, EventStatus.cancelled]))
        .order_by(Event.start_dt, Event.id)
    ).all()
    events: dict[int, Event] = {}
    for status, rsvp_changed, event in rows:
        changed = max(changed, rsvp_changed)
        if status != RsvpStatus.cancelled:
            events[event.id] = event
            changed = max(changed, event.updated_dt)
    return list(events.values()), changed


def personal_feed(rsvp: Rsvp, language: str) -> Feed:
    """Return the personal calendar feed of the person behind rsvp, in language."""
    events, changed = personal_feed_events(rsvp)
    with force_locale(language):
        name = _("My events: %(org)s", org=current_app.config["ORG_NAME"])
    return make_feed(events, language=language, calendar_name=name, last_modified=changed)


register_renderer("rsvp_", render_rsvp_mail)


# --- the back office: staff add, edit, promote, cancel and resend ------------------------------


class AlreadyRsvped(DomainError):
    """The person already has a live RSVP for the event; ``rsvp`` is it."""

    def __init__(self, rsvp: Rsvp):
        super().__init__(
            "already_rsvped", _("Someone with this email or phone already has an RSVP here.")
        )
        self.rsvp = rsvp


def _require_contact(rsvp: Rsvp, email: str | None, phone: str | None) -> None:
    # The schema (ck_rsvps_reachable): an email or a phone on every RSVP made through the public
    # form; staff may add a walk-in without either.
    if not rsvp.added_by_staff and not email and not phone:
        raise DomainError(
            "unreachable", _("This person RSVPed online: keep an email or a phone number.")
        )


def add_attendee(
    event: Event,
    data: RsvpData,
    *,
    actor,
    notify: bool = True,
    now: datetime | None = None,
) -> RsvpOutcome:
    """Add a party by hand (staff), even after RSVPs close; seats follow the public's rules."""
    event = lock_event(event)
    now = now or utc_now()
    if event.is_cancelled:
        raise DomainError("event_cancelled", _("This event has been cancelled."))
    if event.has_ended(now):
        raise DomainError("closed", _("This event is over: nobody can be added any more."))
    _check_party_size(event, data.party_size)
    existing = _live_rsvp_for(event.id, data.email, data.phone)
    if existing is not None:
        raise AlreadyRsvped(existing)
    rsvp, token = _new_rsvp(event.id, data)
    rsvp.added_by_staff = True  # a walk-in may give no email or phone at all
    _seat(rsvp, event, *_seat_counts(event.id), now)
    if notify:
        queue_rsvp_mail(rsvp, "confirmed" if rsvp.is_confirmed else "waitlisted")
    db.session.flush()
    record_audit(
        "rsvp.create",
        actor=actor,
        object_type="rsvp",
        object_id=rsvp.id,
        details={
            "event_id": event.id,
            "party_size": rsvp.party_size,
            "status": rsvp.status.value,
            "notified": bool(notify and rsvp.email),
        },
    )
    logger.info(
        "RSVP %s added by staff for event %s: %s (party of %d)",
        rsvp.id,
        event.id,
        rsvp.status,
        rsvp.party_size,
    )
    return RsvpOutcome(rsvp, token, is_new=True)


#: What staff may change of an RSVP's details (party size goes through change_party_size).
STAFF_EDITABLE = ("name", "email", "phone", "language", "access_needs", "interpretation_request")


def update_attendee(rsvp: Rsvp, data: RsvpData, *, actor, now: datetime | None = None) -> list[str]:
    """Change a party's details and size (staff); return the names of the fields that changed."""
    lock_event(rsvp.event)  # the event first, as every seat change does: no deadlock
    db.session.refresh(rsvp)
    _require_live(rsvp)
    _require_contact(rsvp, data.email, data.phone)
    contacts = []
    if data.email:
        contacts.append(Rsvp.email == data.email)
    if data.phone:
        contacts.append(Rsvp.phone == data.phone)
    clash = contacts and db.session.scalar(
        select(Rsvp.id).where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.id != rsvp.id,
            Rsvp.status != RsvpStatus.cancelled,
            or_(*contacts),
        )
    )
    if clash:
        raise DomainError(
            "contact_taken",
            _("Another attendee of this event already has this email or phone number."),
        )
    changed = [f for f in STAFF_EDITABLE if getattr(rsvp, f) != getattr(data, f)]
    for field_name in changed:
        setattr(rsvp, field_name, getattr(data, field_name))
    if data.party_size != rsvp.party_size:
        change_party_size(rsvp, data.party_size, now=now)
        changed.append("party_size")
    db.session.flush()
    if changed:
        record_audit(
            "rsvp.update",
            actor=actor,
            object_type="rsvp",
            object_id=rsvp.id,
            details={"event_id": rsvp.event_id, "fields": changed},
        )
        logger.info("RSVP %s edited by staff: %s", rsvp.id, ", ".join(changed))
    return changed


def promote_rsvp(rsvp: Rsvp, *, actor, now: datetime | None = None) -> Rsvp:
    """Give a waiting party its seats now, out of queue order if need be (organisers decide)."""
    now = now or utc_now()
    event = lock_event(rsvp.event)
    db.session.refresh(rsvp)
    _require_live(rsvp)
    if not rsvp.is_waitlisted:
        raise DomainError("not_waitlisted", _("This party is not on the waiting list."))
    if event.is_cancelled:
        raise DomainError("event_cancelled", _("This event has been cancelled."))
    taken, _waiting = _seat_counts(event.id)
    free = max(event.capacity - taken, 0)
    if rsvp.party_size > free:
        raise DomainError(
            "no_seats",
            _(
                "This party of %(size)d does not fit: only %(free)d seats are free. "
                "Raise the capacity or free some seats first.",
                size=rsvp.party_size,
                free=free,
            ),
        )
    position = waitlist_position(rsvp)
    rsvp.confirm()
    _issue_tickets(rsvp, rsvp.party_size)
    db.session.flush()
    queue_rsvp_mail(rsvp, "promoted")
    record_audit(
        "rsvp.promote",
        actor=actor,
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": event.id, "party_size": rsvp.party_size, "position": position},
    )
    logger.info("RSVP %s moved from the waitlist by staff (was %s in line)", rsvp.id, position)
    return rsvp


def cancel_attendee(rsvp: Rsvp, *, actor, now: datetime | None = None) -> int:
    """Cancel a party's RSVP (staff) and tell them; return how many parties got its seats."""
    lock_event(rsvp.event)
    db.session.refresh(rsvp)
    _require_live(rsvp)
    was_waiting = rsvp.is_waitlisted
    _taken, waiting_before = _seat_counts(rsvp.event_id)
    cancel_rsvp(rsvp, now=now)
    _taken, waiting_after = _seat_counts(rsvp.event_id)
    promoted = waiting_before - waiting_after - (1 if was_waiting else 0)
    record_audit(
        "rsvp.cancel",
        actor=actor,
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "party_size": rsvp.party_size, "promoted": promoted},
    )
    return promoted


def resend_rsvp_mail(rsvp: Rsvp, *, actor) -> OutboxMessage:
    """Queue the party's confirmation (ticket) or waitlist message again."""
    _require_live(rsvp)
    if not rsvp.email:
        raise DomainError(
            "no_email", _("This attendee gave no email address: there is nothing to resend.")
        )
    kind = "confirmed" if rsvp.is_confirmed else "waitlisted"
    waiting = db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.rsvp_id == rsvp.id,
            OutboxMessage.kind == f"rsvp_{kind}",
            OutboxMessage.status == MailStatus.pending,
        )
    )
    if waiting is not None:
        raise DomainError("already_queued", _("This message is already waiting in the outbox."))
    message = queue_rsvp_mail(rsvp, kind)
    record_audit(
        "rsvp.resend",
        actor=actor,
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "kind": f"rsvp_{kind}", "message_id": message.id},
    )
    logger.info("RSVP %s: %s message queued again by staff", rsvp.id, kind)
    return message
