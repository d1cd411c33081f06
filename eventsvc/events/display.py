"""How an event's date and time read to a person: in the event's own zone, in their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time

from eventsvc.db import utc_now

#: US regional formats: the Inland Empire reads "6:00 p.m." in Spanish too, not "18:00".
BABEL_LOCALES = {"en": "en_US", "es": "es_US"}


def babel_locale(language: object) -> str:
    """Return the Babel locale used to format dates for a language code."""
    return BABEL_LOCALES.get(str(language)[:2], "en_US")


def format_when(start: datetime, end: datetime, timezone: str, language: object) -> str:
    """Return e.g. "Sat, Mar 14, 6:00 – 9:00 PM PDT" for UTC start and end shown in timezone."""
    tz = ZoneInfo(timezone)
    locale = babel_locale(language)
    start, end = start.astimezone(tz), end.astimezone(tz)
    # The year only when it is not this year: "Wed, Jan 27, 2027".
    skeleton = "MMMEd" if start.year == utc_now().astimezone(tz).year else "yMMMEd"
    day = format_skeleton(skeleton, start, tzinfo=tz, locale=locale)
    begins = format_time(start, "short", tzinfo=tz, locale=locale)
    ends = format_time(end, "short", tzinfo=tz, locale=locale)
    if start.date() == end.date():
        return f"{day}, {begins} – {ends} {end.tzname()}"
    end_day = format_skeleton(skeleton, end, tzinfo=tz, locale=locale)
    return f"{day}, {begins} {start.tzname()} – {end_day}, {ends} {end.tzname()}"


def format_event_when(event, language: object) -> str:
    """Return when an event happens, in its own time zone."""
    return format_when(event.start_dt, event.end_dt, event.timezone, language)
