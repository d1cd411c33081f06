"""The back office's people at an event: the attendee list, name search, exports, the door list.

Reads only, apart from the audit lines the exports leave. Search folds accents and case, so
"jose" finds "José Ñúñez" at the door and in the list alike.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    case,
    func,
    select,
)
from sqlalchemy.orm import joinedload, selectinload

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.models import CheckIn, CheckInResult, DoorPass
from eventsvc.core.audit import record_audit
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

logger = logging.getLogger(__name__)


def _folded(text: str) -> str:
    """Return text lower-cased and without accents, so "jose" finds "José Ñúñez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_attendees(event: Event, query: str, *, limit: int = 20) -> list[Rsvp]:
    """Return the event's live RSVPs whose name contains every word of query, accents aside.

    An event whose attendees' data was purged has nobody to find.
    """
    words = _folded(query).split()
    if not words or len("".join(words)) < 2 or event.purged_dt is not None:
        return []
    # One event's attendees fit in memory; folding accents in Python works on every database.
    candidates = db.session.execute(
        select(Rsvp.id, Rsvp.name).where(
            Rsvp.event_id == event.id,
            Rsvp.status.in_([RsvpStatus.confirmed, RsvpStatus.waitlisted]),
            Rsvp.is_anonymised.is_(False),
        )
    ).all()
    ids = [rid for rid, name in candidates if all(w in _folded(name) for w in words)][:limit]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Rsvp)
            .where(Rsvp.id.in_(ids))
            .options(selectinload(Rsvp.tickets))
            .order_by(Rsvp.name, Rsvp.id)
        )
    )


# --- the back office: the attendee list, the door list, exports -------------------------------

#: The attendee list's filters ("live": everyone not cancelled).
ATTENDEE_FILTERS = (
    "live",
    "confirmed",
    "waitlisted",
    "checked_in",
    "not_checked_in",
    "cancelled",
    "interpretation",
    "access_needs",
    "all",
)


#: The attendee list's orders.
ATTENDEE_SORTS = ("name", "rsvp_time", "party_size", "waitlist")


#: Parties per page of the attendee list.
ATTENDEES_PER_PAGE = 100


@dataclass(frozen=True)
class AttendeeFilter:
    """What the attendee list (and its export) shows: a search, one filter, one order."""

    q: str = ""
    show: str = "live"
    sort: str = "name"


@dataclass(frozen=True)
class AttendeeSummary:
    """One party as the attendee list counts, filters and sorts it."""

    rsvp_id: int
    status: RsvpStatus
    party_size: int
    created_dt: datetime
    is_anonymised: bool
    has_access_needs: bool
    has_interpretation: bool
    #: Active tickets, and how many of them are checked in.
    tickets: int
    checked_in: int
    waitlist_position: int | None
    name_key: str

    def shown_by(self, show: str) -> bool:
        """Return whether the filter show lists this party."""
        live = self.status != RsvpStatus.cancelled
        confirmed = self.status == RsvpStatus.confirmed
        return {
            "live": live,
            "all": True,
            "confirmed": confirmed,
            "waitlisted": self.status == RsvpStatus.waitlisted,
            "cancelled": not live,
            "checked_in": self.checked_in > 0,
            "not_checked_in": confirmed and self.checked_in < self.tickets,
            "interpretation": live and self.has_interpretation,
            "access_needs": live and self.has_access_needs,
        }.get(show, False)


@dataclass(frozen=True)
class AttendeePage:
    """One page of the attendee list, the counts of every filter, and where the page is."""

    rsvps: list[Rsvp]
    summaries: dict[int, AttendeeSummary]
    #: Parties per filter, among those the search matches.
    counts: dict[str, int]
    #: Parties and people the filter shows (every page).
    total: int
    people: int
    page: int
    pages: int


def _search_matcher(query: str):
    """Return a test of (name, email, phone): every name word (accents aside), email or phone."""
    query = query.strip()[:100]
    words = _folded(query).split()
    lowered = query.casefold()
    digits = "".join(c for c in query if c.isdigit())

    def matches(name: str, email: str | None, phone: str | None) -> bool:
        if not words:
            return True
        if all(w in _folded(name) for w in words):
            return True
        if email and lowered in email:
            return True
        return len(digits) >= 3 and bool(phone) and digits in phone

    return matches


