"""Add-to-calendar links: the event's data in the URL, times in UTC."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import eventsvc.models  # noqa: F401  (every model mapped before an Event is built)
from eventsvc.events.calendar_links import (
    DETAILS_LIMIT,
    google_calendar_url,
    outlook_calendar_url,
)
from eventsvc.events.models import Event, EventStatus

BASE_URL = "https://eventos.example.org"


def build_event(**kw) -> Event:
    """Return an unsaved event (in no session) for the pure builder; kw replaces fields."""
    fields = {
        "id": 7,
        "slug": "gala",
        "title_en": "Anniversary gala",
        "title_es": "Gala de aniversario",
        "description_en": "Fifteen years together & more.",
        "description_es": "Quince años juntos.",
        # 01:30 PDT on the night clocks fall back (the first 01:30) to 01:30 PST (the second).
        "start_dt": datetime(2026, 11, 1, 8, 30, tzinfo=UTC),
        "end_dt": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
        "timezone": "America/Los_Angeles",
        "venue_name": "Centro Comunitario",
        "venue_address": "123 Main St, Riverside, CA",
        "status": EventStatus.published,
    }
    return Event(**(fields | kw))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_google_link_carries_the_event_in_utc():
    url = google_calendar_url(build_event(), base_url=BASE_URL, language="es", footer="Línea: 1")
    assert url.startswith("https://calendar.google.com/calendar/render?")
    q = query(url)
    assert q["action"] == "TEMPLATE"
    assert q["text"] == "Gala de aniversario"
    assert q["dates"] == "20261101T083000Z/20261101T093000Z"
    assert q["location"] == "Centro Comunitario, 123 Main St, Riverside, CA"
    assert q["details"] == f"Quince años juntos.\n\n{BASE_URL}/events/gala\n\nLínea: 1"
    assert q["ctz"] == "America/Los_Angeles"


def test_outlook_link_carries_the_event_in_utc():
    url = outlook_calendar_url(build_event(), base_url=BASE_URL, language="en")
    assert url.startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    q = query(url)
    assert q["rru"] == "addevent" and q["path"] == "/calendar/action/compose"
    assert q["subject"] == "Anniversary gala"
    assert q["startdt"] == "2026-11-01T08:30:00Z" and q["enddt"] == "2026-11-01T09:30:00Z"
    assert q["body"].startswith("Fifteen years together & more.")
    assert q["location"].startswith("Centro Comunitario")


def test_long_description_is_shortened():
    event = build_event(description_en="word " * 2000)
    url = google_calendar_url(event, base_url=BASE_URL, language="en")
    assert len(query(url)["details"]) < DETAILS_LIMIT + 100
    assert len(url) < 2000 + 200
