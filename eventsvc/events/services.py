"""The series and its events: public queries, create, edit, duplicate, publish.

What an edit or a cancellation does to attendees is ``rsvps.event_changes``; the feeds are
``feeds``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.i18n import _

logger = logging.getLogger(__name__)

#: Statuses the public sees: a cancelled event stays visible (and in the feeds) as cancelled.
PUBLIC_STATUSES = (EventStatus.published, EventStatus.cancelled)
#: Fields a change of which subscribers must see: SEQUENCE goes up (RFC 5545 §3.8.7.4).
SIGNIFICANT_FIELDS = frozenset(
    {"start_dt", "end_dt", "timezone", "venue_name", "venue_address", "status"}
)
#: Fields update_event may change (the rest are identity, bookkeeping or the sequence itself).
EDITABLE_FIELDS = SIGNIFICANT_FIELDS | {
    "slug",
    "title_en",
    "title_es",
    "description_en",
    "description_es",
    "accessibility_notes_en",
    "accessibility_notes_es",
    "host_organisations",
    "capacity",
    "guest_limit",
    "rsvp_opens_dt",
    "rsvp_closes_dt",
}


def get_series_by_slug(slug: str) -> Series | None:
    """Return the series with this slug, or None."""
    return db.session.scalar(select(Series).where(Series.slug == slug))


def main_series() -> Series | None:
    """Return the series the site celebrates (the oldest one)."""
    return db.session.scalar(select(Series).order_by(Series.id).limit(1))


def upcoming_events(*, limit: int | None = None, now: datetime | None = None) -> list[Event]:
    """Return published and cancelled events that have not ended yet, soonest first."""
    query = (
        select(Event)
        .where(
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
            Event.end_dt > (now or utc_now()),
        )
        .order_by(Event.start_dt, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def past_events(*, limit: int = 50, now: datetime | None = None) -> list[Event]:
    """Return published and cancelled events that are over, most recent first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.status.in_([EventStatus.published, EventStatus.cancelled]),
                Event.end_dt <= (now or utc_now()),
            )
            .order_by(Event.start_dt.desc(), Event.id.desc())
            .limit(limit)
        )
    )


def get_public_event(slug: str) -> Event | None:
    """Return the published or cancelled event with this slug; drafts stay hidden."""
    return db.session.scalar(
        select(Event).where(
            Event.slug == slug,
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
        )
    )


def update_event(event: Event, *, actor: Any = None, **changes: Any) -> Event:
    """Apply field changes to event; bump its SEQUENCE when its time, place or status changes.

    A change of status goes through the model's transitions (publish, cancel); a wording change
    (title, description) keeps the SEQUENCE, as calendars need not alert anyone for a typo.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError("unknown_field", f"not editable: {', '.join(sorted(unknown))}")
    if "status" in changes:
        changes["status"] = EventStatus(changes["status"])
    changed = sorted(name for name, value in changes.items() if getattr(event, name) != value)
    if not changed:
        return event
    sequence = event.ical_sequence
    for name in changed:
        if name != "status":
            setattr(event, name, changes[name])
    if event.end_dt <= event.start_dt:
        raise DomainError("ends_before_start", _("The event must end after it starts."))
    if "status" in changed:
        if changes["status"] == EventStatus.cancelled:
            event.cancel()
        elif changes["status"] == EventStatus.published:
            event.publish()
        else:
            event.status = changes["status"]
    if SIGNIFICANT_FIELDS.intersection(changed) and event.ical_sequence == sequence:
        event.bump_sequence()  # once per update, however many such fields changed
    record_audit(
        "event.update",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={"fields": changed, "ical_sequence": event.ical_sequence},
    )
    db.session.flush()
    logger.info(
        "Event %s updated (%s), iCal sequence %s", event.id, ", ".join(changed), event.ical_sequence
    )
    return event


# --- the back office: create, edit, duplicate, publish, counts ---------------------------------

#: An event's address on the site: lower-case letters and digits, single hyphens between.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Fields create_event and edit_event take; the status has its own use cases.
EVENT_FIELDS = EDITABLE_FIELDS - {"status"}


@dataclass(frozen=True)
class Problem:
    """One reason an event's values are refused, and the field it belongs to."""

    field: str
    code: str
    message: str


