"""Public pages of the series: the list of events, one event with its RSVP form, its .ics."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale

from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.ical import build_calendar
from eventsvc.events.services import get_public_event, past_events, upcoming_events
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.rsvps.forms import RsvpForm
from eventsvc.rsvps.services import check_rsvp_open, seat_summaries, seat_summary, submit_rsvp

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.get("/")
def index():
    """List the coming events with their seat situation, and the archive."""
    events = upcoming_events()
    return render_template(
        "events/index.html",
        events=events,
        seats=seat_summaries(events),
        past=past_events(),
    )


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
            if outcome.is_new and outcome.rsvp.is_confirmed:
                flash(_("You're in! Your ticket is below."), "success")
            elif outcome.is_new:
                flash(_("The event is full, so you're on the waitlist."), "info")
            elif not outcome.is_repeat:
                flash(_("You had already RSVPed: we updated your RSVP."), "info")
            db.session.commit()
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
        ),
        status,
    )


@bp.get("/<slug>.ics")
def event_ics(slug: str):
    """Return one event as an iCalendar file, to add to a calendar."""
    event = get_public_event(slug) or abort(404)
    body = build_calendar(
        [event],
        base_url=current_app.config["BASE_URL"],
        language=str(get_locale()),
        method="PUBLISH",
    )
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
