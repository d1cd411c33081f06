"""TODO docstring: eventsvc.rsvps.seats."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, and_, bindparam, case, func, select, tuple_

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus


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


# --- seats ------------------------------------------------------------------------------------


def seat_counts(event_id: int) -> tuple[int, int]:
    """Return the confirmed seats and the waiting parties of an event, in one query."""
    counts = submit_counts(event_id, None, None, None)
    return counts.taken, counts.waiting


@cache
def _submit_counts_query() -> Select:
    """Build the query of :func:`submit_counts` once: it runs under the event's lock."""
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


def submit_counts(
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
    taken, waiting = seat_counts(event.id)
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


@dataclass(frozen=True)
class Attendance:
    """How many people an event has: seats confirmed, people waiting, people in."""

    confirmed: int = 0
    waitlisted: int = 0
    checked_in: int = 0


def confirmed_seats(event: Event) -> int:
    """Return the seats the event's confirmed RSVPs hold."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
                Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.confirmed
            )
        )
    )


def attendance(events: list[Event]) -> dict[int, Attendance]:
    """Return confirmed seats, waitlisted people and checked-in people per event (2 queries)."""
    ids = [e.id for e in events]
    if not ids:
        return {}
    confirmed = Rsvp.status == RsvpStatus.confirmed
    waiting = Rsvp.status == RsvpStatus.waitlisted
    seats = {
        event_id: (int(c or 0), int(w or 0))
        for event_id, c, w in db.session.execute(
            select(
                Rsvp.event_id,
                func.sum(case((confirmed, Rsvp.party_size), else_=0)),
                func.sum(case((waiting, Rsvp.party_size), else_=0)),
            )
            .where(Rsvp.event_id.in_(ids))
            .group_by(Rsvp.event_id)
        )
    }
    inside = dict(
        db.session.execute(
            select(Ticket.event_id, func.count())
            .where(
                Ticket.event_id.in_(ids),
                Ticket.status == TicketStatus.active,
                Ticket.checked_in_dt.is_not(None),
            )
            .group_by(Ticket.event_id)
        ).all()
    )
    return {i: Attendance(*seats.get(i, (0, 0)), checked_in=int(inside.get(i, 0))) for i in ids}
