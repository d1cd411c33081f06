"""Add-to-calendar links for Google Calendar and Outlook: plain URLs carrying the event's data.

Pure: an event and plain arguments in, a URL out. The visitor's browser opens the calendar's own
"new event" form pre-filled from the query string; the page loads nothing from those hosts.
Times are written in UTC (``…Z``), which both services read exactly, whatever zone the visitor's
calendar is in. The details are shortened so the URL stays well under the ~2,000 characters some
browsers and proxies accept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from eventsvc.events.models import Event

GOOGLE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_URL = "https://outlook.live.com/calendar/0/deeplink/compose"
#: Most characters of the event's own description carried in a link.
DETAILS_LIMIT = 800


def _details(event: Event, base_url: str, language: str, footer: str) -> str:
    description = event.description(language)
    if len(description) > DETAILS_LIMIT:
        description = description[: DETAILS_LIMIT - 1].rstrip() + "…"
    page = f"{base_url.rstrip('/')}/events/{event.slug}"
    return "\n\n".join(part for part in (description, page, footer) if part)


def _location(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part)


def _compact_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_calendar_url(event: Event, *, base_url: str, language: str, footer: str = "") -> str:
    """Return a Google Calendar link that opens a new event pre-filled with this one."""
    query = {
        "action": "TEMPLATE",
        "text": event.title(language),
        "dates": f"{_compact_utc(event.start_dt)}/{_compact_utc(event.end_dt)}",
        "details": _details(event, base_url, language, footer),
        "location": _location(event),
        "ctz": event.timezone,
    }
    return f"{GOOGLE_URL}?{urlencode(query)}"


def outlook_calendar_url(event: Event, *, base_url: str, language: str, footer: str = "") -> str:
    """Return an Outlook (outlook.com) link that opens a new event pre-filled with this one."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title(language),
        "startdt": _iso_utc(event.start_dt),
        "enddt": _iso_utc(event.end_dt),
        "body": _details(event, base_url, language, footer),
        "location": _location(event),
    }
    return f"{OUTLOOK_URL}?{urlencode(query)}"
