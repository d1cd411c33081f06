"""Calendar feeds: one event, the whole series (subscribable) and a person's own feed.

Each feed is rendered once per change: its ETag and Last-Modified let calendar apps poll
cheaply, and each worker keeps the series feed until the version query says it changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import URL, Select, case, func, select

from eventsvc.events.ical import build_calendar
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.events.services import PUBLIC_STATUSES
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.models import Rsvp, RsvpStatus

logger = logging.getLogger(__name__)


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


def personal_feed_events(rsvp: Rsvp) -> tuple[list[Event], datetime]:
    """Return the public events of rsvp's feed group with a live RSVP, and when that last changed.

    The feed group is the RSVPs that share rsvp's feed salt: a new RSVP starts its own, so a
    feed lists only RSVPs whose owner is proven to be the same, never those of whoever typed the
    same email or phone. A cancelled or erased RSVP drops out. One query. The time is the latest
    change of any RSVP of the group (cancelled ones too) or of the events, so it moves forward
    when an event leaves the feed, and If-Modified-Since never hides that.
    """
    changed = rsvp.updated_dt
    rows = db.session.execute(
        select(Rsvp.status, Rsvp.updated_dt, Event)
        .join(Event, Event.id == Rsvp.event_id)
        .where(
            Rsvp.feed_token_salt == rsvp.feed_token_salt,
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
        )
        .order_by(Event.start_dt, Event.id)
    ).all()
    events: dict[int, Event] = {}
    for status, rsvp_changed, event in rows:
        changed = max(changed, rsvp_changed)
        if status != RsvpStatus.cancelled:
            events[event.id] = event
            changed = max(changed, event.updated_dt)
    return list(events.values()), changed


def personal_feed(rsvp: Rsvp, language: str) -> Feed:
    """Return the personal calendar feed of the person behind rsvp, in language."""
    events, changed = personal_feed_events(rsvp)
    with force_locale(language):
        name = _("My events: %(org)s", org=current_app.config["ORG_NAME"])
    return make_feed(events, language=language, calendar_name=name, last_modified=changed)


#: How often subscribed calendars should poll a feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH = timedelta(hours=1)
