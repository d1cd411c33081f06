"""Seats: every count of an event's seats, parties and people, in one place.

The words keep one meaning everywhere: *taken* seats are the people of confirmed parties;
*waiting parties* are RSVPs on the waitlist, *waiting people* the people in them; *checked in*
counts people whose active ticket was scanned in. The use cases that change seats read
:func:`seat_counts` / :func:`submit_counts` under the event's lock (see ``services``); pages read
:func:`seat_summary` / :func:`seat_summaries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Select, and_, bindparam, case, func, select, tuple_

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

if TYPE_CHECKING:
    from eventsvc.checkin.doors import EventRef


@dataclass(frozen=True)
class SubmitCounts:
    """What submit_rsvp reads under the event's lock, in one query."""

    taken: int
    waiting_parties: int
    #: Another live RSVP of the event has the submitted email / phone.
    email_taken: bool
    phone_taken: bool
    #: The RSVP this very form already made (a double click), if any.
    repeat_id: int | None


@dataclass(frozen=True)
class Seats:
    """An event's seats and people: every count the site shows, one meaning per word.

    A seat is one person; a party is one RSVP (one or more people).
    """

    capacity: int
    #: Seats held by confirmed parties (people).
    taken: int = 0
    #: Parties on the waiting list (a new RSVP goes behind them).
    waiting_parties: int = 0
    #: People on the waiting list.
    waiting_people: int = 0
    #: People checked in (their active tickets scanned in); counted only when asked for.
    checked_in: int = 0

    @property
    def left(self) -> int:
        """Return how many seats a new RSVP could still get (none while anyone waits)."""
        return 0 if self.waiting_parties else max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        """Return whether a new RSVP would go to the waitlist."""
        return self.left == 0


_CONFIRMED = Rsvp.status == RsvpStatus.confirmed
_WAITING = Rsvp.status == RsvpStatus.waitlisted
#: Per event: seats taken, waiting parties, waiting people.
_SEAT_COLUMNS = (
    func.coalesce(func.sum(case((_CONFIRMED, Rsvp.party_size), else_=0)), 0),
    func.coalesce(func.sum(case((_WAITING, 1), else_=0)), 0),
    func.coalesce(func.sum(case((_WAITING, Rsvp.party_size), else_=0)), 0),
)
#: The people inside: active tickets checked in.
_INSIDE = (Ticket.status == TicketStatus.active, Ticket.checked_in_dt.is_not(None))


def seat_counts(event_id: int) -> tuple[int, int]:
    """Return the seats taken and the waiting parties of an event, in one query.

    The use cases that change seats read these under the event's lock.
    """
    counts = submit_counts(event_id, None, None, None)
    return counts.taken, counts.waiting_parties


@cache
def _submit_counts_query() -> Select:
    """Build the query of :func:`submit_counts` once: it runs under the event's lock."""
    live = Rsvp.status != RsvpStatus.cancelled
    # A NULL email, phone or key matches nothing.
    return select(
        *_SEAT_COLUMNS[:2],
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


@cache
def _one_event_query(*, checked_in: bool) -> Select:
    """Build the query of :func:`seat_summary` once per kind: seats, and maybe people in."""
    columns = list(_SEAT_COLUMNS)
    if checked_in:
        columns.append(
            select(func.count())
            .where(Ticket.event_id == bindparam("event_id"), *_INSIDE)
            .scalar_subquery()
        )
    return select(*columns).where(Rsvp.event_id == bindparam("event_id"))


def seat_summary(event: Event, *, checked_in: bool = False) -> Seats:
    """Return the seats and people of one event, in one query (with checked-in people if asked).

    The public event page only needs the seats: counting who is in is the back office's.
    """
    row = db.session.execute(_one_event_query(checked_in=checked_in), {"event_id": event.id}).one()
    return Seats(event.capacity, *(int(n) for n in row))


def seat_summaries(events: list[Event], *, checked_in: bool = False) -> dict[int, Seats]:
    """Return the seats and people of several events: one query, two with checked_in."""
    ids = [e.id for e in events]
    if not ids:
        return {}
    seats = {
        event_id: tuple(int(n) for n in counts)
        for event_id, *counts in db.session.execute(
            select(Rsvp.event_id, *_SEAT_COLUMNS)
            .where(Rsvp.event_id.in_(ids))
            .group_by(Rsvp.event_id)
        )
    }
    inside: dict[int, int] = {}
    if checked_in:
        inside = dict(
            db.session.execute(
                select(Ticket.event_id, func.count())
                .where(Ticket.event_id.in_(ids), *_INSIDE)
                .group_by(Ticket.event_id)
            ).all()
        )
    return {
        e.id: Seats(e.capacity, *seats.get(e.id, (0, 0, 0)), checked_in=int(inside.get(e.id, 0)))
        for e in events
    }


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
class DoorStats:
    """What the door shows: people in, of the people whose tickets admit them."""

    checked_in: int
    #: Active tickets: the people of confirmed parties (none once the event is cancelled).
    confirmed: int


def door_stats(event: Event | EventRef) -> DoorStats:
    """Return checked-in people and active tickets, in one query (the door's hot path)."""
    checked_in, confirmed = db.session.execute(
        select(
            func.coalesce(func.sum(case((Ticket.checked_in_dt.is_not(None), 1), else_=0)), 0),
            func.count(),
        ).where(Ticket.event_id == event.id, Ticket.status == TicketStatus.active)
    ).one()
    return DoorStats(checked_in=int(checked_in), confirmed=int(confirmed))
