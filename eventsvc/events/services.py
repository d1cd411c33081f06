"""Use cases of the series and its events, and the calendar feeds of the series."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import URL, Select, case, func, select

from eventsvc.core.services import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.ical import build_calendar
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.i18n import _

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


def cancel_event(event: Event, *, actor: Any = None) -> Event:
    """Call the event off: it stays public and in the feeds as cancelled, with a higher SEQUENCE.

    Nothing else changes here (RSVPs stay as they are; telling attendees is the back office's).
    """
    if event.is_cancelled:
        return event
    event.cancel()
    record_audit(
        "event.cancel",
        actor=actor,
        object_type="event",
        object_id=event.id,
        details={"ical_sequence": event.ical_sequence},
    )
    db.session.flush()
    logger.info("Event %s cancelled, iCal sequence %s", event.id, event.ical_sequence)
    return event


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
