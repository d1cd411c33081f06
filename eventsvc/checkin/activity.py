"""The organisers' live door view: who is in, through which door, when, and the latest scans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.models import CheckIn, DoorPass
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Ticket, TicketStatus
from eventsvc.rsvps.seats import DoorStats, door_stats

#: Arrivals are counted per quarter of an hour, in the event's own time zone.
ARRIVAL_BUCKET = timedelta(minutes=15)


#: The live view shows the last day of arrivals at most.
MAX_QUARTERS = 96


@dataclass(frozen=True)
class DoorActivity:
    """What the door has done so far: who is in, through which door, when, the latest scans."""

    stats: DoorStats
    #: (door label, people in), most first; "" is a check-in by a staff member's own scanner.
    per_door: list[tuple[str, int]]
    #: (local start of the quarter-hour, people in), oldest first, empty quarters included.
    per_quarter: list[tuple[datetime, int]]
    #: The latest scans, newest first.
    recent: list[CheckIn]


def _newest(query: Select, limit: int) -> Select:
    """Return the query's latest scans first, with their door, staff member and party loaded."""
    return (
        query.options(
            joinedload(CheckIn.door_pass),
            joinedload(CheckIn.staff),
            joinedload(CheckIn.ticket).joinedload(Ticket.rsvp),
        )
        .order_by(CheckIn.created_dt.desc(), CheckIn.id.desc())
        .limit(limit)
    )


def door_activity(event: Event, *, recent: int = 10) -> DoorActivity:
    """Return the live door view of an event (three queries)."""
    tz = ZoneInfo(event.timezone)
    arrivals = db.session.execute(
        select(Ticket.checked_in_dt, DoorPass.label, StaffUser.name)
        .outerjoin(DoorPass, DoorPass.id == Ticket.checked_in_door_id)
        .outerjoin(StaffUser, StaffUser.id == Ticket.checked_in_by_staff_id)
        .where(
            Ticket.event_id == event.id,
            Ticket.status == TicketStatus.active,
            Ticket.checked_in_dt.is_not(None),
        )
    ).all()
    doors: dict[str, int] = {}
    quarters: dict[datetime, int] = {}
    for checked_in_dt, door_label, staff_name in arrivals:
        label = door_label or staff_name or ""
        doors[label] = doors.get(label, 0) + 1
        local = checked_in_dt.astimezone(tz)
        quarter = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
        # Keyed in UTC: the hour a DST change repeats holds two different quarters.
        key = quarter.astimezone(UTC)
        quarters[key] = quarters.get(key, 0) + 1
    per_quarter = []
    if quarters:
        last = max(quarters)
        start = max(min(quarters), last - ARRIVAL_BUCKET * (MAX_QUARTERS - 1))
        while start <= last:
            per_quarter.append((start.astimezone(tz), quarters.get(start, 0)))
            start += ARRIVAL_BUCKET
    scans = db.session.scalars(
        _newest(select(CheckIn).where(CheckIn.event_id == event.id), recent)
    ).all()
    return DoorActivity(
        stats=door_stats(event),
        per_door=sorted(doors.items(), key=lambda item: (-item[1], item[0])),
        per_quarter=per_quarter,
        recent=list(scans),
    )


@dataclass(frozen=True)
class Conflict:
    """A ticket a phone let in offline that the server refused: who, where, and the first entry."""

    scan: CheckIn
    #: The ticket's admission that stands (None: the ticket was cancelled or replaced instead).
    admitted_dt: datetime | None
    admitted_door: str | None


@dataclass(frozen=True)
class DoorProblems:
    """What the organisers should look at after offline scanning."""

    conflicts: list[Conflict]
    #: Scans from a device whose clock was more than five minutes off, newest first.
    skewed: list[CheckIn]


def door_problems(event: Event, *, limit: int = 50) -> DoorProblems:
    """Return the conflicts and the scans of devices with a wrong clock (two queries)."""
    first_door = DoorPass.__table__.alias("first_door")
    first_staff = StaffUser.__table__.alias("first_staff")
    rows = db.session.execute(
        _newest(
            select(CheckIn, Ticket.checked_in_dt, first_door.c.label, first_staff.c.name)
            .join(Ticket, Ticket.id == CheckIn.ticket_id)
            .outerjoin(first_door, first_door.c.id == Ticket.checked_in_door_id)
            .outerjoin(first_staff, first_staff.c.id == Ticket.checked_in_by_staff_id)
            .where(CheckIn.event_id == event.id, CheckIn.is_conflict),
            limit,
        )
    ).all()
    skewed = db.session.scalars(
        _newest(
            select(CheckIn).where(
                CheckIn.event_id == event.id, CheckIn.clock_offset_s.is_not(None)
            ),
            limit,
        )
    ).all()
    return DoorProblems(
        conflicts=[
            Conflict(scan, admitted_dt, door_label or staff_name)
            for scan, admitted_dt, door_label, staff_name in rows
        ],
        skewed=list(skewed),
    )
