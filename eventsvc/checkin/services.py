"""Door passes and check-in: one scan, one verdict, exact when two doors scan the same code.

A check-in is one conditional UPDATE of the ticket (``… WHERE checked_in_dt IS NULL``) that
returns the attendee it admits, then one INSERT into the scan log: two statements when the
ticket is valid, three when it is refused (the UPDATE, one SELECT to say why, the log). Two
doors scanning the same code at the same moment both run the UPDATE; the database lets one
through and the other finds the row already checked in, with the first one's time and door.

Every scan, admitted or refused, is logged with its result; a refused scan changes nothing
else, and its log line names no ticket (so no person): the volunteer's verdict is worked out live
from the ticket, never read back from the log. A scan carries the id its device gave it
(``client_scan_id``): a request retried after a dropped connection is recognised as the same
scan and answered as the first time. The log keeps only a keyed digest of that id.

A code of an event whose attendees' data was purged is "expired": the purge gives every ticket
a new secret, and the verdict is decided from the signed code's event before any secret is
compared.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Select,
    Update,
    bindparam,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.models import CheckIn, DoorPass
from eventsvc.core.services import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError, Forbidden
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus
from eventsvc.rsvps.qr import InvalidTicketCode, decode_ticket, signing_key
from eventsvc.rsvps.services import RsvpData, RsvpOutcome, add_attendee
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
#: A code of an event whose attendees' data was purged (its tickets no longer exist as such).
EXPIRED = "expired"

#: The largest id an integer column holds (PostgreSQL's integer): a larger one finds nothing.
MAX_ID = 2**31 - 1


def is_valid_id(value: object) -> bool:
    """Return whether value can be the id of a row: an int (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


@dataclass(frozen=True)
class EventRef:
    """What a door needs of its event on the hot path: its id, its time zone, whether purged."""

    id: int
    timezone: str
    purged_dt: datetime | None = None


@dataclass(frozen=True)
class DoorPassRef:
    """What a scan needs of its door pass: its id and its name."""

    id: int
    label: str


@dataclass(frozen=True)
class Door:
    """Who scans: a door pass or a logged-in staff member, at one event."""

    event: Event | EventRef
    door_pass: DoorPass | DoorPassRef | None = None
    staff: StaffUser | None = None
    #: The door link was looked up in this request (False: a worker's recent lookup, reused).
    verified: bool = True

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
    record_audit(
        "door_pass.create",
        actor=actor,
        object_type="door_pass",
        object_id=door_pass.id,
        details={"event_id": event.id, "label": label},
    )
    logger.info("Door pass %s created for event %s", door_pass.id, event.id)
    return door_pass


def revoke_door_pass(
    door_pass: DoorPass, *, actor: StaffUser | None = None, now: datetime | None = None
) -> DoorPass:
    """Shut a door link at once."""
    door_pass.revoke(now or utc_now())
    db.session.flush()
    record_audit(
        "door_pass.revoke",
        actor=actor,
        object_type="door_pass",
        object_id=door_pass.id,
        details={"event_id": door_pass.event_id, "label": door_pass.label},
    )
    logger.info("Door pass %s revoked", door_pass.id)
    return door_pass


#: Seconds a worker reuses a door link's lookup for check-ins. The admission itself checks that
#: the link is still open, so a link switched off stops at its very next scan all the same.
DOOR_CACHE_SECONDS = 30
_recent_doors: dict[str, tuple[float, Door]] = {}


def door_for_token(token: str, *, now: datetime | None = None, reuse: bool = False) -> Door:
    """Return the door a link's token opens, or raise why it does not (Forbidden).

    One small query, with only what a scan needs; pages that show the event load it themselves.
    reuse: accept this worker's lookup of the last DOOR_CACHE_SECONDS (check-ins only: their
    admission checks the link again).
    """
    if not token or len(token) > 64:
        raise Forbidden("door_unknown", _("This door link is not valid."))
    key = token_hash(token)
    if reuse and (recent := _recent_doors.get(key)) and recent[0] > time.monotonic():
        return recent[1]
    row = db.session.execute(_door_query(), {"token_hash": key}).one_or_none()
    if row is None:
        raise Forbidden("door_unknown", _("This door link is not valid."))
    _check_open(row.revoked_dt, row.expires_dt, now or utc_now())
    door = Door(
        event=EventRef(row.event_id, row.timezone, row.purged_dt),
        door_pass=DoorPassRef(row.id, row.label),
    )
    _recent_doors[key] = (time.monotonic() + DOOR_CACHE_SECONDS, replace(door, verified=False))
    return door


def _check_open(revoked_dt: datetime | None, expires_dt: datetime, now: datetime) -> None:
    if revoked_dt is not None:
        raise Forbidden("door_revoked", _("This door link was switched off by the organisers."))
    if now >= expires_dt:
        raise Forbidden("door_expired", _("This door link has expired."))


def _check_door_still_open(door: Door, now: datetime) -> None:
    """Look again at a reused door link: switched off or expired since, it opens nothing."""
    if door.door_pass is None or door.verified:
        return
    row = db.session.execute(
        select(DoorPass.revoked_dt, DoorPass.expires_dt).where(DoorPass.id == door.door_pass.id)
    ).one_or_none()
    if row is None:  # deleted with its event since
        raise Forbidden("door_unknown", _("This door link is not valid."))
    _check_open(row.revoked_dt, row.expires_dt, now)


@cache
def _door_query() -> Select:
    return (
        select(
            DoorPass.id,
            DoorPass.label,
            DoorPass.revoked_dt,
            DoorPass.expires_dt,
            DoorPass.event_id,
            Event.timezone,
            Event.purged_dt,
        )
        .join(Event, Event.id == DoorPass.event_id)
        .where(DoorPass.token_hash == bindparam("token_hash"))
    )


# --- check-in ---------------------------------------------------------------------------------


def _log(door: Door, result: str, *, ticket_id, client_scan_id, scanned_dt, now) -> int:
    """Write one scan to the log and return its id: a plain INSERT, on the door's hot path."""
    return db.session.execute(
        insert(CheckIn.__table__)
        .values(
            event_id=door.event.id,
            ticket_id=ticket_id,
            door_pass_id=door.door_pass.id if door.door_pass else None,
            staff_id=door.staff.id if door.staff else None,
            scanned_dt=scanned_dt or now,
            created_dt=now,
            client_scan_id=client_scan_id,
            result=result,
            is_undone=False,
        )
        .returning(CheckIn.__table__.c.id)
    ).scalar_one()


def scan_key(client_scan_id: str | None) -> str | None:
    """Return what the log stores of a scan's client id: a keyed digest (64 hex characters).

    A retry still finds its first scan, while the log never holds text a client chose.
    """
    if client_scan_id is None:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    message = f"client-scan:{client_scan_id}".encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _refused(at: Door, result: str, client_scan_id, scanned_dt, now, **known):
    """Log a refused scan, naming no ticket, and return its verdict; a retry is logged once."""
    try:
        with db.session.begin_nested():
            scan_id = _log(
                at,
                result,
                ticket_id=None,  # a refusal's log line names nobody, of this event or another
                client_scan_id=client_scan_id,
                scanned_dt=scanned_dt,
                now=now,
            )
    except IntegrityError:
        # The same refused scan sent again (a retry): the first one is in the log already.
        return Verdict(result, is_replay=True, **known)
    return Verdict(result, scan_id=scan_id, **known)


@cache
def _with_log(admit: Update) -> Select:
    """PostgreSQL: the admission and its log line in one statement (data-modifying CTEs)."""
    log = CheckIn.__table__.c
    admitted = admit.cte("admitted")
    logged = (
        insert(CheckIn.__table__)
        .from_select(
            ["event_id", "ticket_id", "door_pass_id", "staff_id", "scanned_dt", "created_dt"]
            + ["client_scan_id", "result", "is_undone"],
            select(
                bindparam("the_event", type_=log.event_id.type),
                bindparam("the_ticket", type_=log.ticket_id.type),
                bindparam("door_id", type_=log.door_pass_id.type),
                bindparam("staff_id", type_=log.staff_id.type),
                bindparam("scanned", type_=log.scanned_dt.type),
                bindparam("now", type_=log.created_dt.type),
                bindparam("scan_id", type_=log.client_scan_id.type),
                literal(OK, log.result.type),
                false(),
            ).select_from(admitted),
        )
        .returning(log.id)
        .cte("logged")
    )
    return select(admitted, logged.c.id.label("scan_id")).join_from(admitted, logged, true())


@cache
def _admit_statement(*, with_seed: bool, by_door_pass: bool, guarded: bool = True) -> Update:
    """Build (once) the UPDATE that admits a ticket and returns who it is.

    by_door_pass: the door link must still be open (not switched off, not expired).
    guarded=False leaves out "not yet checked in": only the control test wants that, to show
    that two doors then admit the same ticket twice.
    """
    tickets = Ticket.__table__
    rsvps = Rsvp.__table__

    def of_rsvp(column):
        # Scalar subqueries, not UPDATE … FROM: SQLite's RETURNING sees only the updated table.
        return select(column).where(rsvps.c.id == tickets.c.rsvp_id).scalar_subquery()

    conditions = [
        tickets.c.id == bindparam("the_ticket"),
        tickets.c.event_id == bindparam("the_event"),
        tickets.c.status == TicketStatus.active,
    ]
    if guarded:
        conditions.append(tickets.c.checked_in_dt.is_(None))
    if with_seed:
        conditions.append(tickets.c.secret == bindparam("seed"))
    if by_door_pass:
        passes = DoorPass.__table__.c
        conditions.append(
            exists().where(
                passes.id == bindparam("door_id"),
                passes.revoked_dt.is_(None),
                passes.expires_dt > bindparam("now"),
            )
        )
    return (
        update(tickets)
        .where(*conditions)
        .values(
            checked_in_dt=bindparam("now"),
            checked_in_door_id=bindparam("door_id"),
            checked_in_by_staff_id=bindparam("staff_id"),
        )
        .returning(
            tickets.c.rsvp_id,
            tickets.c.position,
            of_rsvp(rsvps.c.name).label("name"),
            of_rsvp(rsvps.c.party_size).label("party_size"),
        )
    )


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
    client_scan_id = scan_key(client_scan_id)
    seed = None
    if code is None and ticket_id is None:
        raise DomainError("missing_code", _("Scan a code or pick a person."))
    if event.purged_dt is not None:
        # Its attendees' data is gone: no ticket of it is looked up, whatever was scanned.
        return _refused(door, EXPIRED, client_scan_id, scanned_dt, now)
    if code is not None:
        try:
            claim = decode_ticket(code, signing_key(current_app.config).public_key())
        except InvalidTicketCode:
            return _refused(door, INVALID, client_scan_id, scanned_dt, now)
        if claim.event_id != event.id:
            result = EXPIRED if _is_purged(claim.event_id) else OTHER_EVENT
            return _refused(door, result, client_scan_id, scanned_dt, now)
        ticket_id, seed = claim.ticket_id, claim.seed.hex()
    if not is_valid_id(ticket_id):
        return _refused(door, UNKNOWN, client_scan_id, scanned_dt, now)

    # 1. The check-in itself: only an active, matching, not yet admitted ticket of this event.
    #    On PostgreSQL the same statement writes the scan's log line.
    admit = _admit_statement(with_seed=seed is not None, by_door_pass=door.door_pass is not None)
    logs_too = db.session.get_bind().dialect.name == "postgresql"
    params = {
        "the_ticket": ticket_id,
        "the_event": event.id,
        "seed": seed,
        "now": now,
        "door_id": door.door_pass.id if door.door_pass else None,
        "staff_id": door.staff.id if door.staff else None,
        "scanned": scanned_dt or now,
        "scan_id": client_scan_id,
    }
    try:
        if logs_too:
            admitted = db.session.execute(_with_log(admit), params).one_or_none()
            scan_id = admitted.scan_id if admitted else None
        else:
            admitted = db.session.execute(admit, params).one_or_none()
            scan_id = None
            if admitted is not None:
                scan_id = _log(
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
    if admitted is not None:
        logger.info("Ticket %s checked in (scan %s)", ticket_id, scan_id)
        return Verdict(
            OK,
            scan_id=scan_id,
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


def _is_purged(event_id: int) -> bool:
    """Return whether the retention purge has erased the attendees of an event (one SELECT)."""
    if not is_valid_id(event_id):
        return False
    return db.session.scalar(select(Event.purged_dt).where(Event.id == event_id)) is not None


def _refusal(door: Door, ticket_id: int, seed: str | None, *, client_scan_id, scanned_dt, now):
    """Say why a ticket was not admitted (2nd statement) and log the refusal (3rd)."""
    _check_door_still_open(door, now)
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
    if row is not None and row.earlier_scan_id is not None and row.earlier_result == OK:
        # Only admissions name their ticket in the log: a refused scan sent again is found
        # below, when its log line is written a second time (_refused).
        if row.earlier_ticket_id != ticket_id:
            raise DomainError("duplicate_scan_id", _("This scan was already sent."))
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
    return _refused(door, result, client_scan_id, scanned_dt, now, **known)


def undo_check_in(door: Door, scan_id: int, *, now: datetime | None = None) -> CheckIn:
    """Undo an admission made at this event (a wrong person, a mis-tap)."""
    now = now or utc_now()
    entry = db.session.get(CheckIn, scan_id) if is_valid_id(scan_id) else None
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


# --- the organisers' live door view -----------------------------------------------------------

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
        select(CheckIn)
        .where(CheckIn.event_id == event.id)
        .options(
            joinedload(CheckIn.door_pass),
            joinedload(CheckIn.staff),
            joinedload(CheckIn.ticket).joinedload(Ticket.rsvp),
        )
        .order_by(CheckIn.created_dt.desc(), CheckIn.id.desc())
        .limit(recent)
    ).all()
    return DoorActivity(
        stats=door_stats(event),
        per_door=sorted(doors.items(), key=lambda item: (-item[1], item[0])),
        per_quarter=per_quarter,
        recent=list(scans),
    )


# --- the back office: the attendee list, manual check-in, the door list, exports ---------------

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
        & (CheckIn.result == OK)
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


def check_in_party(
    rsvp: Rsvp, count: int, *, staff: StaffUser, now: datetime | None = None
) -> list[Verdict]:
    """Admit count people of a party by hand (staff), logged like door scans."""
    if rsvp.is_anonymised or not rsvp.is_confirmed:
        raise DomainError("not_confirmed", _("Only a confirmed party can be checked in."))
    waiting = db.session.scalars(
        select(Ticket.id)
        .where(
            Ticket.rsvp_id == rsvp.id,
            Ticket.status == TicketStatus.active,
            Ticket.checked_in_dt.is_(None),
        )
        .order_by(Ticket.position)
    ).all()
    if not waiting:
        raise DomainError(ALREADY_CHECKED_IN, _("Everyone in this party is already in."))
    if not 1 <= count <= len(waiting):
        raise DomainError(
            "bad_count", _("Choose from 1 to %(n)d people to check in.", n=len(waiting))
        )
    door = Door(event=rsvp.event, staff=staff)
    admitted = [
        verdict
        for verdict in (check_in(door, ticket_id=t, now=now) for t in waiting[:count])
        if verdict.ok
    ]
    record_audit(
        "checkin.manual",
        actor=staff,
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "asked": count, "admitted": len(admitted)},
    )
    return admitted


def undo_admission(
    rsvp: Rsvp, scan_id: int, *, staff: StaffUser, now: datetime | None = None
) -> CheckIn:
    """Undo one admission of this party (staff): the person is no longer in."""
    entry = db.session.get(CheckIn, scan_id) if is_valid_id(scan_id) else None
    if entry is None or entry.ticket is None or entry.ticket.rsvp_id != rsvp.id:
        raise DomainError("not_undoable", _("This check-in cannot be undone."))
    undo_check_in(Door(event=rsvp.event, staff=staff), scan_id, now=now)
    record_audit(
        "checkin.undo",
        actor=staff,
        object_type="rsvp",
        object_id=rsvp.id,
        details={"event_id": rsvp.event_id, "scan_id": scan_id, "ticket_id": entry.ticket_id},
    )
    return entry


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


def register_attendee(
    event: Event,
    data: RsvpData,
    *,
    staff: StaffUser,
    notify: bool = True,
    check_in_now: bool = False,
    now: datetime | None = None,
) -> tuple[RsvpOutcome, list[Verdict]]:
    """Add a party by hand; a walk-in who got seats is checked in at once, the whole party."""
    outcome = add_attendee(event, data, actor=staff, notify=notify, now=now)
    admitted = []
    if check_in_now and outcome.rsvp.is_confirmed:
        admitted = check_in_party(outcome.rsvp, outcome.rsvp.party_size, staff=staff, now=now)
    return outcome, admitted


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