def _attendee_summaries(event: Event, filters: AttendeeFilter) -> list[AttendeeSummary]:
    """Return the parties the search matches, in the filter's order, with two queries."""
    matches = _search_matcher(filters.q)
    rows = db.session.execute(
        select(
            Rsvp.id,
            Rsvp.name,
            Rsvp.email,
            Rsvp.phone,
            Rsvp.status,
            Rsvp.party_size,
            Rsvp.created_dt,
            Rsvp.waitlisted_dt,
            Rsvp.is_anonymised,
            (Rsvp.access_needs != "").label("has_access_needs"),
            (Rsvp.interpretation_request != "").label("has_interpretation"),
        ).where(Rsvp.event_id == event.id)
    ).all()
    active = Ticket.status == TicketStatus.active
    tickets = {
        rsvp_id: (int(total or 0), int(checked_in or 0))
        for rsvp_id, total, checked_in in db.session.execute(
            select(
                Ticket.rsvp_id,
                func.sum(case((active, 1), else_=0)),
                func.sum(case((active & Ticket.checked_in_dt.is_not(None), 1), else_=0)),
            )
            .where(Ticket.event_id == event.id)
            .group_by(Ticket.rsvp_id)
        )
    }
    # The waitlist's order is rsvps.services.waitlist_position's: joined first, then id.
    waiting = sorted(
        (r for r in rows if r.status == RsvpStatus.waitlisted),
        key=lambda r: (r.waitlisted_dt, r.id),
    )
    positions = {r.id: n for n, r in enumerate(waiting, start=1)}
    summaries = [
        AttendeeSummary(
            rsvp_id=r.id,
            status=r.status,
            party_size=r.party_size,
            created_dt=r.created_dt,
            is_anonymised=r.is_anonymised,
            has_access_needs=bool(r.has_access_needs),
            has_interpretation=bool(r.has_interpretation),
            tickets=tickets.get(r.id, (0, 0))[0],
            checked_in=tickets.get(r.id, (0, 0))[1],
            waitlist_position=positions.get(r.id),
            name_key=_folded(r.name),
        )
        for r in rows
        if matches(r.name, r.email, r.phone)
    ]
    orders = {
        "name": lambda s: (s.is_anonymised, s.name_key, s.rsvp_id),
        "rsvp_time": lambda s: (s.created_dt, s.rsvp_id),
        "party_size": lambda s: (-s.party_size, s.name_key, s.rsvp_id),
        "waitlist": lambda s: (
            s.waitlist_position is None,
            s.waitlist_position or 0,
            s.name_key,
            s.rsvp_id,
        ),
    }
    summaries.sort(key=orders.get(filters.sort, orders["name"]))
    return summaries


def _load_rsvps(ids: list[int]) -> list[Rsvp]:
    """Return the RSVPs of ids in that order, with one query."""
    if not ids:
        return []
    by_id = {r.id: r for r in db.session.scalars(select(Rsvp).where(Rsvp.id.in_(ids)))}
    return [by_id[i] for i in ids]


