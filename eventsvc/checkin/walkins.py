"""Walk-ins: people who come to the door without an RSVP, added and let in at once.

A volunteer (a door link or a logged-in volunteer) gives the party's size and, if the guest
wants, a first name; the party is added like a walk-in in the back office (no email, no phone,
seated by the public's rules under the event's lock) and every one of its tickets is checked
in at once, each logged as a scan at this door, so the door's counters count them.

The request carries the scanner's ``client_scan_id``: sent again (an answer lost on bad wifi)
it is the same walk-in, answered as the first time, and nobody is added twice. The scan log
holds only keyed digests of it (``scan_key``), one per ticket, in a space of their own: no
ticket scan's id can stand for a walk-in's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select

from eventsvc.checkin.doors import Door, check_event_open, door_window
from eventsvc.checkin.models import CheckIn, CheckInResult
from eventsvc.checkin.services import check_in, scan_key
from eventsvc.checkin.snapshot import door_day
from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.locking import lock_event
from eventsvc.extensions import db
from eventsvc.i18n import _, ngettext
from eventsvc.inputs import unstorable
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.rsvps.seats import seat_counts
from eventsvc.rsvps.services import RsvpData, check_party_size
from eventsvc.rsvps.staff import add_attendee

logger = logging.getLogger(__name__)

#: The longest first name a walk-in is added under (the API's document says the same).
FIRST_NAME_MAX = 60


class EventFull(DomainError):
    """No seat for the party: the event is full, or people are waiting for seats."""

    status = 409

    def __init__(self, party_size: int, free: int):
        if free > 0:
            message = ngettext(
                "Only %(num)d seat is left: a party of %(size)d does not fit.",
                "Only %(num)d seats are left: a party of %(size)d does not fit.",
                free,
                size=party_size,
            )
        else:
            message = _("The event is full: no seat is left for walk-ins.")
        super().__init__("full", message)


@dataclass(frozen=True)
class WalkIn:
    """A walk-in party that was added and admitted."""

    rsvp_id: int | None
    #: The name the party was added under: the first name given, else "Walk-in".
    name: str
    party_size: int
    #: The first ticket's admission in the scan log.
    scan_id: int | None
    #: The same walk-in sent again (a retry): this is the first answer, nothing changed.
    is_replay: bool = False

    def welcome(self) -> str:
        """Return what the volunteer reads once the party is in, in their language."""
        if self.name and self.name != _("Walk-in"):  # a retry comes in the same language
            return ngettext(
                "Welcome, %(name)s — walk-in, %(num)d person",
                "Welcome, %(name)s — walk-in party of %(num)d",
                self.party_size,
                name=self.name,
            )
        return ngettext(
            "Walk-in: %(num)d person admitted", "Walk-in: %(num)d people admitted", self.party_size
        )


def walk_in_name(first_name: str | None) -> str:
    """Return the name a walk-in is added under: the first name given, else "Walk-in"."""
    name = " ".join((first_name or "").split())
    if len(name) > FIRST_NAME_MAX or unstorable([name]):
        raise DomainError("bad_request", first_name_message())
    return name or _("Walk-in")


def first_name_message() -> str:
    """Return what a scanner is told about a first name that cannot be one."""
    return _("first_name must be a name of at most %(n)d characters.", n=FIRST_NAME_MAX)


def _ticket_scan_id(client_scan_id: str, position: int) -> str:
    # "/" is not in a check-in's client_scan_id (its pattern): no ticket scan can match these.
    return f"walk-in/{client_scan_id}/{position}"


def admit_walk_in(
    door: Door,
    *,
    party_size: int,
    client_scan_id: str,
    first_name: str | None = None,
    language: str = "en",
    scanned_dt: datetime | None = None,
    clock_offset_s: int | None = None,
    now: datetime | None = None,
) -> WalkIn:
    """Add a party that came without an RSVP, with no email or phone, and admit all of it.

    Raises EventFull (409) when the party has no seats, and the back office's own refusals
    (party_too_large, closed, event_cancelled) as they are.
    """
    now = now or utc_now()
    name = walk_in_name(first_name)
    event = lock_event(door.event)  # retries of one walk-in take turns too: the first one wins
    earlier = _earlier_walk_in(door, client_scan_id)
    if earlier is not None:
        return earlier
    check_event_open(event.status)
    if event.has_ended(now):
        raise DomainError("closed", _("This event is over: nobody can be added any more."))
    opens, _closes = door_window(event, current_app.config["DOOR_EARLY_MINUTES"])
    if now < opens:
        # A door link is shared days ahead: it must not fill the seats before the doors open.
        raise DomainError(
            "closed",
            _("Walk-ins are admitted from %(when)s.", when=_local(opens, event)),
        )
    check_party_size(event, party_size)
    taken, waiting = seat_counts(event.id)
    if waiting or taken + party_size > event.capacity:
        raise EventFull(party_size, 0 if waiting else event.capacity - taken)
    data = RsvpData(name=name, email=None, phone=None, language=language, party_size=party_size)
    rsvp = add_attendee(event, data, actor=door.staff, notify=False, now=now).rsvp
    verdicts = [  # the people are at the door: no question of the day (ask_day stays off)
        check_in(
            door,
            ticket_id=ticket.id,
            client_scan_id=_ticket_scan_id(client_scan_id, ticket.position),
            scanned_dt=scanned_dt,
            clock_offset_s=clock_offset_s,
            now=now,
        )
        for ticket in sorted(rsvp.tickets, key=lambda t: t.position)
    ]
    if not rsvp.is_confirmed or not all(v.ok for v in verdicts):
        # Seats were checked under the lock; a door link switched off this very moment.
        raise DomainError("not_admitted", _("The walk-in could not be admitted. Try again."))
    record_audit(
        "checkin.walkin",
        actor=door.staff,  # None at a door link: the details name the door pass
        actor_label="" if door.staff else "door link",
        object_type="rsvp",
        object_id=rsvp.id,
        details={
            "event_id": event.id,
            "party_size": party_size,
            "door_pass_id": door.door_pass.id if door.door_pass else None,
            "door": door.door_pass.label if door.door_pass else None,
        },
    )
    logger.info("Walk-in party %s of %d admitted at event %s", rsvp.id, party_size, event.id)
    return WalkIn(rsvp.id, rsvp.name, party_size, verdicts[0].scan_id)


def _local(moment: datetime, event) -> str:
    """Return a moment as the door reads it, like "Thu, Dec 10, 5:00 PM PST"."""
    zone, locale = ZoneInfo(event.timezone), babel_locale(get_locale())
    day = door_day(moment, event, locale)
    time = format_time(moment, "short", tzinfo=zone, locale=locale)
    return f"{day}, {time} {moment.astimezone(zone).tzname()}"


def _earlier_walk_in(door: Door, client_scan_id: str) -> WalkIn | None:
    """Return the walk-in this scan id admitted before, if it did (the same request again)."""
    row = db.session.execute(
        select(CheckIn.id, CheckIn.event_id, CheckIn.result, Rsvp.id, Rsvp.name, Rsvp.party_size)
        .outerjoin(Ticket, Ticket.id == CheckIn.ticket_id)
        .outerjoin(Rsvp, Rsvp.id == Ticket.rsvp_id)
        .where(CheckIn.client_scan_id == scan_key(_ticket_scan_id(client_scan_id, 1)))
    ).one_or_none()
    if row is None:
        return None
    scan_id, event_id, result, rsvp_id, name, party_size = row
    if event_id != door.event.id or result != CheckInResult.ok:
        raise DomainError("duplicate_scan_id", _("This scan was already sent."))
    return WalkIn(rsvp_id, name or "", party_size or 1, scan_id, is_replay=True)
