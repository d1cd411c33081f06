"""RSVPs: seats that are never oversold, a waitlist that promotes itself, tickets, the private link.

Every use case that changes seats (a new RSVP, a bigger or smaller party, a cancellation, a
deletion) first locks the event's row, then reads the seat counts and writes, all in the
caller's transaction. Two requests for the same event therefore take turns, on PostgreSQL
(``SELECT … FOR UPDATE``) and on SQLite (the first write takes the database's write lock), and
the count they read is the count they write against.

The waitlist is strict first come, first served: freed seats go to the party at its head, and
when that party does not fit yet, nobody behind it jumps the queue. A new RSVP joins the back
of the waitlist whenever anyone is waiting, even if a few seats are free.

A public RSVP is always a new party of its own. When its email or phone already has a live RSVP
for the event, the submitter is answered exactly as anyone else (so nobody learns that the
address had RSVPed), the existing RSVP is left alone, and the address's holder is told by
email, with their own link and a one-click link that cancels the new RSVP ("disown").

Each RSVP has one token per purpose, hashed at rest: the manage link (read and write), the
personal feed (read only; shared by the RSVPs of one feed group), the disown link (only for an
RSVP made with a taken address).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, and_, bindparam, case, delete, func, or_, select, tuple_
from sqlalchemy.orm import joinedload

from eventsvc.core.services import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.ical import build_calendar
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import Feed, make_feed
from eventsvc.extensions import db
from eventsvc.i18n import _, _l
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
from eventsvc.security import find_by_token, link_token, token_hash

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
class SubmitCounts:
    """What submit_rsvp reads under the event's lock, in one query."""

    taken: int
    waiting: int
    #: Another live RSVP of the event has the submitted email / phone.
    email_taken: bool
    phone_taken: bool
    #: The RSVP this very form already made (a double click), if any.
    repeat_id: int | None


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
    return find_by_token(Rsvp.manage_token_hash, token)


def manage_url(rsvp: Rsvp) -> str:
    """Return the absolute URL of the RSVP's private page."""
    return f"{_base_url()}/rsvp/{manage_token(rsvp)}"


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def feed_token(rsvp: Rsvp) -> str:
    """Return the token of the RSVP's personal calendar feed (read only)."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-feed", rsvp.feed_token_salt)


def get_rsvp_by_feed_token(token: str) -> Rsvp | None:
    """Return the RSVP whose personal feed link carries token, or None."""
    # With its event: the feed answers in two statements, this and the feed's own.
    return find_by_token(Rsvp.feed_token_hash, token, joinedload(Rsvp.event))


def feed_urls(rsvp: Rsvp) -> dict[str, str]:
    """Return the personal feed's address: https (to paste) and webcal (to subscribe)."""
    address = f"{_base_url()}/rsvp/{feed_token(rsvp)}/calendar.ics"
    return {"https": address, "webcal": "webcal://" + address.split("://", 1)[1]}


def _new_feed_salt(rsvp: Rsvp) -> None:
    rsvp.feed_token_salt = secrets.token_hex(16)
    rsvp.feed_token_hash = token_hash(feed_token(rsvp))


def replace_feed_token(rsvp: Rsvp) -> str:
    """Give the RSVP's feed group a new feed link (the old one stops working); return its token.

    The whole group moves to the new salt, so every RSVP of the feed stays in it. One RSVP of a
    group holds the hash of the group's link (feed_token_hash is unique): from now on, rsvp;
    the others hold the hash of a random secret nobody has.
    """
    group = db.session.scalars(
        select(Rsvp).where(Rsvp.feed_token_salt == rsvp.feed_token_salt, Rsvp.id != rsvp.id)
    ).all()
    _new_feed_salt(rsvp)
    for member in group:
        member.feed_token_salt = rsvp.feed_token_salt
        member.feed_token_hash = token_hash(secrets.token_urlsafe(24))
    db.session.flush()
    logger.info("RSVP %s: calendar feed link replaced for a group of %d", rsvp.id, len(group) + 1)
    return feed_token(rsvp)


