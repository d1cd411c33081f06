"""Door links: make and switch off a door pass, and find the door a link's token opens.

A door link is a private link (its token is hashed at rest) that lets a volunteer's phone scan
for one event until a few hours after it ends. A check-in may reuse a worker's recent look-up
of the link (DOOR_CACHE_SECONDS): the admission checks the link again all the same.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import (
    Select,
    bindparam,
    select,
)

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.models import DoorPass
from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError, Forbidden
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.security import link_token, token_hash

logger = logging.getLogger(__name__)


#: How long after its event ends a door link keeps working (late arrivals, clean-up).
DOOR_PASS_GRACE = timedelta(hours=6)


#: The largest id an integer column holds (PostgreSQL's integer): a larger one finds nothing.
MAX_ID = 2**31 - 1


def is_valid_id(value: object) -> bool:
    """Return whether value can be the id of a row: an int (not a bool) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


@dataclass(frozen=True)
class EventRef:
    """What a door needs of its event on the hot path: id, time zone, times, whether purged."""

    id: int
    timezone: str
    start_dt: datetime
    end_dt: datetime
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


def door_window(event: Event | EventRef, early_minutes: int) -> tuple[datetime, datetime]:
    """Return when the door admits without asking: (opens, closes).

    From early_minutes before the start until the door links end (the end + DOOR_PASS_GRACE).
    """
    return event.start_dt - timedelta(minutes=early_minutes), event.end_dt + DOOR_PASS_GRACE


def scanner_events(*, now: datetime | None = None) -> list[Event]:
    """Return the events a volunteer may scan at: published and not over, soonest first.

    Today's event (started or not) comes first; past, draft and cancelled events are left out.
    """
    now = now or utc_now()
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.status == EventStatus.published, Event.end_dt > now)
            .order_by(Event.start_dt, Event.id)
        )
    )


# --- door passes ------------------------------------------------------------------------------


def door_pass_token(door_pass: DoorPass) -> str:
    """Return the token of a door pass's link."""
    return link_token(current_app.config["SECRET_KEY"], "door-pass", door_pass.token_salt)


def create_door_pass(event: Event, label: str, *, actor: StaffUser | None = None) -> DoorPass:
    """Create a door link for one event; it expires when the event ends plus a grace period.

    A draft or a cancelled event has no door: asking for a link raises its Forbidden.
    """
    check_event_open(event.status)
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
#: the link and its event are still open, so a link switched off (or its event cancelled or
#: made a draft again) stops at its very next scan all the same.
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
    check_event_open(row.status)  # first: "cancelled" says more than "switched off"
    _check_open(row.revoked_dt, row.expires_dt, now or utc_now())
    door = Door(
        event=EventRef(row.event_id, row.timezone, row.start_dt, row.end_dt, row.purged_dt),
        door_pass=DoorPassRef(row.id, row.label),
    )
    _recent_doors[key] = (time.monotonic() + DOOR_CACHE_SECONDS, replace(door, verified=False))
    return door


def _check_open(revoked_dt: datetime | None, expires_dt: datetime, now: datetime) -> None:
    if revoked_dt is not None:
        raise Forbidden("door_revoked", _("This door link was switched off by the organisers."))
    if now >= expires_dt:
        raise Forbidden("door_expired", _("This door link has expired."))


def check_event_open(status: EventStatus) -> None:
    """Raise Forbidden unless the event is published: a draft or cancelled event has no door."""
    if status == EventStatus.cancelled:
        raise Forbidden("event_cancelled", _("This event was cancelled."))
    if status != EventStatus.published:
        raise Forbidden("event_draft", _("This event is not published yet: its door is closed."))


def check_door_still_open(door: Door, now: datetime) -> None:
    """Look again at a reused door link: switched off, expired or its event called off since."""
    if door.door_pass is None or door.verified:
        return
    row = db.session.execute(
        select(DoorPass.revoked_dt, DoorPass.expires_dt, Event.status)
        .join(Event, Event.id == DoorPass.event_id)
        .where(DoorPass.id == door.door_pass.id)
    ).one_or_none()
    if row is None:  # deleted with its event since
        raise Forbidden("door_unknown", _("This door link is not valid."))
    check_event_open(row.status)
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
            Event.status,
            Event.start_dt,
            Event.end_dt,
        )
        .join(Event, Event.id == DoorPass.event_id)
        .where(DoorPass.token_hash == bindparam("token_hash"))
    )
