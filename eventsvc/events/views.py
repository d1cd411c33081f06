"""Public pages of the series: the list of events, one event (its RSVP form posts to rsvps)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
)
from flask_babel import get_locale

from eventsvc.db import utc_now
from eventsvc.events.feeds import event_feed, series_feed
from eventsvc.events.pages import render_event_page
from eventsvc.events.services import get_public_event, past_events, upcoming_events
from eventsvc.rsvps.forms import RsvpForm
from eventsvc.rsvps.seats import seat_summaries
from eventsvc.rsvps.services import rsvp_closed_reason
from eventsvc.web import calendar_response, feed_language

bp = Blueprint("events", __name__, url_prefix="/events")
#: The series feed lives at the site's root (/calendar.ics), outside /events.
feeds = Blueprint("feeds", __name__)


@bp.get("/")
def index():
    """List the coming events with their seat situation, and the archive."""
    events = upcoming_events()
    return render_template(
        "events/index.html",
        events=events,
        seats=seat_summaries(events),
        past=past_events(),
        feed=_series_feed_urls(),
    )


def _series_feed_urls() -> dict[str, str]:
    """Return the series feed's address in the visitor's language: https and webcal."""
    address = f"{current_app.config['BASE_URL'].rstrip('/')}/calendar.ics?lang={get_locale()}"
    return {"https": address, "webcal": "webcal://" + address.split("://", 1)[1]}


@bp.get("/<slug>")
def event(slug: str):
    """Show one event with its RSVP form (``rsvps.views.submit`` takes the form's POST)."""
    event = get_public_event(slug) or abort(404)
    form = RsvpForm(max_party_size=event.max_party_size, language=str(get_locale()))
    return render_event_page(event, form, closed=rsvp_closed_reason(event, utc_now()))


@bp.get("/<slug>.ics")
def event_ics(slug: str):
    """Return one event as an iCalendar file, to add to a calendar."""
    event = get_public_event(slug) or abort(404)
    return calendar_response(event_feed(event, feed_language()), filename=f"{event.slug}.ics")


@feeds.get("/calendar.ics")
def series_ics():
    """Return the whole series as a subscribable feed (?lang=es for Spanish)."""
    return calendar_response(series_feed(feed_language()))
