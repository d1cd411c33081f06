"""RSVPs: submit, resize, promote, cancel, delete: seats never oversold, a self-running waitlist.

Every use case that changes seats (a new RSVP, a bigger or smaller party, a cancellation, a
deletion) first locks the event's row, then reads the seat counts (``seats``) and writes, all
in the caller's transaction. Two requests for the same event therefore take turns, on
PostgreSQL (``SELECT … FOR UPDATE``) and on SQLite (the first write takes the database's write
lock), and the count they read is the count they write against.

The waitlist is strict first come, first served: freed seats go to the party at its head, and
when that party does not fit yet, nobody behind it jumps the queue. A new RSVP joins the back
of the waitlist whenever anyone is waiting, even if a few seats are free.

A public RSVP is always a new party of its own. When its email or phone already has a live RSVP
for the event, the submitter is answered exactly as anyone else (so nobody learns that the
address had RSVPed), the existing RSVP is left alone, and the address's holder is told by
email (``mail``), with their own link and a one-click link that cancels the new RSVP
("disown"). Links live in ``links``, tickets in ``tickets``, what staff do in ``staff``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import OutboxMessage
from eventsvc.rsvps.links import disown_token, manage_token, new_feed_salt
from eventsvc.rsvps.mail import queue_rsvp_mail, tell_address_holders
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from eventsvc.rsvps.seats import seat_counts, submit_counts
from eventsvc.rsvps.tickets import issue_tickets, void_tickets
from eventsvc.security import token_hash

logger = logging.getLogger(__name__)


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


def rsvp_closed_reason(event: Event, now: datetime) -> str | None:
    """Return why the event takes no RSVPs at now (the message to show), or None when it does."""
    try:
        check_rsvp_open(event, now)
    except DomainError as e:
        return e.message
    return None


def check_party_size(event: Event, party_size: int) -> None:
    """Raise a coded DomainError when the party is empty or bigger than the event allows."""
    if not 1 <= party_size <= event.max_party_size:
        raise DomainError(
            "party_too_large",
            _("A party can have from 1 to %(n)d people.", n=event.max_party_size),
        )


# --- use cases --------------------------------------------------------------------------------


def submit_rsvp(event: Event, data: RsvpData, *, now: datetime | None = None) -> RsvpOutcome:
    """RSVP for a party: always a new party of its own; mail the result.

    When the email or the phone already has a live RSVP for the event, the new RSVP is seated
    by the usual rules and answered like any other (the caller must not tell the two apart),
    the existing RSVP is left untouched, and the address's holder is told by email
    (:func:`tell_address_holders`). Nothing of the new RSVP is mailed to a taken email: its
    holder did not make it; the submitter sees the tickets on the page they land on.

    The same form submitted again (same submission key, a double click) changes nothing and
    returns the RSVP it made, with ``is_repeat``: it is found by (event, submission key), never
    by address.

    RSVPs for one event take turns on the event's lock, so the work inside it is kept short:
    the new RSVP (tokens, details) is made before the lock, and under it one query reads the
    seats, the waitlist, whether the address is taken and whether this form was seen.
    """
    rsvp, token = new_rsvp(event.id, data)
    event = lock_event(event)
    # Read the clock under the lock: the waitlist's order is the order RSVPs got the lock in.
    now = now or utc_now()
    counts = submit_counts(event.id, data.email, data.phone, rsvp.submission_key)
    if counts.repeat_id is not None:
        repeat = db.session.get(Rsvp, counts.repeat_id)
        return RsvpOutcome(repeat, manage_token(repeat), is_new=False, is_repeat=True)
    check_rsvp_open(event, now)
    check_party_size(event, data.party_size)
    if counts.email_taken or counts.phone_taken:
        rsvp.shared_contact = "email" if counts.email_taken else "phone"
        rsvp.disown_token_hash = token_hash(disown_token(rsvp))
    seat_new_party(rsvp, event, counts.taken, counts.waiting_parties, now)
    queue_rsvp_mail(rsvp, "confirmed" if rsvp.is_confirmed else "waitlisted")
    db.session.flush()  # one flush: the RSVP, its tickets, its message
    if rsvp.shared_contact:
        tell_address_holders(rsvp, email_taken=counts.email_taken, phone_taken=counts.phone_taken)
    logger.info(
        "RSVP %s %s for event %s (party of %d)%s",
        rsvp.id,
        rsvp.status,
        event.id,
        rsvp.party_size,
        f", {rsvp.shared_contact} shared with another RSVP" if rsvp.shared_contact else "",
    )
    return RsvpOutcome(rsvp, token, is_new=True)


def seat_new_party(rsvp: Rsvp, event: Event, taken: int, waiting: int, now: datetime) -> None:
    """Confirm a new party if it fits and nobody waits, else waitlist it (under the lock)."""
    if waiting == 0 and taken + rsvp.party_size <= event.capacity:
        rsvp.confirm()
        issue_tickets(rsvp, rsvp.party_size, event_id=event.id)
    else:
        rsvp.waitlist(now)
    db.session.add(rsvp)


def new_rsvp(event_id: int, data: RsvpData) -> tuple[Rsvp, str]:
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
    new_feed_salt(rsvp)
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
    check_party_size(event, party_size)
    change = party_size - rsvp.party_size
    if change == 0 or rsvp.is_cancelled:
        return
    if rsvp.is_waitlisted:
        rsvp.party_size = party_size
        db.session.flush()
        _promote_waitlist(event, now)
        return
    if change > 0:
        taken, waiting = seat_counts(event.id)
        free = 0 if waiting else event.capacity - taken
        if change > free:
            raise DomainError(
                "no_seats",
                _("Only %(n)d more seats are available right now.", n=max(free, 0)),
            )
        rsvp.party_size = party_size
        issue_tickets(rsvp, change)
        db.session.flush()
        return
    void_tickets(rsvp, -change)
    rsvp.party_size = party_size
    db.session.flush()
    _promote_waitlist(event, now)


def _promote_waitlist(event: Event, now: datetime) -> list[Rsvp]:
    """Give freed seats to the waitlist in order; stop at the first party that does not fit."""
    taken, waiting = seat_counts(event.id)
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
        issue_tickets(rsvp, rsvp.party_size)
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
    require_live(rsvp)
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
    taken, _waiting = seat_counts(event.id)
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


def require_live(rsvp: Rsvp) -> None:
    """Raise a coded DomainError when the RSVP was cancelled or its data deleted."""
    if rsvp.is_anonymised:
        raise DomainError("deleted", _("This RSVP's data was deleted."))
    if rsvp.is_cancelled:
        raise DomainError("rsvp_cancelled", _("This RSVP was cancelled."))


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
