"""Use cases of the series and its events, and the calendar feeds of the series."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import URL, Select, case, func, select, update
from sqlalchemy.exc import IntegrityError

from eventsvc.core.services import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import format_event_when
from eventsvc.events.ical import build_calendar
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.services import queue_deferred, queue_mail, render_mail
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

logger = logging.getLogger(__name__)

#: Statuses the public sees: a cancelled event stays visible (and in the feeds) as cancelled.
PUBLIC_STATUSES = (EventStatus.published, EventStatus.cancelled)
#: How often subscribed calendars should poll a feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH = timedelta(hours=1)
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


def cancel_event(
    event: Event,
    *,
    actor: Any = None,
    message_en: str | None = None,
    message_es: str | None = None,
) -> Event:
    """Call the event off: it stays public and in the feeds as cancelled, with a higher SEQUENCE.

    Its tickets stop admitting anyone (the door answers "cancelled"); the RSVPs stay as they
    are, for the counts. With a message in both languages, every live attendee with an email
    gets it (their language first, the other below), through the outbox.
    """
    if event.is_cancelled:
        return event
    # One conditional UPDATE: of two organisers cancelling at once, one does it (and mails).
    cancelled = db.session.execute(
        update(Event)
        .where(Event.id == event.id, Event.status != EventStatus.cancelled)
        .values(status=EventStatus.cancelled, ical_sequence=Event.ical_sequence + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(event)
    if cancelled != 1:
        return event
    voided = db.session.execute(
        update(Ticket)
        .where(Ticket.event_id == event.id, Ticket.status == TicketStatus.active)
        .values(status=TicketStatus.void)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    notified = 0
    if message_en and message_es:
        notified = _queue_cancellation_mails(event, {"en": message_en, "es": message_es})
    record_audit(
        "event.cancel",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={
            "ical_sequence": event.ical_sequence,
            "tickets_voided": voided,
            "notified": notified,
        },
    )
    db.session.flush()
    logger.info("Event %s cancelled, iCal sequence %s", event.id, event.ical_sequence)
    return event


# --- the back office: create, edit, duplicate, publish, counts ---------------------------------

#: An event's address on the site: lower-case letters and digits, single hyphens between.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Fields create_event and edit_event take; the status has its own use cases.
EVENT_FIELDS = EDITABLE_FIELDS - {"status"}
#: Changes attendees are offered an email about: when and where.
NOTIFY_FIELDS = frozenset({"start_dt", "end_dt", "venue_name", "venue_address"})
#: RSVPs still coming (or hoping to): the people an event's emails go to.
LIVE_RSVP = (RsvpStatus.confirmed, RsvpStatus.waitlisted)


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


@dataclass(frozen=True)
class Attendance:
    """How many people an event has: seats confirmed, people waiting, people in."""

    confirmed: int = 0
    waitlisted: int = 0
    checked_in: int = 0


@dataclass(frozen=True)
class EditOutcome:
    """What an edit changed, and how many attendees were emailed about it."""

    changed: list[str]
    notified: int = 0


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


def confirmed_seats(event: Event) -> int:
    """Return the seats the event's confirmed RSVPs hold."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Rsvp.party_size), 0)).where(
                Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.confirmed
            )
        )
    )


def event_problems(values: Mapping[str, Any], *, event: Event | None = None) -> list[Problem]:
    """Return every rule values break, for a new event or a change to event."""
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
    elif event is not None and capacity < (taken := confirmed_seats(event)):
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


def _event_values(values: Mapping[str, Any], *, event: Event | None) -> dict[str, Any]:
    unknown = set(values) - EVENT_FIELDS
    if unknown:
        raise DomainError("unknown_field", f"not editable: {', '.join(sorted(unknown))}")
    values = dict(values)
    if not values.get("slug"):
        values["slug"] = suggest_slug(values.get("title_en") or "", event=event)
    problems = event_problems(values, event=event)
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
    values = _event_values(values, event=None)
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


