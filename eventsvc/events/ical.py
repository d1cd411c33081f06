"""iCalendar (RFC 5545) documents of events: one event, the series feed, a personal feed.

A pure builder: events and plain arguments in, bytes out; the view only sets the media type and
the caching headers.

- **UID** ``event-<id>@<host>``, where ``<host>`` is the host name of ``BASE_URL`` (no scheme or
  port). It never changes while the event exists, whatever is edited, so a calendar that
  subscribed once updates the same entry instead of adding a copy. Changing ``BASE_URL``'s host
  changes every UID: subscribers would see each event twice.
- **SEQUENCE** is the event's ``ical_sequence``, bumped by the model on every change a
  subscriber must see (time, place, cancellation); a cancelled event stays in the document with
  ``STATUS:CANCELLED`` so calendars remove it.
- **Times** are stored in UTC and written in the event's own zone (``DTSTART;TZID=…``) with a
  VTIMEZONE for every zone used, the same in every document (``VTIMEZONE_YEARS``). The one
  exception is a start or end in the repeated hour when clocks fall back (the second 01:30 on
  the first Sunday of November in Los Angeles): RFC 5545 reads such a local time as its *first*
  occurrence, so that one is written in UTC, the only exact form.
- **Text** is in the given language, falling back to English field by field; the description
  ends with ``footer`` (the hotline) when one is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component
from icalendar import Event as VEvent

from eventsvc.db import utc_now
from eventsvc.events.models import EventStatus

if TYPE_CHECKING:
    from eventsvc.events.models import Event

PRODID = "-//eventsvc//EN"
#: Years every VTIMEZONE covers, widened only for an event outside them: calendar apps may cache
#: a zone's definition by its TZID, so every document carries the same one.
VTIMEZONE_YEARS = (2020, 2050)


def event_uid(event: Event, base_url: str) -> str:
    """Return the event's iCalendar UID: ``event-<id>@<host of base_url>``."""
    return f"event-{event.id}@{urlsplit(base_url).hostname}"


def build_calendar(
    events: Iterable[Event],
    *,
    base_url: str,
    language: str,
    calendar_name: str | None = None,
    method: str | None = None,
    footer: str = "",
    now: datetime | None = None,
) -> bytes:
    """Return an iCalendar document of events, its text in language (CRLF lines, folded)."""
    events = list(events)
    stamp = now or utc_now()
    base_url = base_url.rstrip("/")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if calendar_name:
        calendar.add("name", calendar_name)
        calendar.add("x-wr-calname", calendar_name)
    for event in events:
        calendar.add_component(_vevent(event, base_url, language, footer, stamp))
    if events:
        first_year = min(VTIMEZONE_YEARS[0], min(e.start_dt for e in events).year - 1)
        last_year = max(VTIMEZONE_YEARS[1], max(e.end_dt for e in events).year + 1)
        calendar.add_missing_timezones(
            first_date=date(first_year, 1, 1), last_date=date(last_year, 12, 31)
        )
        for observance in calendar.walk("STANDARD") + calendar.walk("DAYLIGHT"):
            _one_rdate_per_line(observance)
    return calendar.to_ical()


def _one_rdate_per_line(observance: Component) -> None:
    """Write each RDATE of a VTIMEZONE observance on its own line, the common form.

    icalendar writes one comma-separated list, and some readers (vobject, for one) take only its
    first date, and so get the offset of every later year wrong.
    """
    rdates = observance.pop("RDATE", None)
    if rdates is None:
        return
    for rdate in rdates if isinstance(rdates, list) else [rdates]:
        for moment in rdate.dts:
            observance.add("RDATE", moment.dt)


def _vevent(event: Event, base_url: str, language: str, footer: str, stamp: datetime) -> VEvent:
    zone = ZoneInfo(event.timezone)
    vevent = VEvent()
    vevent.add("uid", event_uid(event, base_url))
    vevent.add("sequence", event.ical_sequence or 0)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("last-modified", event.updated_dt.astimezone(UTC))
    vevent.add("dtstart", _in_zone(event.start_dt, zone))
    vevent.add("dtend", _in_zone(event.end_dt, zone))
    vevent.add("summary", event.title(language))
    description = "\n\n".join(part for part in (event.description(language), footer) if part)
    if description:
        vevent.add("description", description)
    location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    if location:
        vevent.add("location", location)
    vevent.add("url", f"{base_url}/events/{event.slug}")
    cancelled = event.status == EventStatus.cancelled
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return vevent


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    """Return moment in zone, or in UTC when zone's wall clock shows that time twice."""
    local = moment.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local