class EventInvalid(DomainError):
    """An event's values break one or more rules; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].code, problems[0].message)
        self.problems = problems


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_timezone(name: str) -> bool:
    """Return whether name is an IANA time zone, e.g. America/Los_Angeles."""
    if not name or (_timezone_names() and name not in _timezone_names()):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def slugify(text: str) -> str:
    """Return an address made of text: "Gala de 15 años" -> "gala-de-15-anos"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:60].rstrip("-") or "event"


def slug_taken(slug: str, *, event: Event | None = None) -> bool:
    """Return whether another event than event has this address."""
    query = select(Event.id).where(Event.slug == slug)
    if event is not None and event.id is not None:
        query = query.where(Event.id != event.id)
    return db.session.scalar(query.limit(1)) is not None


def suggest_slug(text: str, *, event: Event | None = None) -> str:
    """Return a free address made of text, numbered when the plain one is taken."""
    base = slugify(text)
    slug, n = base, 1
    while slug_taken(slug, event=event):
        n += 1
        slug = f"{base}-{n}"
    return slug


def event_problems(
    values: Mapping[str, Any], *, event: Event | None = None, taken: int = 0
) -> list[Problem]:
    """Return every rule values break, for a new event or a change to event.

    taken: the seats event's confirmed parties hold (``rsvps.seats``), which its capacity
    cannot go below.
    """
    problems: list[Problem] = []

    def refuse(field: str, code: str, message: str) -> None:
        problems.append(Problem(field, code, message))

    if not (values.get("title_en") or "").strip():
        refuse("title_en", "title_required", _("Give the event a title in English."))
    slug = values.get("slug") or ""  # empty: the services make one from the title
    if slug and (len(slug) > 80 or not SLUG_PATTERN.match(slug)):
        refuse(
            "slug",
            "slug_invalid",
            _("Use lower-case letters, digits and hyphens, e.g. summer-picnic-2026."),
        )
    elif slug and slug_taken(slug, event=event):
        refuse("slug", "slug_taken", _("Another event already uses this address."))
    if not is_known_timezone(values.get("timezone") or ""):
        refuse(
            "timezone",
            "unknown_timezone",
            _("This time zone is not known. Pick one from the list, e.g. America/Los_Angeles."),
        )
    start, end = values.get("start_dt"), values.get("end_dt")
    if start is None:
        refuse("start_dt", "start_required", _("Enter when the event starts."))
    if end is None:
        refuse("end_dt", "end_required", _("Enter when the event ends."))
    elif start is not None and end <= start:
        refuse("end_dt", "ends_before_start", _("The event must end after it starts."))
    capacity = values.get("capacity")
    if capacity is None or capacity < 1:
        refuse("capacity", "capacity_positive", _("Capacity must be at least 1."))
    elif event is not None and capacity < taken:
        refuse(
            "capacity",
            "below_confirmed",
            _("Capacity cannot be below the %(n)d seats already confirmed.", n=taken),
        )
    guest_limit = values.get("guest_limit")
    if guest_limit is None or guest_limit < 0:
        refuse("guest_limit", "guest_limit_negative", _("The guest limit cannot be negative."))
    opens, closes = values.get("rsvp_opens_dt"), values.get("rsvp_closes_dt")
    if closes is not None and end is not None and closes > end:
        refuse("rsvp_closes_dt", "rsvp_closes_after_end", _("RSVPs must close by the end."))
    elif opens is not None and closes is not None and closes <= opens:
        refuse("rsvp_closes_dt", "rsvp_window", _("RSVPs must close after they open."))
    return problems