def edit_event(
    event: Event, values: Mapping[str, Any], *, actor: Any = None, notify: bool = False
) -> EditOutcome:
    """Change an event; with notify, email its attendees when its time or place changed.

    A new capacity goes through the RSVPs' own use case (it locks the event and gives new
    seats to the waitlist); the rest through update_event, which bumps the iCal SEQUENCE.
    """
    # Imported here: the RSVPs' services build on this module.
    from eventsvc.rsvps.services import update_capacity

    values = _event_values(values, event=event)
    capacity = values.pop("capacity")
    changed = []
    if capacity != event.capacity:
        before = event.capacity
        update_capacity(event, capacity)  # reloads the event under its lock: first, then edit
        record_audit(
            "event.capacity",
            actor=actor,
            object_type="event",
            object_id=event.id,
            details={"from": before, "to": capacity},
        )
        changed.append("capacity")
    moved = sorted(name for name in NOTIFY_FIELDS if getattr(event, name) != values[name])
    changed += [name for name, value in values.items() if getattr(event, name) != value]
    update_event(event, actor=actor, **values)
    notified = 0
    if notify and moved and event.is_published:
        for rsvp in attendees_to_tell(event):
            queue_deferred(
                to=rsvp.email, kind="rsvp_event_changed", language=rsvp.language, rsvp_id=rsvp.id
            )
            notified += 1
        record_audit(
            "event.notify_change",
            actor=actor,
            object_type="event",
            object_id=event.id,
            details={"fields": moved, "notified": notified},
        )
    db.session.flush()
    return EditOutcome(sorted(changed), notified)


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


def attendees_to_tell(event: Event) -> list[Rsvp]:
    """Return the event's confirmed and waitlisted RSVPs that gave an email."""
    return list(
        db.session.scalars(
            select(Rsvp)
            .where(
                Rsvp.event_id == event.id,
                Rsvp.status.in_(LIVE_RSVP),
                Rsvp.email.is_not(None),
            )
            .order_by(Rsvp.id)
        )
    )


def _cancellation_part(event: Event, rsvp: Rsvp, language: str, message: str) -> dict[str, str]:
    """Return one language's part of a cancellation email."""
    with force_locale(language):
        return {
            "language": language,
            "subject": _("Cancelled: %(title)s", title=event.title(language)),
            "greeting": _("Hi %(name)s,", name=rsvp.name),
            "intro": _(
                "We are sorry: %(title)s (%(when)s) is cancelled. Your ticket will not be needed.",
                title=event.title(language),
                when=format_event_when(event, language),
            ),
            "heading": _("Message from the organisers"),
            "message": message.strip(),
        }


def _queue_cancellation_mails(event: Event, messages: dict[str, str]) -> int:
    """Queue to every live attendee with an email the news, in their language and the other."""
    queued = 0
    for rsvp in attendees_to_tell(event):
        own = rsvp.language if rsvp.language in messages else "en"
        order = [own, *(lang for lang in messages if lang != own)]
        parts = [_cancellation_part(event, rsvp, lang, messages[lang]) for lang in order]
        subject, text, html = render_mail("event_cancelled", language=own, parts=parts)
        queue_mail(
            to=rsvp.email,
            subject=subject,
            body_text=text,
            body_html=html,
            language=own,
            kind="event_cancelled",
            rsvp_id=rsvp.id,
        )
        queued += 1
    return queued


def attendance(events: list[Event]) -> dict[int, Attendance]:
    """Return confirmed seats, waitlisted people and checked-in people per event (2 queries)."""
    ids = [e.id for e in events]
    if not ids:
        return {}
    confirmed = Rsvp.status == RsvpStatus.confirmed
    waiting = Rsvp.status == RsvpStatus.waitlisted
    seats = {
        event_id: (int(c or 0), int(w or 0))
        for event_id, c, w in db.session.execute(
            select(
                Rsvp.event_id,
                func.sum(case((confirmed, Rsvp.party_size), else_=0)),
                func.sum(case((waiting, Rsvp.party_size), else_=0)),
            )
            .where(Rsvp.event_id.in_(ids))
            .group_by(Rsvp.event_id)
        )
    }
    inside = dict(
        db.session.execute(
            select(Ticket.event_id, func.count())
            .where(
                Ticket.event_id.in_(ids),
                Ticket.status == TicketStatus.active,
                Ticket.checked_in_dt.is_not(None),
            )
            .group_by(Ticket.event_id)
        ).all()
    )
    return {i: Attendance(*seats.get(i, (0, 0)), checked_in=int(inside.get(i, 0))) for i in ids}


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


