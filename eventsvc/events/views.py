"""Public pages of the series: the list of events, one event with its RSVP form, its .ics."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale

from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.calendar_links import google_calendar_url, outlook_calendar_url
from eventsvc.events.feeds import event_feed, feed_footer, series_feed
from eventsvc.events.services import get_public_event, past_events, upcoming_events
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.rsvps.forms import RsvpForm
from eventsvc.rsvps.seats import seat_summaries, seat_summary
from eventsvc.rsvps.services import check_rsvp_open, submit_rsvp
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


def _rsvp_closed_reason(event) -> str | None:
    try:
        check_rsvp_open(event, utc_now())
    except DomainError as e:
        return e.message
    return None


@bp.route("/<slug>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RSVP_RATE_LIMIT"], methods=["POST"])
def event(slug: str):
    """Show one event and take RSVPs for it."""
    event = get_public_event(slug) or abort(404)
    form = RsvpForm(max_party_size=event.max_party_size, language=str(get_locale()))
    closed = _rsvp_closed_reason(event)
    if closed is None and form.validate_on_submit():
        try:
            outcome = submit_rsvp(event, form.to_data())
        except DomainError as e:
            db.session.rollback()
            field = form.party_size if e.code in {"party_too_large", "no_seats"} else None
            (field.errors if field else form.form_errors).append(e.message)
        else:
            # Every new RSVP gets the same answer, whether or not its email or phone was
            # already used for this event: nobody learns from it who else RSVPed.
            if outcome.is_repeat:
                message = None  # a double click: the first answer stands
            elif outcome.rsvp.is_confirmed:
                message = (_("You're in! Your ticket is below."), "success")
            else:
                message = (_("The event is full, so you're on the waitlist."), "info")
            db.session.commit()  # ends the event's lock: nothing slow before it
            if message:
                flash(*message)
            return redirect(url_for("rsvps.manage", token=outcome.token), code=303)
    elif closed is not None and form.is_submitted():
        form.form_errors.append(closed)
    status = 400 if form.is_submitted() else 200
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


def _add_to_calendar_links(event) -> dict[str, str]:
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


@bp.get("/<slug>.ics")
def event_ics(slug: str):
    """Return one event as an iCalendar file, to add to a calendar."""
    event = get_public_event(slug) or abort(404)
    return calendar_response(event_feed(event, feed_language()), filename=f"{event.slug}.ics")


@feeds.get("/calendar.ics")
def series_ics():
    """Return the whole series as a subscribable feed (?lang=es for Spanish)."""
    return calendar_response(series_feed(feed_language()))