def disown_token(rsvp: Rsvp) -> str:
    """Return the token of the link that lets an address's holder cancel an RSVP made with it."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-disown", rsvp.manage_token_salt)


def get_rsvp_by_disown_token(token: str) -> Rsvp | None:
    """Return the RSVP whose disown link carries token, or None."""
    return find_by_token(Rsvp.disown_token_hash, token)


def disown_url(rsvp: Rsvp) -> str:
    """Return the absolute URL of the RSVP's disown page (GET shows it, POST cancels)."""
    return f"{_base_url()}/rsvp/not-me/{disown_token(rsvp)}"


# --- seats ------------------------------------------------------------------------------------


def _seat_counts(event_id: int) -> tuple[int, int]:
    """Return the confirmed seats and the waiting parties of an event, in one query."""
    counts = _submit_counts(event_id, None, None, None)
    return counts.taken, counts.waiting


@cache
def _submit_counts_query() -> Select:
    """Build the query of :func:`_submit_counts` once: it runs under the event's lock."""
    confirmed = Rsvp.status == RsvpStatus.confirmed
    waiting = Rsvp.status == RsvpStatus.waitlisted
    live = Rsvp.status != RsvpStatus.cancelled
    # A NULL email, phone or key matches nothing.
    return select(
        func.coalesce(func.sum(case((confirmed, Rsvp.party_size), else_=0)), 0),
        func.coalesce(func.sum(case((waiting, 1), else_=0)), 0),
        func.coalesce(func.max(case((and_(live, Rsvp.email == bindparam("email")), 1))), 0),
        func.coalesce(func.max(case((and_(live, Rsvp.phone == bindparam("phone")), 1))), 0),
        func.max(case((Rsvp.submission_key == bindparam("key"), Rsvp.id))),
    ).where(Rsvp.event_id == bindparam("event_id"))


def _submit_counts(
    event_id: int, email: str | None, phone: str | None, key: str | None
) -> SubmitCounts:
    """Return the seats, the waitlist, whether email / phone are taken, and a repeated form.

    One query: whether the email or the phone already has a live RSVP for the event, and which
    RSVP the form with this (hashed) submission key made, come with the counts.
    """
    params = {"event_id": event_id, "email": email or None, "phone": phone or None, "key": key}
    taken, parties, email_taken, phone_taken, repeat_id = db.session.execute(
        _submit_counts_query(), params
    ).one()
    return SubmitCounts(int(taken), int(parties), bool(email_taken), bool(phone_taken), repeat_id)


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
    """RSVP for a party: always a new party of its own; mail the result.

    When the email or the phone already has a live RSVP for the event, the new RSVP is seated
    by the usual rules and answered like any other (the caller must not tell the two apart),
    the existing RSVP is left untouched, and the address's holder is told by email
    (:func:`_tell_address_holders`). Nothing of the new RSVP is mailed to a taken email: its
    holder did not make it; the submitter sees the tickets on the page they land on.

    The same form submitted again (same submission key, a double click) changes nothing and
    returns the RSVP it made, with ``is_repeat``: it is found by (event, submission key), never
    by address.

    RSVPs for one event take turns on the event's lock, so the work inside it is kept short:
    the new RSVP (tokens, details) is made before the lock, and under it one query reads the
    seats, the waitlist, whether the address is taken and whether this form was seen.
    """
    rsvp, token = _new_rsvp(event.id, data)
    event = lock_event(event)
    # Read the clock under the lock: the waitlist's order is the order RSVPs got the lock in.
    now = now or utc_now()
    counts = _submit_counts(event.id, data.email, data.phone, rsvp.submission_key)
    if counts.repeat_id is not None:
        repeat = db.session.get(Rsvp, counts.repeat_id)
        return RsvpOutcome(repeat, manage_token(repeat), is_new=False, is_repeat=True)
    check_rsvp_open(event, now)
    _check_party_size(event, data.party_size)
    if counts.email_taken or counts.phone_taken:
        rsvp.shared_contact = "email" if counts.email_taken else "phone"
        rsvp.disown_token_hash = token_hash(disown_token(rsvp))
    _seat(rsvp, event, counts.taken, counts.waiting, now)
    queue_rsvp_mail(rsvp, "confirmed" if rsvp.is_confirmed else "waitlisted")
    db.session.flush()  # one flush: the RSVP, its tickets, its message
    if rsvp.shared_contact:
        _tell_address_holders(rsvp, email_taken=counts.email_taken, phone_taken=counts.phone_taken)
    logger.info(
        "RSVP %s %s for event %s (party of %d)%s",
        rsvp.id,
        rsvp.status,
        event.id,
        rsvp.party_size,
        f", {rsvp.shared_contact} shared with another RSVP" if rsvp.shared_contact else "",
    )
    return RsvpOutcome(rsvp, token, is_new=True)


