"""Check-in: one scan, one verdict, exact when two doors scan the same code.

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
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy import (
    Select,
    Update,
    bindparam,
    exists,
    false,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.doors import Door, check_door_still_open, door_window, is_valid_id
from eventsvc.checkin.models import CheckIn, CheckInResult, DoorPass
from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, Ticket, TicketStatus
from eventsvc.rsvps.qr import InvalidTicketCode, decode_ticket, signing_key
from eventsvc.rsvps.services import RsvpData, RsvpOutcome
from eventsvc.rsvps.staff import add_attendee

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """The answer to one scan."""

    result: CheckInResult
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
    #: An offline admission the server could not honour (already in, cancelled, replaced).
    is_conflict: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return whether the person may come in."""
        return self.result == CheckInResult.ok


@dataclass(frozen=True)
class Scan:
    """What the scanner said of one scan, besides the ticket: the log's fields."""

    #: scan_key() of the client's scan id: a retry is the same scan.
    key: str | None = None
    #: When the device scanned (corrected by its clock's offset), None: when the server got it.
    scanned_dt: datetime | None = None
    #: The phone admitted the holder while offline and sends the scan now.
    offline: bool = False
    #: The device clock's offset, when more than CLOCK_SKEW_LIMIT_S.
    clock_offset_s: int | None = None


