"""Door passes and check-in: one scan, one verdict, exact when two doors scan the same code.

A check-in is one conditional UPDATE of the ticket (``… WHERE checked_in_dt IS NULL``) that
returns the attendee it admits, then one INSERT into the scan log: two statements when the
ticket is valid, three when it is refused (the UPDATE, one SELECT to say why, the log). Two
doors scanning the same code at the same moment both run the UPDATE; the database lets one
through and the other finds the row already checked in, with the first one's time and door.

Every scan, admitted or refused, is logged with its result; a refused scan changes nothing
else. A scan carries the id its device gave it (``client_scan_id``): a request retried after a
dropped connection is recognised as the same scan and answered as the first time.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.models import CheckIn, DoorPass
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus
from eventsvc.rsvps.qr import InvalidTicketCode, decode_ticket, signing_key
from eventsvc.security import link_token, token_hash

logger = logging.getLogger(__name__)

#: How long after its event ends a door link keeps working (late arrivals, clean-up).
DOOR_PASS_GRACE = timedelta(hours=6)

#: Verdict codes, as the API returns them.
OK = "ok"
ALREADY_CHECKED_IN = "already_checked_in"
INVALID = "invalid"
OTHER_EVENT = "other_event"
UNKNOWN = "unknown"
CANCELLED = "cancelled"
REPLACED = "replaced"
WAITLISTED = "waitlisted"


@dataclass(frozen=True)
class Door:
    """Who scans: a door pass or a logged-in staff member, at one event."""

    event: Event
    door_pass: DoorPass | None = None
    staff: StaffUser | None = None

    @property
    def label(self) -> str:
        """Return the door's name as the verdicts show it."""
        if self.door_pass is not None:
            return self.door_pass.label
        return self.staff.name if self.staff is not None else ""


@dataclass(frozen=True)
class Verdict:
    """The answer to one scan."""

    result: str
    scan_id: int | None = None
    ticket_id: int | None = None
    rsvp_id: int | None = None
    name: str | None = None
    position: int | None = None
    party_size: int | None = None
    checked_in_dt: datetime | None = None
    door: str | None = None
    #: The same scan arrived again (a retry): this is the first answer, nothing changed.
    is_replay: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return whether the person may come in."""
        return self.result == OK


# --- door passes ------------------------------------------------------------------------------


def door_pass_token(door_pass: DoorPass) -> str:
    """Return the token of a door pass's link."""
    return link_token(current_app.config["SECRET_KEY"], "door-pass", door_pass.token_salt)


def create_door_pass(event: Event, label: str, *, actor: StaffUser | None = None) -> DoorPass:
    """Create a door link for one event; it expires when the event ends plus a grace period."""
    label = " ".join(label.split())
    if not label or len(label) > 80:
        raise DomainError("invalid_label", _("Give the door a name of up to 80 characters."))
    door_pass = DoorPass(
        event=event,
        label=label,
        token_salt=secrets.token_hex(16),
        expires_dt=event.end_dt + DOOR_PASS_GRACE,
        created_by=actor,
    )
    door_pass.token_hash = token_hash(door_pass_token(door_pass))
    db.session.add(door_pass)
    db.session.flush()
    logger.info("Door pass %s created for event %s", door_pass.id, event.id)
    return door_pass


def revoke_door_pass(door_pass: DoorPass, *, now: datetime | None = None) -> DoorPass:
    """Shut a door link at once."""
    door_pass.revoke(now or utc_now())
    db.session.flush()
    logger.info("Door pass %s revoked", door_pass.id)
    return door_pass


def door_for_token(token: str, *, now: datetime | None = None) -> Door:
    """Return the door a link's token opens, or raise why it does not."""
    if not token or len(token) > 64:
        raise DomainError("door_unknown", _("This door link is not valid."))
    door_pass = db.session.scalar(
        select(DoorPass)
        .where(DoorPass.token_hash == token_hash(token))
        .options(joinedload(DoorPass.event))  # one statement: the door and its event
    )
    if door_pass is None:
        raise DomainError("door_unknown", _("This door link is not valid."))
    if door_pass.revoked_dt is not None:
        raise DomainError("door_revoked", _("This door link was switched off by the organisers."))
    if not door_pass.is_valid(now or utc_now()):
        raise DomainError("door_expired", _("This door link has expired."))
    return Door(event=door_pass.event, door_pass=door_pass)


# --- check-in ---------------------------------------------------------------------------------