def _tell_address_holders(rsvp: Rsvp, *, email_taken: bool, phone_taken: bool) -> None:
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


def _seat(rsvp: Rsvp, event: Event, taken: int, waiting: int, now: datetime) -> None:
    """Confirm a new party if it fits and nobody waits, else waitlist it (under the lock)."""
    if waiting == 0 and taken + rsvp.party_size <= event.capacity:
        rsvp.confirm()
        _issue_tickets(rsvp, rsvp.party_size, event_id=event.id)
    else:
        rsvp.waitlist(now)
    db.session.add(rsvp)


def _new_rsvp(event_id: int, data: RsvpData) -> tuple[Rsvp, str]:
    """Return a new RSVP with its private link's token, not yet in the session.

    It gets its own feed token, so it starts a feed group of its own.
    """
    rsvp = Rsvp(
        event_id=event_id, manage_token_salt=secrets.token_hex(16), party_size=data.party_size
    )
    _apply_details(rsvp, data)
    rsvp.submission_key = token_hash(data.submission_key) if data.submission_key else None
    token = manage_token(rsvp)
    rsvp.manage_token_hash = token_hash(token)
    _new_feed_salt(rsvp)
    return rsvp, token


def _apply_details(rsvp: Rsvp, data: RsvpData) -> None:
    rsvp.name = data.name
    rsvp.email = data.email
    rsvp.phone = data.phone
    rsvp.language = data.language
    rsvp.access_needs = data.access_needs
    rsvp.interpretation_request = data.interpretation_request
    rsvp.consent_contact = data.consent_contact


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


def disown_rsvp(rsvp: Rsvp, *, now: datetime | None = None) -> Rsvp:
    """Cancel an RSVP made with a taken address, at its holder's request (the disown link).

    As :func:`cancel_rsvp`: the seats go to the waitlist, in the event's lock.
    """
    if rsvp.is_anonymised:
        raise DomainError("deleted", _("This RSVP's data was deleted."))
    if rsvp.is_cancelled:
        return rsvp
    cancel_rsvp(rsvp, now=now)
    record_audit(
        "rsvp.disown",
        actor_label="address holder",
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "party_size": rsvp.party_size},
    )
    logger.info("RSVP %s cancelled by the holder of the address it used", rsvp.id)
    return rsvp


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


#: What each message was about, as the attendee's own data shows it (page and data.json). The
#: message sent when the RSVP was made is "rsvp_made" whatever it said (confirmation, waitlist,
#: or the notice to the holder of a taken email): the RSVP's page must read the same either way.
MESSAGE_ABOUT = {
    "rsvp_confirmed": "rsvp_made",
    "rsvp_waitlisted": "rsvp_made",
    "rsvp_shared_address": "rsvp_made",
    "rsvp_promoted": "promoted",
    "rsvp_updated": "updated",
    "rsvp_cancelled": "cancelled",
    "rsvp_reminder": "reminder",
    "rsvp_event_changed": "event_changed",
    "rsvp_links": "links",
}

#: Titles of MESSAGE_ABOUT's values on the attendee's page.
MESSAGE_TITLES = {
    "rsvp_made": _l("Your RSVP"),
    "promoted": _l("You got seats"),
    "updated": _l("Your RSVP changed"),
    "cancelled": _l("Your RSVP was cancelled"),
    "reminder": _l("Reminder"),
    "event_changed": _l("The event changed"),
    "event_cancelled": _l("The event was cancelled"),
    "event_message": _l("Message from the organisers"),
    "links": _l("Your links, sent again"),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def own_messages(rsvp: Rsvp) -> list[tuple[str, OutboxMessage]]:
    """Return the messages sent to the RSVP's address about it, oldest first, with what about.

    "What about" is a value of :data:`MESSAGE_ABOUT` (the kind itself for other kinds).
    """
    if not rsvp.email:
        return []
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.rsvp_id == rsvp.id, OutboxMessage.to_address == rsvp.email)
        .order_by(OutboxMessage.created_dt, OutboxMessage.id)
    ).all()
    return [(MESSAGE_ABOUT.get(m.kind, m.kind), m) for m in messages]


