"""The door's snapshot: what a scanner needs to judge a ticket offline, and no personal data.

Per ticket of one event: its id, a fingerprint of its seed (so the phone tells a code replaced
since from the current one), its state, and when it came in. No names and no RSVP ids: a lost
phone tells nobody who is coming. The scanner keeps it (IndexedDB) and asks again every few
seconds while it is online:

- its version is one aggregate query over the event's tickets (the ETag): a scanner whose copy is
  current gets 304 and nothing else is read;
- otherwise it gets the tickets changed since its last copy (``tickets.changed_dt``, set by every
  UPDATE of a ticket), with CHANGE_OVERLAP of margin: a transaction that stamped a row a moment
  before another's but committed after it is still sent. A ticket deleted with its RSVP shows in
  ``count``: a scanner holding more tickets than that asks for the whole list again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from sqlalchemy import Select, bindparam, case, func, select

from eventsvc.checkin.doors import door_window
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

#: A delta also sends the rows stamped this long before the scanner's last copy.
CHANGE_OVERLAP = timedelta(seconds=60)


@dataclass(frozen=True)
class SnapshotVersion:
    """What the ETag is made of: the event's tickets in four numbers and the door's window."""

    event_id: int
    tickets: int
    checked_in: int
    active: int
    last_change: datetime | None
    window: tuple[datetime, datetime]

    @property
    def revision(self) -> str:
        """Return what the scanner sends back as ?since= to get the changes after this copy."""
        return self.last_change.astimezone(UTC).isoformat() if self.last_change else ""

    def etag(self, language: str) -> str:
        """Return the copy's entity tag (the window's day is written in the caller's language)."""
        opens, closes = (int(t.timestamp()) for t in self.window)
        stamp = int(self.last_change.timestamp() * 1_000_000) if self.last_change else 0
        return (
            f"s{self.event_id}-{self.tickets}-{self.checked_in}-{self.active}-{stamp}"
            f"-{opens}-{closes}-{language}"
        )


def fingerprint(secret: str) -> str:
    """Return the first 8 hex digits of SHA-256 over a ticket's seed (its 6 raw bytes).

    The scanner works out the same from the seed inside a code (static/js/scanner/ticket.js).
    """
    try:
        raw = bytes.fromhex(secret)
    except ValueError:  # not a seed we issued: it matches no code
        raw = secret.encode()
    return hashlib.sha256(raw).hexdigest()[:8]


def snapshot_version(event, *, early_minutes: int) -> SnapshotVersion:
    """Return the version of an event's snapshot (one query)."""
    row = db.session.execute(_version_query(), {"event_id": event.id}).one()
    return SnapshotVersion(
        event_id=event.id,
        tickets=row.tickets,
        checked_in=row.checked_in or 0,
        active=row.active or 0,
        last_change=row.last_change,
        window=door_window(event, early_minutes),
    )


@cache
def _version_query() -> Select:
    return select(
        func.count().label("tickets"),
        func.count(Ticket.checked_in_dt).label("checked_in"),
        func.sum(case((Ticket.status == TicketStatus.active, 1), else_=0)).label("active"),
        func.max(Ticket.changed_dt).label("last_change"),
    ).where(Ticket.event_id == bindparam("event_id"))


def parse_revision(text: str | None) -> datetime | None:
    """Return the time a scanner's ?since= stands for; None (send everything) if it is no time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def ticket_rows(event_id: int, since: datetime | None) -> list[list]:
    """Return [ticket id, fingerprint, state, checked in (Unix seconds, 0: not in)] per ticket.

    since: only the tickets changed from CHANGE_OVERLAP before it; None: every ticket.
    """
    query = (
        select(
            Ticket.id,
            Ticket.secret,
            Ticket.status,
            Ticket.checked_in_dt,
            Rsvp.status.label("rsvp_status"),
            Event.status.label("event_status"),
        )
        .join(Rsvp, Rsvp.id == Ticket.rsvp_id)
        .join(Event, Event.id == Ticket.event_id)
        .where(Ticket.event_id == event_id)
        .order_by(Ticket.id)
    )
    if since is not None:
        query = query.where(Ticket.changed_dt >= since - CHANGE_OVERLAP)
    return [
        [
            row.id,
            fingerprint(row.secret),
            _state(row),
            int(row.checked_in_dt.timestamp()) if row.checked_in_dt else 0,
        ]
        for row in db.session.execute(query)
    ]


def _state(row) -> str:
    if row.status == TicketStatus.active:
        return "waitlisted" if row.rsvp_status == RsvpStatus.waitlisted else "valid"
    if row.rsvp_status == RsvpStatus.cancelled or row.event_status == EventStatus.cancelled:
        return "cancelled"
    return "void"


def window_day(event, locale) -> str:
    """Return the event's day as a door warning names it, like "Thu, Dec 10", in its zone."""
    return door_day(event.start_dt, event, locale)


def door_day(moment: datetime, event, locale) -> str:
    """Return the day of a moment in the event's zone, like "Thu, Dec 10"."""
    return format_skeleton("MMMEd", moment, tzinfo=ZoneInfo(event.timezone), locale=locale)
