"""Public pages of the series: the list of events, one event with its RSVP form, its .ics."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.calendar_links import google_calendar_url, outlook_calendar_url
from eventsvc.events.services import (
    Feed,
    event_feed,
    feed_footer,
    get_public_event,
    past_events,
    series_feed,
    upcoming_events,
)
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.rsvps.forms import RsvpForm
from eventsvc.rsvps.services import check_rsvp_open, seat_summaries, seat_summary, submit_rsvp

bp = Blueprint("events", __name__, url_prefix="/events")
#: The series feed lives at the site's root (/calendar.ics), outside /events.
feeds = Blueprint("feeds", __name__)

#: Seconds a client or a shared cache may reuse a feed before asking again (cheaply: a 304).
FEED_MAX_AGE = 300


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


def feed_language(default: str | None = None) -> str:
    """Return the language a feed asks for with ?lang=, else default, else the visitor's."""
    asked = request.args.get("lang")
    if asked in current_app.config["LANGUAGES"]:
        return asked
    return default or str(get_locale())


def calendar_response(
    feed: Feed, *, private: bool = False, filename: str | None = None, by_visitor: bool = True
) -> Response:
    """Answer with feed as text/calendar, with validators; 304 when the client's copy is current.

    Werkzeug compares If-None-Match (strong ETag) first and If-Modified-Since only without it;
    a malformed header parses as absent, so the full feed is sent. by_visitor: the language
    came from the visitor (no ?lang=), so shared caches must keep one copy per language.
    """
    response = current_app.response_class(feed.body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag)
    # HTTP dates have whole seconds: a second change within the second of the last one would look
    # unmodified to a client that fetched in between. So, as Apache does, a feed changed within
    # the current second has no Last-Modified yet (its ETag still validates it).
    last_modified = feed.last_modified
    if last_modified is not None and last_modified < utc_now().replace(microsecond=0):
        response.last_modified = last_modified
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if by_visitor and "lang" not in request.args:
        response.vary.update(("Accept-Language", "Cookie"))
    return response.make_conditional(request)


@bp.get("/<slug>.ics")
def event_ics(slug: str):
    """Return one event as an iCalendar file, to add to a calendar."""
    event = get_public_event(slug) or abort(404)
    return calendar_response(event_feed(event, feed_language()), filename=f"{event.slug}.ics")


@feeds.get("/calendar.ics")
def series_ics():
    """Return the whole series as a subscribable feed (?lang=es for Spanish)."""
    return calendar_response(series_feed(feed_language()))