def _log(door: Door, result: CheckInResult, *, ticket_id, scan: Scan, now, conflict=False) -> int:
    """Write one scan to the log and return its id: a plain INSERT, on the door's hot path."""
    return db.session.execute(
        insert(CheckIn.__table__)
        .values(
            event_id=door.event.id,
            ticket_id=ticket_id,
            door_pass_id=door.door_pass.id if door.door_pass else None,
            staff_id=door.staff.id if door.staff else None,
            scanned_dt=scan.scanned_dt or now,
            created_dt=now,
            client_scan_id=scan.key,
            result=result,
            is_undone=False,
            is_offline=scan.offline,
            is_conflict=conflict,
            clock_offset_s=scan.clock_offset_s,
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


def _refused(at: Door, result: CheckInResult, scan: Scan, now, *, conflict_ticket=None, **known):
    """Log a refused scan and return its verdict; a retry is logged once.

    The log line names no ticket (so nobody, of this event or another), except a conflict's:
    conflict_ticket is the ticket a phone admitted offline that the server could not honour.
    """
    conflict = conflict_ticket is not None
    try:
        with db.session.begin_nested():
            scan_id = _log(
                at, result, ticket_id=conflict_ticket, scan=scan, now=now, conflict=conflict
            )
    except IntegrityError:
        # The same refused scan sent again (a retry): the first one is in the log already.
        return Verdict(result, is_replay=True, is_conflict=conflict, **known)
    if conflict:
        logger.warning(
            "Offline admission of ticket %s refused: %s (scan %s)", conflict_ticket, result, scan_id
        )
    return Verdict(result, scan_id=scan_id, is_conflict=conflict, **known)


@cache
def _with_log(admit: Update) -> Select:
    """PostgreSQL: the admission and its log line in one statement (data-modifying CTEs)."""
    log = CheckIn.__table__.c
    admitted = admit.cte("admitted")
    logged = (
        insert(CheckIn.__table__)
        .from_select(
            ["event_id", "ticket_id", "door_pass_id", "staff_id", "scanned_dt", "created_dt"]
            + ["client_scan_id", "result", "is_undone", "is_offline", "is_conflict"]
            + ["clock_offset_s"],
            select(
                bindparam("the_event", type_=log.event_id.type),
                bindparam("the_ticket", type_=log.ticket_id.type),
                bindparam("door_id", type_=log.door_pass_id.type),
                bindparam("staff_id", type_=log.staff_id.type),
                bindparam("scanned", type_=log.scanned_dt.type),
                bindparam("now", type_=log.created_dt.type),
                bindparam("scan_id", type_=log.client_scan_id.type),
                literal(CheckInResult.ok, log.result.type),
                false(),
                bindparam("offline", type_=log.is_offline.type),
                false(),
                bindparam("clock_offset", type_=log.clock_offset_s.type),
            ).select_from(admitted),
        )
        .returning(log.id)
        .cte("logged")
    )
    return select(admitted, logged.c.id.label("scan_id")).join_from(admitted, logged, true())


@cache
def _admit_statement(*, with_seed: bool, by_door_pass: bool, guarded: bool = True) -> Update:
    """Build (once) the UPDATE that admits a ticket and returns who it is.

    by_door_pass: the door link must still be open (not switched off, not expired) and its
    event published (not cancelled, not a draft again).
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
        passes, events = DoorPass.__table__.c, Event.__table__.c
        conditions.append(
            exists().where(
                passes.id == bindparam("door_id"),
                passes.revoked_dt.is_(None),
                passes.expires_dt > bindparam("now"),
                events.id == passes.event_id,  # two primary-key look-ups: cheap on the hot path
                events.status == EventStatus.published,
            )
        )
    return (
        update(tickets)
        .where(*conditions)
        .values(
            checked_in_dt=bindparam("now"),
            checked_in_door_id=bindparam("door_id"),
            checked_in_by_staff_id=bindparam("staff_id"),
            # Explicit: inside the PostgreSQL CTE the column's onupdate is not applied.
            changed_dt=bindparam("now"),
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
    offline: bool = False,
    clock_offset_s: int | None = None,
    ask_day: bool = False,
) -> Verdict:
    """Admit the holder of a ticket (by its scanned code, or by id from a name search).

    offline: the phone already let them in while offline (a refusal is then a conflict).
    ask_day: outside the event's day, admit nobody but answer wrong_day for the volunteer to
    confirm (the door API does, until the scan comes again confirmed).
    """
    now = now or utc_now()
    event = door.event
    scan = Scan(scan_key(client_scan_id), scanned_dt, offline, clock_offset_s)
    seed = None
    if code is None and ticket_id is None:
        raise DomainError("missing_code", _("Scan a code or pick a person."))
    if event.purged_dt is not None:
        # Its attendees' data is gone: no ticket of it is looked up, whatever was scanned.
        return _refused(door, CheckInResult.expired, scan, now)
    if code is not None:
        try:
            claim = decode_ticket(code, signing_key(current_app.config).public_key())
        except InvalidTicketCode:
            return _refused(door, CheckInResult.invalid, scan, now)
        if claim.event_id != event.id:
            result = (
                CheckInResult.expired if _is_purged(claim.event_id) else CheckInResult.other_event
            )
            return _refused(door, result, scan, now)
        ticket_id, seed = claim.ticket_id, claim.seed.hex()
    if not is_valid_id(ticket_id):
        return _refused(door, CheckInResult.unknown, scan, now)
    if ask_day and not _on_the_day(event, scanned_dt or now):
        # Nothing is done or logged: the volunteer confirms, and the same scan comes again.
        return Verdict(CheckInResult.wrong_day, ticket_id=ticket_id)

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
        "scan_id": scan.key,
        "offline": offline,
        "clock_offset": clock_offset_s,
    }
    try:
        if logs_too:
            admitted = db.session.execute(_with_log(admit), params).one_or_none()
            scan_id = admitted.scan_id if admitted else None
        else:
            admitted = db.session.execute(admit, params).one_or_none()
            scan_id = None
            if admitted is not None:
                scan_id = _log(door, CheckInResult.ok, ticket_id=ticket_id, scan=scan, now=now)
    except IntegrityError:
        # The scan id was used before, for another ticket: the caller rolls back the UPDATE.
        raise DomainError("duplicate_scan_id", _("This scan was already sent.")) from None
    if admitted is not None:
        logger.info("Ticket %s checked in (scan %s)", ticket_id, scan_id)
        return Verdict(
            CheckInResult.ok,
            scan_id=scan_id,
            ticket_id=ticket_id,
            rsvp_id=admitted.rsvp_id,
            name=admitted.name,
            position=admitted.position,
            party_size=admitted.party_size,
            checked_in_dt=now,
            door=door.label,
        )
    return _refusal(door, ticket_id, seed, scan=scan, now=now)


def _is_purged(event_id: int) -> bool:
    """Return whether the retention purge has erased the attendees of an event (one SELECT)."""
    if not is_valid_id(event_id):
        return False
    return db.session.scalar(select(Event.purged_dt).where(Event.id == event_id)) is not None


def _on_the_day(event, at: datetime) -> bool:
    """Return whether at is inside the door's window (door_window) for this event."""
    opens, closes = door_window(event, current_app.config["DOOR_EARLY_MINUTES"])
    return opens <= at < closes


def _refusal(door: Door, ticket_id: int, seed: str | None, *, scan: Scan, now):
    """Say why a ticket was not admitted (2nd statement) and log the refusal (3rd)."""
    check_door_still_open(door, now)
    same_scan = CheckIn.client_scan_id == scan.key if scan.key else false()
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
        result = CheckInResult.unknown if row is None else CheckInResult.other_event
    elif seed is not None and row.secret != seed:
        result = CheckInResult.replaced
    elif row.status != TicketStatus.active:
        result = CheckInResult.cancelled
    else:
        result = CheckInResult.already_checked_in
    if (
        row is not None
        and row.earlier_scan_id is not None
        and row.earlier_result == CheckInResult.ok
    ):
        # Only admissions name their ticket in the log: a refused scan sent again is found
        # below, when its log line is written a second time (_refused).
        if row.earlier_ticket_id != ticket_id:
            raise DomainError("duplicate_scan_id", _("This scan was already sent."))
        # The same scan again, after it was admitted: answer it as the first time.
        return Verdict(
            CheckInResult.ok,
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
    if row is not None and result in {CheckInResult.already_checked_in, CheckInResult.cancelled}:
        known = {
            "ticket_id": ticket_id,
            "rsvp_id": row.rsvp_id,
            "name": row.name,
            "position": row.position,
            "party_size": row.party_size,
        }
    if result == CheckInResult.already_checked_in:
        known |= {"checked_in_dt": row.checked_in_dt, "door": row.door_label or row.staff_name}
    # A phone that let someone in offline on a ticket of this event the server refuses: both
    # scans stay in the log, the ticket is admitted once, and organisers see the conflict.
    conflict = scan.offline and result in _CONFLICTS
    return _refused(
        door, result, scan, now, conflict_ticket=ticket_id if conflict else None, **known
    )


#: Refusals of an offline admission that mean someone came in who should not have.
_CONFLICTS = frozenset(
    {CheckInResult.already_checked_in, CheckInResult.cancelled, CheckInResult.replaced}
)


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
        raise DomainError(
            CheckInResult.already_checked_in, _("Everyone in this party is already in.")
        )
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


def resolve_ticket(code: str) -> Ticket:
    """Return the active ticket a scanned code stands for, or raise why it is refused.

    The error's code is the CheckInResult a door would answer: invalid (not a code we signed),
    unknown (no such ticket), replaced (the ticket was re-issued and this is an old code),
    cancelled (void).
    """
    claim = decode_ticket(code, signing_key(current_app.config).public_key())
    ticket = db.session.get(Ticket, claim.ticket_id)
    if ticket is None or ticket.event_id != claim.event_id:
        raise DomainError(CheckInResult.unknown, _("This ticket is not known."))
    if not hmac.compare_digest(ticket.secret, claim.seed.hex()):
        raise DomainError(CheckInResult.replaced, _("This ticket was replaced by a newer one."))
    if not ticket.is_active:
        raise DomainError(CheckInResult.cancelled, _("This ticket was cancelled."))
    return ticket
