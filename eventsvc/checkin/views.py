"""The volunteer's scanner page and the JSON API it talks to (``/api/v1``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from eventsvc.app import CONTENT_SECURITY_POLICY
from eventsvc.auth.models import Role
from eventsvc.checkin.openapi import OPENAPI
from eventsvc.checkin.services import (
    ALREADY_CHECKED_IN,
    CANCELLED,
    INVALID,
    OK,
    OTHER_EVENT,
    REPLACED,
    UNKNOWN,
    WAITLISTED,
    Door,
    Verdict,
    check_in,
    door_for_token,
    door_stats,
    search_attendees,
    undo_check_in,
)
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.models import Event
from eventsvc.extensions import csrf, db
from eventsvc.i18n import _
from eventsvc.rsvps.qr import public_key_b64, signing_key
from eventsvc.security import keep_private

bp = Blueprint("checkin", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # door tokens come in a header, not a cookie; session callers are checked below

#: Header a scanner sends its door token in.
DOOR_HEADER = "X-Door-Token"
#: The site's policy, plus WebAssembly compilation for the scanner's QR decoder.
SCANNER_CSP = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)


# --- the scanner page -------------------------------------------------------------------------


def _scanner(door: Door, *, api_token: str | None):
    response = current_app.make_response(
        render_template(
            "checkin/scanner.html",
            event=door.event,
            door_label=door.label,
            api_base=url_for("api.checkins", event_id=door.event.id).rsplit("/", 1)[0],
            api_token=api_token,
            public_key=public_key_b64(signing_key(current_app.config)),
        )
    )
    keep_private(response)
    # The QR decoder (zxing-wasm, from static/vendor/) is WebAssembly: compiling it needs
    # 'wasm-unsafe-eval' (not 'unsafe-eval': JS eval stays forbidden), on this page only.
    response.headers["Content-Security-Policy"] = SCANNER_CSP
    return response


@bp.get("/door/<token>")
def door_page(token: str):
    """Open the scanner of one event from a door link, no account needed."""
    try:
        door = door_for_token(token)
    except DomainError as e:
        return render_template("checkin/closed.html", message=e.message), 403
    event = db.session.get(Event, door.event.id)  # the page shows the event, not only its id
    return _scanner(replace(door, event=event), api_token=token)


@bp.get("/door/event/<int:event_id>")
@login_required
def staff_door_page(event_id: int):
    """Open the scanner of an event as a logged-in volunteer, organiser or admin."""
    if not current_user.has_role(Role.volunteer):
        abort(403)
    event = db.session.get(Event, event_id) or abort(404)
    return _scanner(Door(event=event, staff=current_user), api_token=None)


# --- the API ----------------------------------------------------------------------------------


def _error(code: str, message: str, status: int):
    return jsonify(error=code, message=message), status


@api.before_request
def authenticate():
    """Let in a valid door token for its own event, or a logged-in staff member (with CSRF)."""
    if request.endpoint == "api.openapi":
        return None
    event_id = (request.view_args or {}).get("event_id")
    token = request.headers.get(DOOR_HEADER)
    if token:
        try:
            # Check-ins reuse a recent lookup of the link: their admission checks it again.
            door = door_for_token(token, reuse=request.endpoint == "api.checkins")
        except DomainError as e:
            return _error(e.code, e.message, 403)
        if door.event.id != event_id:
            return _error("wrong_door", _("This door link is for another event."), 403)
        g.door = door
        return None
    if current_user.is_authenticated and current_user.has_role(Role.volunteer):
        if request.method == "POST" and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()  # a cookie-authenticated POST needs its CSRF token (X-CSRFToken)
        event = db.session.get(Event, event_id) if event_id is not None else None
        if event is None:
            return _error("not_found", _("This event does not exist."), 404)
        g.door = Door(event=event, staff=current_user)
        return None
    return _error("unauthorized", _("Open the scanner from a door link or log in."), 401)


def _local_time(dt: datetime | None, event: Event) -> str | None:
    if dt is None:
        return None
    return format_time(
        dt, "short", tzinfo=ZoneInfo(event.timezone), locale=babel_locale(get_locale())
    )


def verdict_message(verdict: Verdict, event: Event) -> str:
    """Return what the volunteer reads, in their language."""
    if verdict.result == OK:
        if verdict.party_size and verdict.party_size > 1:
            return _(
                "Welcome, %(name)s — party %(position)d of %(size)d",
                name=verdict.name,
                position=verdict.position,
                size=verdict.party_size,
            )
        return _("Welcome, %(name)s", name=verdict.name)
    if verdict.result == ALREADY_CHECKED_IN:
        return _(
            "Already checked in at %(time)s at %(door)s",
            time=_local_time(verdict.checked_in_dt, event),
            door=verdict.door or _("the door"),
        )
    messages = {
        INVALID: _("Not valid"),
        UNKNOWN: _("Not valid"),
        OTHER_EVENT: _("Ticket for another event"),
        CANCELLED: _("RSVP cancelled"),
        REPLACED: _("Old ticket: a newer one was sent"),
        WAITLISTED: _("Waitlisted"),
    }
    return messages[verdict.result]


def _verdict_json(verdict: Verdict, event: Event) -> dict:
    checked_in = verdict.checked_in_dt.astimezone(UTC) if verdict.checked_in_dt else None
    return {
        "result": verdict.result,
        "ok": verdict.ok,
        "message": verdict_message(verdict, event),
        "scan_id": verdict.scan_id,
        "replay": verdict.is_replay,
        "ticket_id": verdict.ticket_id,
        "attendee": None
        if verdict.name is None
        else {
            "rsvp_id": verdict.rsvp_id,
            "name": verdict.name,
            "position": verdict.position,
            "party_size": verdict.party_size,
        },
        "checked_in_at": checked_in.isoformat().replace("+00:00", "Z") if checked_in else None,
        "checked_in_time": _local_time(verdict.checked_in_dt, event),
        "door": verdict.door,
    }


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("bad_request", _("Send a JSON object."))
    return body


def _scanned_at(value) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise DomainError("bad_request", _("scanned_at must be an ISO 8601 time.")) from None
    if parsed.tzinfo is None:
        raise DomainError("bad_request", _("scanned_at must be an ISO 8601 time."))
    return parsed


@api.post("/events/<int:event_id>/checkins")
def checkins(event_id: int):
    """Check in one ticket, by its scanned code or by its id (from a name search)."""
    body = _json_body()
    code, ticket_id, scan_id = body.get("code"), body.get("ticket_id"), body.get("client_scan_id")
    if (code is None) == (ticket_id is None):
        raise DomainError("bad_request", _("Send either a code or a ticket_id."))
    if code is not None and (not isinstance(code, str) or len(code) > 512):
        raise DomainError("bad_request", _("The code must be text."))
    if ticket_id is not None and (not isinstance(ticket_id, int) or isinstance(ticket_id, bool)):
        raise DomainError("bad_request", _("ticket_id must be a number."))
    if scan_id is not None and (not isinstance(scan_id, str) or not 8 <= len(scan_id) <= 64):
        raise DomainError("bad_request", _("client_scan_id must be 8 to 64 characters."))
    verdict = check_in(
        g.door,
        code=code,
        ticket_id=ticket_id,
        client_scan_id=scan_id,
        scanned_dt=_scanned_at(body.get("scanned_at")),
    )
    answer = _verdict_json(verdict, g.door.event)  # before the commit expires the event
    db.session.commit()
    return jsonify(answer)


@api.post("/events/<int:event_id>/checkins/<int:scan_id>/undo")
def undo(event_id: int, scan_id: int):
    """Undo an admission."""
    entry = undo_check_in(g.door, scan_id)
    db.session.commit()
    return jsonify(result="undone", scan_id=entry.id, ticket_id=entry.ticket_id)


@api.get("/events/<int:event_id>/search")
def search(event_id: int):
    """Find attendees by name (at least two letters), with their tickets."""
    results = search_attendees(g.door.event, request.args.get("q", ""))
    return jsonify(
        results=[
            {
                "rsvp_id": rsvp.id,
                "name": rsvp.name,
                "party_size": rsvp.party_size,
                "status": WAITLISTED if rsvp.is_waitlisted else "confirmed",
                "tickets": [
                    {
                        "ticket_id": t.id,
                        "position": t.position,
                        "checked_in": t.checked_in_dt is not None,
                        "checked_in_time": _local_time(t.checked_in_dt, g.door.event),
                    }
                    for t in rsvp.tickets
                    if t.is_active
                ],
            }
            for rsvp in results
        ]
    )


@api.get("/events/<int:event_id>/stats")
def stats(event_id: int):
    """Return how many are in, of how many confirmed."""
    numbers = door_stats(g.door.event)
    return jsonify(checked_in=numbers.checked_in, confirmed=numbers.confirmed)


@api.get("/openapi.json")
def openapi():
    """Describe this API (OpenAPI 3.1)."""
    return jsonify(OPENAPI)
