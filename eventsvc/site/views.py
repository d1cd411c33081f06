"""The home page, the health check and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from eventsvc.events.services import main_series, upcoming_events
from eventsvc.extensions import csrf, limiter
from eventsvc.i18n import LANG_COOKIE
from eventsvc.membership.services import count_active_members
from eventsvc.rsvps.seats import seat_summaries
from eventsvc.site.services import database_is_up
from eventsvc.web import safe_next_url

bp = Blueprint("site", __name__)

#: How many of the next events the home page lists.
HOME_EVENTS = 6


@bp.get("/")
def home():
    """Show the anniversary home page."""
    events = upcoming_events(limit=HOME_EVENTS)
    return render_template(
        "site/home.html",
        series=main_series(),
        events=events,
        seats=seat_summaries(events),
        member_count=count_active_members(),
    )


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Answer 200 when the app and its database respond, 503 otherwise."""
    if database_is_up():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503


@bp.post("/language")
@csrf.exempt  # choosing a language changes only a display cookie, never data
def set_language():
    """Remember the chosen language for a year and go back where the visitor was."""
    lang = request.form.get("lang", "")
    target = safe_next_url(request.form.get("next")) or url_for("site.home")
    response = redirect(target, code=303)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response