def find_attendees(
    event: Event, filters: AttendeeFilter, *, page: int = 1, per_page: int = ATTENDEES_PER_PAGE
) -> AttendeePage:
    """Return one page of an event's parties, searched, filtered and sorted, and the counts."""
    summaries = _attendee_summaries(event, filters)
    counts = {show: sum(s.shown_by(show) for s in summaries) for show in ATTENDEE_FILTERS}
    shown = [s for s in summaries if s.shown_by(filters.show)]
    pages = max(1, -(-len(shown) // per_page))
    page = min(max(page, 1), pages)
    on_page = shown[(page - 1) * per_page : page * per_page]
    return AttendeePage(
        rsvps=_load_rsvps([s.rsvp_id for s in on_page]),
        summaries={s.rsvp_id: s for s in on_page},
        counts=counts,
        total=len(shown),
        people=sum(s.party_size for s in shown),
        page=page,
        pages=pages,
    )


def _local_iso(moment: datetime | None, event: Event) -> str:
    """Return a UTC time as ISO 8601 in the event's zone, with its offset ("" for none)."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(event.timezone)).isoformat(timespec="seconds")


ATTENDEES_EXPORT_HEADER = (
    "id",
    "name",
    "email",
    "phone",
    "language",
    "party_size",
    "status",
    "waitlist_position",
    "checked_in",
    "rsvp_time",
    "access_needs",
    "interpretation",
    "reminders_ok",
    "data_deleted",
)


def export_attendees(
    event: Event, filters: AttendeeFilter, *, actor
) -> tuple[tuple[str, ...], list[list]]:
    """Return the header and rows of an event's attendee export; write it to the audit log."""
    shown = [s for s in _attendee_summaries(event, filters) if s.shown_by(filters.show)]
    rows = []
    for rsvp, s in zip(_load_rsvps([s.rsvp_id for s in shown]), shown, strict=True):
        rows.append(
            [
                rsvp.id,
                rsvp.name,
                rsvp.email or "",
                rsvp.phone or "",
                rsvp.language,
                rsvp.party_size,
                rsvp.status.value,
                s.waitlist_position or "",
                s.checked_in,
                _local_iso(rsvp.created_dt, event),
                rsvp.access_needs,
                rsvp.interpretation_request,
                rsvp.consent_contact,
                rsvp.is_anonymised,
            ]
        )
    record_audit(
        "export.attendees",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={
            "event_id": event.id,
            "rows": len(rows),
            # Whether there was a search, never its text: it may be a name.
            "filters": {"search": bool(filters.q.strip()), "show": filters.show},
        },
    )
    db.session.flush()
    logger.info("attendees export of event %s: %d rows", event.id, len(rows))
    return ATTENDEES_EXPORT_HEADER, rows


CHECKINS_EXPORT_HEADER = (
    "scan_id",
    "scanned_at",
    "received_at",
    "result",
    "undone_at",
    "ticket_id",
    "rsvp_id",
    "name",
    "person",
    "door",
    "staff",
)


def export_check_ins(event: Event, *, actor) -> tuple[tuple[str, ...], list[list]]:
    """Return the header and rows of an event's scan log (admitted and refused); audit it.

    Only an admission names its ticket and person: a refused scan is a row with its result,
    time and door (lines logged before refusals stopped naming tickets are shown the same way).
    """
    named = (
        (Ticket.id == CheckIn.ticket_id)
        & (CheckIn.result == CheckInResult.ok)
        & (Ticket.event_id == CheckIn.event_id)
    )
    rows = [
        [
            entry.id,
            _local_iso(entry.scanned_dt, event),
            _local_iso(entry.created_dt, event),
            entry.result,
            _local_iso(entry.undone_dt, event) if entry.is_undone else "",
            ticket_id or "",
            rsvp_id or "",
            name or "",
            position or "",
            door_label or "",
            staff_name or "",
        ]
        for entry, ticket_id, rsvp_id, name, position, door_label, staff_name in db.session.execute(
            select(
                CheckIn,
                Ticket.id,
                Rsvp.id,
                Rsvp.name,
                Ticket.position,
                DoorPass.label,
                StaffUser.name,
            )
            .outerjoin(Ticket, named)
            .outerjoin(Rsvp, Rsvp.id == Ticket.rsvp_id)
            .outerjoin(DoorPass, DoorPass.id == CheckIn.door_pass_id)
            .outerjoin(StaffUser, StaffUser.id == CheckIn.staff_id)
            .where(CheckIn.event_id == event.id)
            .order_by(CheckIn.scanned_dt, CheckIn.id)
        )
    ]
    record_audit(
        "export.checkins",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={"event_id": event.id, "rows": len(rows), "filters": {}},
    )
    db.session.flush()
    logger.info("check-ins export of event %s: %d rows", event.id, len(rows))
    return CHECKINS_EXPORT_HEADER, rows


def scan_history(rsvp: Rsvp) -> list[CheckIn]:
    """Return every scan of the party's tickets, latest first, with doors and staff loaded."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .join(Ticket, Ticket.id == CheckIn.ticket_id)
            .where(Ticket.rsvp_id == rsvp.id)
            .options(
                joinedload(CheckIn.door_pass),
                joinedload(CheckIn.staff),
                joinedload(CheckIn.ticket),
            )
            .order_by(CheckIn.scanned_dt.desc(), CheckIn.id.desc())
        )
    )


def door_list(event: Event) -> list[Rsvp]:
    """Return the confirmed parties of an event, by name (accents aside), tickets loaded."""
    parties = db.session.scalars(
        select(Rsvp)
        .where(
            Rsvp.event_id == event.id,
            Rsvp.status == RsvpStatus.confirmed,
            Rsvp.is_anonymised.is_(False),
        )
        .options(selectinload(Rsvp.tickets))
    ).all()
    return sorted(parties, key=lambda r: (_folded(r.name), r.id))