# --- calendar feeds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """A rendered iCalendar document and what HTTP caching needs to know about it."""

    body: bytes
    #: Strong validator, unquoted: a digest of the body (a function of the events alone).
    etag: str
    last_modified: datetime | None


def feed_footer(language: str) -> str:
    """Return the line every event description in the feeds ends with: the hotline."""
    with force_locale(language):
        label = _("Emergency Response Network hotline")  # the words of every page's header
    return f"{label}: {current_app.config['HOTLINE']}"


def make_feed(
    events: list[Event],
    *,
    language: str,
    calendar_name: str | None = None,
    last_modified: datetime | None = None,
    method: str | None = None,
) -> Feed:
    """Render events as a stable feed (DTSTAMP from the events) with its ETag."""
    body = build_calendar(
        events,
        base_url=current_app.config["BASE_URL"],
        language=language,
        calendar_name=calendar_name,
        method=method,
        footer=feed_footer(language),
        stable=True,
        refresh_interval=FEED_REFRESH if method is None else None,
    )
    if last_modified is None and events:
        last_modified = max(e.updated_dt for e in events)
    return Feed(body, hashlib.sha256(body).hexdigest()[:32], last_modified)


@cache
def _series_feed_version_query() -> Select:
    """Build the version query once: a feed poll should cost little Python besides the SQL."""
    public = Event.status.in_(PUBLIC_STATUSES)
    first_series = select(Series.id).order_by(Series.id).limit(1).scalar_subquery()
    return select(
        func.sum(case((public, 1), else_=0)),
        func.sum(case((public, Event.id), else_=0)),
        func.max(Event.updated_dt),
        select(Series.title_en).where(Series.id == first_series).scalar_subquery(),
        select(Series.title_es).where(Series.id == first_series).scalar_subquery(),
    )


def _series_feed_version() -> tuple:
    """Return what the series feed depends on, in one small query.

    The count and the sum of ids of public events change when one is added, unpublished or
    removed; max(updated_dt) over *all* events changes with any edit, publication or
    unpublication (the row stays, as a draft): together a cheap version of the feed, and the
    latest as its Last-Modified, which therefore never goes back in time. The series' title
    names the calendar.
    """
    # Core, on the session's connection: the ORM layer adds nothing to a row of aggregates.
    return tuple(db.session.connection().execute(_series_feed_version_query()).one())


#: The rendered series feed of this process by (database, base URL, language):
#: (version, feed, when the version was last checked). Each worker keeps its own; the version
#: query tells it when its copy is stale, and it asks at most every FEED_RECHECK_SECONDS.
_series_feeds: dict[tuple[URL, str, str], tuple[tuple, Feed, float]] = {}
_series_feeds_lock = threading.Lock()


def series_feed(language: str) -> Feed:
    """Return the feed of the whole published series (published and cancelled events).

    No query while the cached rendering was checked within FEED_RECHECK_SECONDS (calendar
    apps poll hourly: a few seconds' delay costs them nothing), one small query when it is
    still current, two when it must be rendered again.
    """
    key = (db.engine.url, current_app.config["BASE_URL"], language)
    cached = _series_feeds.get(key)
    checked = time.monotonic()
    if cached is not None and checked - cached[2] < current_app.config["FEED_RECHECK_SECONDS"]:
        return cached[1]
    version = _series_feed_version()
    if cached is not None and cached[0] == version:
        with _series_feeds_lock:
            _series_feeds[key] = (version, cached[1], checked)
        return cached[1]
    _count, _ids, last_modified, title_en, title_es = version
    events = list(
        db.session.scalars(
            select(Event)
            .where(Event.status.in_(PUBLIC_STATUSES))
            .order_by(Event.start_dt, Event.id)
        )
    )
    name = (title_es if language == "es" else None) or title_en or current_app.config["ORG_NAME"]
    feed = make_feed(events, language=language, calendar_name=name, last_modified=last_modified)
    with _series_feeds_lock:
        _series_feeds[key] = (version, feed, checked)
    logger.info("Series feed rendered (%s, %d events)", language, len(events))
    return feed


def event_feed(event: Event, language: str) -> Feed:
    """Return one event as an iCalendar document to download (METHOD:PUBLISH)."""
    return make_feed([event], language=language, method="PUBLISH")
