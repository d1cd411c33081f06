"""What staff do to RSVPs: add by hand (walk-ins too), edit, promote, cancel, resend.

Seats follow the public's rules (the same lock, the same counts); every change is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.locking import lock_event
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.rsvps.mail import queue_rsvp_mail
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from eventsvc.rsvps.seats import seat_counts, waitlist_position
from eventsvc.rsvps.services import (
    RsvpData,
    RsvpOutcome,
    cancel_rsvp,
    change_party_size,
    check_party_size,
    new_rsvp,
    require_live,
    seat_new_party,
)
from eventsvc.rsvps.tickets import issue_tickets

logger = logging.getLogger(__name__)


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
    check_party_size(event, data.party_size)
    existing = _live_rsvp_for(event.id, data.email, data.phone)
    if existing is not None:
        raise AlreadyRsvped(existing)
    rsvp, token = new_rsvp(event.id, data)
    rsvp.added_by_staff = True  # a walk-in may give no email or phone at all
    seat_new_party(rsvp, event, *seat_counts(event.id), now)
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
    require_live(rsvp)
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
    require_live(rsvp)
    if not rsvp.is_waitlisted:
        raise DomainError("not_waitlisted", _("This party is not on the waiting list."))
    if event.is_cancelled:
        raise DomainError("event_cancelled", _("This event has been cancelled."))
    taken, _waiting = seat_counts(event.id)
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
    issue_tickets(rsvp, rsvp.party_size)
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
    require_live(rsvp)
    was_waiting = rsvp.is_waitlisted
    _taken, waiting_before = seat_counts(rsvp.event_id)
    cancel_rsvp(rsvp, now=now)
    _taken, waiting_after = seat_counts(rsvp.event_id)
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
    require_live(rsvp)
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