def personal_data(rsvp: Rsvp) -> dict[str, Any]:
    """Return everything stored about this RSVP (only this one), for its owner to see and take.

    Keys of the dict (data.json): ``name``, ``email``, ``phone`` (E.164), ``language``,
    ``party_size``, ``status`` (confirmed / waitlisted / cancelled), ``created``, ``updated``,
    ``waitlisted``, ``cancelled`` (ISO 8601 UTC or null), ``access_needs``,
    ``interpretation_request``, ``consent_contact`` (bool: reminders and updates),
    ``event`` (``slug``, ``title``, ``start``, ``end``), ``tickets`` (per person: ``position``,
    ``status`` active / void, ``checked_in`` time or null, ``door`` label or null) and
    ``messages`` (the emails sent to this RSVP's address about it: ``kind`` from
    :data:`MESSAGE_ABOUT`'s values, ``created``, ``sent``, ``status`` pending / sent / failed).
    A message this RSVP caused to another address (the notice to the holder of a phone it
    shared) is that person's data and is not listed.
    """
    event = rsvp.event
    return {
        "name": rsvp.name,
        "email": rsvp.email,
        "phone": rsvp.phone,
        "language": rsvp.language,
        "party_size": rsvp.party_size,
        "status": rsvp.status.value,
        "created": _iso(rsvp.created_dt),
        "updated": _iso(rsvp.updated_dt),
        "waitlisted": _iso(rsvp.waitlisted_dt),
        "cancelled": _iso(rsvp.cancelled_dt),
        "access_needs": rsvp.access_needs,
        "interpretation_request": rsvp.interpretation_request,
        "consent_contact": rsvp.consent_contact,
        "event": {
            "slug": event.slug,
            "title": event.title(rsvp.language),
            "start": _iso(event.start_dt),
            "end": _iso(event.end_dt),
        },
        "tickets": [
            {
                "position": t.position,
                "status": t.status.value,
                "checked_in": _iso(t.checked_in_dt),
                "door": t.checked_in_door.label if t.checked_in_door else None,
            }
            for t in rsvp.tickets
        ],
        "messages": [
            {
                "kind": about,
                "created": _iso(m.created_dt),
                "sent": _iso(m.sent_dt),
                "status": m.status.value,
            }
            for about, m in own_messages(rsvp)
        ],
    }


def is_read_only(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Return whether the RSVP's page only shows it: its event is over (until the purge)."""
    return rsvp.event.has_ended(now or utc_now())


def personal_feed_events(rsvp: Rsvp) -> tuple[list[Event], datetime]:
    """Return the public events of rsvp's feed group with a live RSVP, and when that last changed.

    The feed group is the RSVPs that share rsvp's feed salt: a new RSVP starts its own, so a
    feed lists only RSVPs whose owner is proven to be the same, never those of whoever typed the
    same email or phone. A cancelled or erased RSVP drops out. One query. The time is the latest
    change of any RSVP of the group (cancelled ones too) or of the events, so it moves forward
    when an event leaves the feed, and If-Modified-Since never hides that.
    """
    changed = rsvp.updated_dt
    rows = db.session.execute(
        select(Rsvp.status, Rsvp.updated_dt, Event)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.feed_token_salt == rsvp.feed_token_salt,
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
        )
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
    # Only a contact being changed can clash: an RSVP made with a taken address (flagged
    # shared_contact) keeps it, and staff may still edit its other details.
    contacts = []
    if data.email and data.email != rsvp.email:
        contacts.append(Rsvp.email == data.email)
    if data.phone and data.phone != rsvp.phone:
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
    if rsvp.shares_email:
        raise DomainError(
            "shared_email",
            _(
                "This RSVP was made with the email of another RSVP: its tickets are not sent "
                "there. Give the person their link another way."
            ),
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
