"""The event page: shown by its GET (events.views) and again by a refused RSVP (rsvps.views)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import get_locale

from eventsvc.events.calendar_links import google_calendar_url, outlook_calendar_url
from eventsvc.events.feeds import feed_footer
from eventsvc.events.models import Event
from eventsvc.rsvps.seats import seat_summary


def render_event_page(event: Event, form, *, closed: str | None, status: int = 200):
    """Return the event page with its RSVP form (as typed, with its errors) and status."""
    return (
        render_template(
            "events/event.html",
            event=event,
            form=form,
            seats=seat_summary(event),
            closed=closed,
            add_links=_add_to_calendar_links(event),
        ),
        status,
    )


def _add_to_calendar_links(event: Event) -> dict[str, str]:
    language = str(get_locale())
    details = {
        "base_url": current_app.config["BASE_URL"],
        "language": language,
        "footer": feed_footer(language),
    }
    return {
        "google": google_calendar_url(event, **details),
        "outlook": outlook_calendar_url(event, **details),
    }