def _log(door: Door, result: str, *, ticket_id, client_scan_id, scanned_dt, now) -> CheckIn:
    entry = CheckIn(
        event_id=door.event.id,
        ticket_id=ticket_id,
        door_pass_id=door.door_pass.id if door.door_pass else None,
        staff_id=door.staff.id if door.staff else None,
        scanned_dt=scanned_dt or now,
        created_dt=now,
        client_scan_id=client_scan_id,
        result=result,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _refused(at: Door, result: str, logged_ticket_id, client_scan_id, scanned_dt, now, **known):
    """Log a refused scan and return its verdict; a retry of the same scan is logged once."""
    try:
        with db.session.begin_nested():
            entry = _log(
                at,
                result,
                ticket_id=logged_ticket_id,
                client_scan_id=client_scan_id,
                scanned_dt=scanned_dt,
                now=now,
            )
    except IntegrityError:
        # The same refused scan sent again (a retry): the first one is in the log already.
        return Verdict(result, is_replay=True, **known)
    return Verdict(result, scan_id=entry.id, **known)


def _of_rsvp(column):
    return select(column).where(Rsvp.id == Ticket.rsvp_id).scalar_subquery()


def check_in(
    door: Door,
    *,
    code: str | None = None,
    ticket_id: int | None = None,
    client_scan_id: str | None = None,
    scanned_dt: datetime | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Admit the holder of a ticket (by its scanned code, or by id from a name search)."""
    now = now or utc_now()
    event = door.event
    seed = None
    if code is not None:
        try:
            claim = decode_ticket(code, signing_key(current_app.config).public_key())
        except InvalidTicketCode:
            return _refused(door, INVALID, None, client_scan_id, scanned_dt, now)
        if claim.event_id != event.id:
            return _refused(door, OTHER_EVENT, None, client_scan_id, scanned_dt, now)
        ticket_id, seed = claim.ticket_id, claim.seed.hex()
    if ticket_id is None:
        raise DomainError("missing_code", _("Scan a code or pick a person."))

    # 1. The check-in itself: only an active, matching, not yet admitted ticket of this event.
    conditions = [
        Ticket.id == ticket_id,
        Ticket.event_id == event.id,
        Ticket.status == TicketStatus.active,
        Ticket.checked_in_dt.is_(None),
    ]
    if seed is not None:
        conditions.append(Ticket.secret == seed)
    admitted = db.session.execute(
        update(Ticket)
        .where(*conditions)
        .values(
            checked_in_dt=now,
            checked_in_door_id=door.door_pass.id if door.door_pass else None,
            checked_in_by_staff_id=door.staff.id if door.staff else None,
        )
        # Scalar subqueries, not UPDATE … FROM: SQLite's RETURNING sees only the updated table.
        .returning(
            Ticket.rsvp_id,
            Ticket.position,
            _of_rsvp(Rsvp.name).label("name"),
            _of_rsvp(Rsvp.party_size).label("party_size"),
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if admitted is not None:
        try:
            entry = _log(
                door,
                OK,
                ticket_id=ticket_id,
                client_scan_id=client_scan_id,
                scanned_dt=scanned_dt,
                now=now,
            )
        except IntegrityError:
            # The scan id was used before, for another ticket: the caller rolls back the UPDATE.
            raise DomainError("duplicate_scan_id", _("This scan was already sent.")) from None
        logger.info("Ticket %s checked in (scan %s)", ticket_id, entry.id)
        return Verdict(
            OK,
            scan_id=entry.id,
            ticket_id=ticket_id,
            rsvp_id=admitted.rsvp_id,
            name=admitted.name,
            position=admitted.position,
            party_size=admitted.party_size,
            checked_in_dt=now,
            door=door.label,
        )
    return _refusal(
        door, ticket_id, seed, client_scan_id=client_scan_id, scanned_dt=scanned_dt, now=now
    )


def _refusal(door: Door, ticket_id: int, seed: str | None, *, client_scan_id, scanned_dt, now):
    """Say why a ticket was not admitted (2nd statement) and log the refusal (3rd)."""
    same_scan = CheckIn.client_scan_id == client_scan_id if client_scan_id else false()
    row = db.session.execute(
        select(
            Ticket.event_id,
            Ticket.secret,
            Ticket.status,
            Ticket.position,
            Ticket.checked_in_dt,
            Rsvp.id.label("rsvp_id"),
            Rsvp.name,
            Rsvp.party_size,
            DoorPass.label.label("door_label"),
            StaffUser.name.label("staff_name"),
            CheckIn.id.label("earlier_scan_id"),
            CheckIn.ticket_id.label("earlier_ticket_id"),
            CheckIn.result.label("earlier_result"),
        )
        .select_from(Ticket)
        .join(Rsvp, Rsvp.id == Ticket.rsvp_id)
        .outerjoin(DoorPass, DoorPass.id == Ticket.checked_in_door_id)
        .outerjoin(StaffUser, StaffUser.id == Ticket.checked_in_by_staff_id)
        .outerjoin(CheckIn, same_scan)
        .where(Ticket.id == ticket_id)
    ).one_or_none()
    if row is None or row.event_id != door.event.id:
        result = UNKNOWN if row is None else OTHER_EVENT
    elif seed is not None and row.secret != seed:
        result = REPLACED
    elif row.status != TicketStatus.active:
        result = CANCELLED
    else:
        result = ALREADY_CHECKED_IN
    if row is not None and row.earlier_scan_id is not None:
        if row.earlier_ticket_id != ticket_id:
            raise DomainError("duplicate_scan_id", _("This scan was already sent."))
        if row.earlier_result == OK:
            # The same scan again, after it was admitted: answer it as the first time.
            return Verdict(
                OK,
                scan_id=row.earlier_scan_id,
                ticket_id=ticket_id,
                rsvp_id=row.rsvp_id,
                name=row.name,
                position=row.position,
                party_size=row.party_size,
                checked_in_dt=row.checked_in_dt,
                door=row.door_label or row.staff_name or "",
                is_replay=True,
            )
    known = {}
    if row is not None and result in {ALREADY_CHECKED_IN, CANCELLED}:
        known = {
            "ticket_id": ticket_id,
            "rsvp_id": row.rsvp_id,
            "name": row.name,
            "position": row.position,
            "party_size": row.party_size,
        }
    if result == ALREADY_CHECKED_IN:
        known |= {"checked_in_dt": row.checked_in_dt, "door": row.door_label or row.staff_name}
    logged_ticket = ticket_id if row is not None else None
    return _refused(door, result, logged_ticket, client_scan_id, scanned_dt, now, **known)


def undo_check_in(door: Door, scan_id: int, *, now: datetime | None = None) -> CheckIn:
    """Undo an admission made at this event (a wrong person, a mis-tap)."""
    now = now or utc_now()
    entry = db.session.get(CheckIn, scan_id)
    if entry is None or entry.event_id != door.event.id or not entry.is_admission:
        raise DomainError("not_undoable", _("This check-in cannot be undone."))
    cleared = db.session.execute(
        update(Ticket)
        .where(Ticket.id == entry.ticket_id, Ticket.checked_in_dt.is_not(None))
        .values(checked_in_dt=None, checked_in_door_id=None, checked_in_by_staff_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if cleared != 1:
        raise DomainError("not_undoable", _("This check-in cannot be undone."))
    entry.undo(now)
    db.session.flush()
    logger.info("Check-in %s undone", entry.id)
    return entry


# --- what the door sees -----------------------------------------------------------------------


@dataclass(frozen=True)
class DoorStats:
    """How many people of an event are in."""

    checked_in: int
    confirmed: int


def door_stats(event: Event) -> DoorStats:
    """Return checked-in people and confirmed seats, in one query."""
    checked_in, confirmed = db.session.execute(
        select(
            func.coalesce(func.sum(case((Ticket.checked_in_dt.is_not(None), 1), else_=0)), 0),
            func.count(),
        ).where(Ticket.event_id == event.id, Ticket.status == TicketStatus.active)
    ).one()
    return DoorStats(checked_in=int(checked_in), confirmed=int(confirmed))


def _folded(text: str) -> str:
    """Return text lower-cased and without accents, so "jose" finds "José Ñúñez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_attendees(event: Event, query: str, *, limit: int = 20) -> list[Rsvp]:
    """Return the event's live RSVPs whose name contains every word of query, accents aside."""
    words = _folded(query).split()
    if not words or len("".join(words)) < 2:
        return []
    # One event's attendees fit in memory; folding accents in Python works on every database.
    candidates = db.session.execute(
        select(Rsvp.id, Rsvp.name).where(
            Rsvp.event_id == event.id,
            Rsvp.status.in_([RsvpStatus.confirmed, RsvpStatus.waitlisted]),
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