def event_values(
    values: Mapping[str, Any], *, event: Event | None, taken: int = 0
) -> dict[str, Any]:
    """Return values checked for a new event or a change to event; raise EventInvalid."""
    unknown = set(values) - EVENT_FIELDS
    if unknown:
        raise DomainError("unknown_field", f"not editable: {', '.join(sorted(unknown))}")
    values = dict(values)
    if not values.get("slug"):
        values["slug"] = suggest_slug(values.get("title_en") or "", event=event)
    problems = event_problems(values, event=event, taken=taken)
    if problems:
        raise EventInvalid(problems)
    return values


def _flush_new(event: Event) -> None:
    """Insert event; a slug taken meanwhile by another request is a problem, not a crash."""
    try:
        with db.session.begin_nested():
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        raise EventInvalid(
            [Problem("slug", "slug_taken", _("Another event already uses this address."))]
        ) from None


def create_event(series: Series, values: Mapping[str, Any], *, actor: Any = None) -> Event:
    """Create a draft event of series; raise EventInvalid listing every problem of values."""
    values = dict(values)
    if not values.get("timezone"):
        values["timezone"] = series.timezone
    values = event_values(values, event=None)
    event = Event(series_id=series.id, status=EventStatus.draft, ical_sequence=0, **values)
    _flush_new(event)
    record_audit(
        "event.create",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={"slug": event.slug, "series_id": series.id},
    )
    logger.info("Event %s created as a draft", event.id)
    return event


def duplicate_event(event: Event, *, actor: Any = None) -> Event:
    """Copy event into a new draft: same details, a new address, no attendees, no door links."""
    copy = Event(
        series_id=event.series_id,
        status=EventStatus.draft,
        ical_sequence=0,
        **{name: getattr(event, name) for name in EVENT_FIELDS - {"slug"}},
        slug=suggest_slug(f"{event.slug}-copy"),
    )
    _flush_new(copy)
    record_audit(
        "event.duplicate",
        actor=actor,
        object_type="event",
        object_id=copy.id,
        details={"from_event_id": event.id, "slug": copy.slug},
    )
    logger.info("Event %s duplicated as %s", event.id, copy.id)
    return copy


def publish_event(event: Event, *, actor: Any = None) -> Event:
    """Make a draft public: it shows on the site and in the calendar feeds."""
    if event.is_cancelled:
        raise DomainError("event_cancelled", _("A cancelled event cannot be published again."))
    if event.is_published:
        return event
    event.publish()
    record_audit(
        "event.publish",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={"ical_sequence": event.ical_sequence},
    )
    db.session.flush()
    logger.info("Event %s published", event.id)
    return event


def back_office_events(*, now: datetime | None = None) -> dict[str, list[Event]]:
    """Return every event by where it stands: upcoming, draft, past, cancelled."""
    now = now or utc_now()
    groups: dict[str, list[Event]] = {"upcoming": [], "draft": [], "past": [], "cancelled": []}
    for event in db.session.scalars(select(Event).order_by(Event.start_dt, Event.id)):
        if event.is_cancelled:
            groups["cancelled"].append(event)
        elif not event.is_published:
            groups["draft"].append(event)
        elif event.has_ended(now):
            groups["past"].append(event)
        else:
            groups["upcoming"].append(event)
    groups["past"].reverse()  # the most recent first
    return groups


def current_event(*, now: datetime | None = None) -> Event | None:
    """Return the published event happening now, else the next one starting today (its zone)."""
    now = now or utc_now()
    candidates = db.session.scalars(
        select(Event)
        .where(
            Event.status == EventStatus.published,
            Event.end_dt > now,
            Event.start_dt < now + timedelta(days=1),
        )
        .order_by(Event.start_dt, Event.id)
    ).all()
    for event in candidates:
        if event.start_dt <= now:
            return event
    for event in candidates:
        tz = ZoneInfo(event.timezone)
        if event.start_dt.astimezone(tz).date() == now.astimezone(tz).date():
            return event
    return None
