"""The volunteer's scanner page and the JSON API it talks to (``/api/v1``)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time
from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from eventsvc.auth.models import Role
from eventsvc.checkin.api_schema import Problem, body_problem, query_problem
from eventsvc.checkin.attendees import search_attendees
from eventsvc.checkin.doors import Door, check_event_open, door_for_token, is_valid_id
from eventsvc.checkin.models import CLOCK_SKEW_LIMIT_S, CheckInResult
from eventsvc.checkin.offline import worker_source
from eventsvc.checkin.openapi import OPENAPI
from eventsvc.checkin.services import (
    Verdict,
    check_in,
    undo_check_in,
)
from eventsvc.checkin.snapshot import (
    parse_revision,
    snapshot_version,
    ticket_rows,
    window_day,
)
from eventsvc.checkin.walkins import admit_walk_in, first_name_message
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.models import Event
from eventsvc.extensions import csrf, db
from eventsvc.i18n import _
from eventsvc.rsvps.qr import public_key_b64, signing_key
from eventsvc.rsvps.seats import door_stats
from eventsvc.security import limit_failed_lookups
from eventsvc.web import CONTENT_SECURITY_POLICY, keep_private

bp = Blueprint("checkin", __name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # door tokens come in a header, not a cookie; session callers are checked below

#: Header a scanner sends its door token in.
DOOR_HEADER = "X-Door-Token"
#: The largest request body the API reads; a scan is a few hundred bytes.
MAX_BODY_BYTES = 16 * 1024
#: A scan's scanned_at is believed within this window around the server's time; a device
#: clock outside it is not, and the scan is logged at the time the server received it.
SCANNED_AT_PAST = timedelta(days=30)
SCANNED_AT_FUTURE = timedelta(days=1)
#: A device clock's offset is kept within what the log's integer column holds (68 years).
MAX_OFFSET_S = 2**31 - 1
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
            # Offline, name search points to the printed door list: a link for those who may
            # open it (organisers), "ask the organisers" for everyone else.
            print_url=url_for("admin.door_list", event_id=door.event.id)
            if door.staff is not None and door.staff.has_role(Role.organiser)
            else None,
        )
    )
    keep_private(response)
    # The QR decoder (zxing-wasm, from static/vendor/) is WebAssembly: compiling it needs
    # 'wasm-unsafe-eval' (not 'unsafe-eval': JS eval stays forbidden), on this page only.
    response.headers["Content-Security-Policy"] = SCANNER_CSP
    return response


@bp.get("/door/<token>")
@limit_failed_lookups
def door_page(token: str):
    """Open the scanner of one event from a door link, no account needed."""
    try:
        door = door_for_token(token)
    except DomainError as e:
        return _closed(e)
    event = db.session.get(Event, door.event.id)  # the page shows the event, not only its id
    return _scanner(replace(door, event=event), api_token=token)


@bp.get("/door/event/<int:event_id>")
@login_required
def staff_door_page(event_id: int):
    """Open the scanner of an event as a logged-in volunteer, organiser or admin."""
    if not current_user.has_role(Role.volunteer):
        abort(403)
    event = (db.session.get(Event, event_id) if is_valid_id(event_id) else None) or abort(404)
    try:
        check_event_open(event.status)  # a draft or a cancelled event has no door
    except DomainError as e:
        return _closed(e)
    return _scanner(Door(event=event, staff=current_user), api_token=None)


def _closed(error: DomainError):
    """Show why the scanner does not open (the link, or its event: cancelled, a draft)."""
    event_closed = error.code in ("event_cancelled", "event_draft")
    page = render_template("checkin/closed.html", message=error.message, event_closed=event_closed)
    return page, 403


@bp.get("/door/sw.js")
def service_worker():
    """Serve the door pages' service worker: the scanner's files kept on the phone."""
    source = worker_source(current_app.static_folder, lambda f: url_for("static", filename=f))
    response = current_app.response_class(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a deploy reaches phones at their next load
    return response


# --- the API ----------------------------------------------------------------------------------


def _error(code: str, message: str, status: int):
    return jsonify(error=code, message=message), status


@api.before_request
def limit_body():
    """Read no request body larger than a scan can be."""
    request.max_content_length = MAX_BODY_BYTES


#: Calls that may reuse a worker's recent lookup of a door link: a check-in's admission checks
#: the link again; a snapshot holds no personal data and is asked for every few seconds.
_REUSE_DOOR = frozenset({"api.checkins", "api.snapshot"})


def authenticate():
    """Let in a valid door token for its own event, or a logged-in staff member (with CSRF)."""
    event_id = (request.view_args or {}).get("event_id")
    token = request.headers.get(DOOR_HEADER)
    if token:
        try:
            door = door_for_token(token, reuse=request.endpoint in _REUSE_DOOR)
        except DomainError as e:
            return _error(e.code, e.message, 403)
        if door.event.id != event_id:
            return _error("wrong_door", _("This door link is for another event."), 403)
        g.door = door
        return None
    if current_user.is_authenticated and current_user.has_role(Role.volunteer):
        if request.method == "POST" and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()  # a cookie-authenticated POST needs its CSRF token (X-CSRFToken)
        event = db.session.get(Event, event_id) if is_valid_id(event_id) else None
        if event is None:
            return _error("not_found", _("This event does not exist."), 404)
        try:
            check_event_open(event.status)
        except DomainError as e:
            return _error(e.code, e.message, 403)
        g.door = Door(event=event, staff=current_user)
        return None
    return _error("unauthorized", _("Open the scanner from a door link or log in."), 401)


def door_required(view):
    """Run the view only for a caller that authenticate() lets in (g.door is then set).

    Used under limit_failed_lookups: an unknown, expired or wrong door link (403) counts
    against the client's budget of failed look-ups; verdicts (200) and bad requests (400) do not.
    """

    @wraps(view)
    def wrapper(**kwargs):
        refused = authenticate()
        if refused is not None:
            return refused
        return view(**kwargs)

    wrapper.door_required = True
    return wrapper


def _local_time(dt: datetime | None, event: Event) -> str | None:
    if dt is None:
        return None
    return format_time(
        dt, "short", tzinfo=ZoneInfo(event.timezone), locale=babel_locale(get_locale())
    )


def verdict_message(verdict: Verdict, event: Event) -> str:
    """Return what the volunteer reads, in their language."""
    if verdict.result == CheckInResult.ok:
        if verdict.party_size and verdict.party_size > 1:
            return _(
                "Welcome, %(name)s — party %(position)d of %(size)d",
                name=verdict.name,
                position=verdict.position,
                size=verdict.party_size,
            )
        return _("Welcome, %(name)s", name=verdict.name)
    if verdict.result == CheckInResult.already_checked_in:
        when = {
            "time": _local_time(verdict.checked_in_dt, event),
            "door": verdict.door or _("the door"),
        }
        if first := first_name(verdict.name):  # the volunteer asks "are you Aidê?"
            return _("Already checked in: %(name)s, at %(time)s at %(door)s", name=first, **when)
        return _("Already checked in at %(time)s at %(door)s", **when)
    if verdict.result == CheckInResult.wrong_day:
        day = window_day(event, babel_locale(get_locale()))
        return _("This ticket is for %(day)s. Admit anyway?", day=day)
    messages = {
        CheckInResult.expired: _("This ticket has expired."),
        CheckInResult.invalid: _("Not valid"),
        CheckInResult.unknown: _("Not valid"),
        CheckInResult.other_event: _("Ticket for another event"),
        CheckInResult.cancelled: _("RSVP cancelled"),
        CheckInResult.replaced: _("Old ticket: a newer one was sent"),
        CheckInResult.waitlisted: _("Waitlisted"),
    }
    return messages[verdict.result]


def first_name(name: str | None) -> str | None:
    """Return the first word of a name (None for no name): what "already in" tells the door."""
    words = (name or "").split()
    return words[0] if words else None


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
        "first_name": first_name(verdict.name)
        if verdict.result == CheckInResult.already_checked_in
        else None,
        "conflict": verdict.is_conflict,
        "day": window_day(event, babel_locale(get_locale()))
        if verdict.result == CheckInResult.wrong_day
        else None,
    }


def _not_json(constant: str):
    raise ValueError(f"{constant} is not JSON")  # NaN, Infinity: Python reads them, JSON has none


def _json_body() -> Any:
    """Return the request's JSON value, or raise bad_request when it is not JSON that can be read.

    Whether the value is what the operation takes (an object of the right fields) is for the
    document to say: see _check_in_request().
    """
    if not request.is_json:
        raise DomainError("bad_request", _("Send a JSON object."))
    try:
        text = request.get_data(cache=False).decode("utf-8")  # JSON on the wire is UTF-8
        return json.loads(text, parse_constant=_not_json)
    except RequestEntityTooLarge:
        raise DomainError("bad_request", _("The request is too large.")) from None
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to read
        raise DomainError("bad_request", _("Send a JSON object.")) from None


def _device_time(value: str | None, message) -> datetime | None:
    """Return a device's time in UTC, or raise bad_request with message() when it is no time.

    The document has checked the text (printable ASCII, at most 64 characters); what it
    cannot say is whether the text is a time with an offset that UTC can hold.
    """
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("no offset")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or out of range once in UTC
        raise DomainError("bad_request", message()) from None


def _clock_offset(sent_at: str | None, now: datetime) -> int | None:
    """Return how many seconds the device's clock is ahead of ours, when it is too far off.

    sent_at is the device's time when it sent the request: the offset is known to within the
    request's travel time. None: no sent_at, or the clock is within CLOCK_SKEW_LIMIT_S.
    """
    sent = _device_time(sent_at, _sent_at_message)
    if sent is None:
        return None
    offset = round((sent - now).total_seconds())
    if abs(offset) <= CLOCK_SKEW_LIMIT_S:
        return None
    return max(-MAX_OFFSET_S, min(MAX_OFFSET_S, offset))


def _scanned_at(value: str | None, offset: int | None, now: datetime) -> datetime | None:
    """Return a scan's time in UTC, corrected by the device clock's offset.

    None (the server's time) when it is still not believable.
    """
    parsed = _device_time(value, _scanned_at_message)
    if parsed is None:
        return None
    try:
        parsed -= timedelta(seconds=offset or 0)
    except OverflowError:
        return None
    if not now - SCANNED_AT_PAST <= parsed <= now + SCANNED_AT_FUTURE:
        return None  # a device clock far off: the scan is real, its time is not
    return parsed


def _device_times(body: dict) -> dict:
    """Return a scan's scanned_dt and clock_offset_s from its scanned_at and sent_at."""
    now = utc_now()
    offset = _clock_offset(body.get("sent_at"), now)
    return {
        "scanned_dt": _scanned_at(body.get("scanned_at"), offset, now),
        "clock_offset_s": offset,
    }


def _scanned_at_message() -> str:
    return _("scanned_at must be an ISO 8601 time with its offset, like 2026-07-04T19:30:00Z.")


def _sent_at_message() -> str:
    return _("sent_at must be an ISO 8601 time with its offset, like 2026-07-04T19:30:00Z.")


def _check_in_message(problem: Problem) -> str:
    """Return what a scanner is told about the first rule of CheckInRequest its body breaks."""
    match problem:
        case Problem(None, "oneOf"):
            return _("Send either a code or a ticket_id.")
        case Problem(None, _):
            return _("Send a JSON object.")
        case Problem("code", "type"):
            return _("The code must be text.")
        case Problem("code", _):
            return _("This is not a ticket code: it is too long.")
        case Problem("ticket_id", _):
            return _("ticket_id must be a whole number from 1 to 2147483647.")
        case Problem("client_scan_id", _):
            return _("client_scan_id must be 8 to 64 letters, digits or - _ . : (a UUID).")
        case Problem("scanned_at", _):
            return _scanned_at_message()
        case Problem("sent_at", _):
            return _sent_at_message()
        case Problem("offline" | "confirm_day" as name, _):
            return _("%(name)s must be true or false.", name=name)
    raise LookupError(f"CheckInRequest has no message for {problem}")


def _check_in_request(body: Any) -> dict:
    """Return check_in()'s arguments from a request body, or raise bad_request saying why.

    The rules are the document's CheckInRequest schema: of the rules a body breaks, the first
    the schema writes is the one the scanner is told about.
    """
    problem = body_problem("/events/{event_id}/checkins", "post", body)
    if problem is not None:
        raise DomainError("bad_request", _check_in_message(problem))
    return {
        "code": body.get("code"),
        "ticket_id": body.get("ticket_id"),
        "client_scan_id": body.get("client_scan_id"),
        **_device_times(body),
        "offline": body.get("offline") is True,
        # An offline admission was confirmed on the phone already, if it had to be.
        "ask_day": not (body.get("confirm_day") is True or body.get("offline") is True),
    }


@api.post("/events/<int:event_id>/checkins")
@limit_failed_lookups
@door_required
def checkins(event_id: int):
    """Check in one ticket, by its scanned code or by its id (from a name search)."""
    verdict = check_in(g.door, **_check_in_request(_json_body()))
    answer = _verdict_json(verdict, g.door.event)  # before the commit expires the event
    db.session.commit()
    return jsonify(answer)


def _walk_in_request(body: Any) -> dict:
    """Return admit_walk_in()'s arguments from a request body, or raise bad_request saying why.

    The rules are the document's WalkInRequest schema, as for a check-in.
    """
    problem = body_problem("/events/{event_id}/walkins", "post", body)
    if problem is not None:
        raise DomainError("bad_request", _walk_in_message(problem))
    return {
        "party_size": body["party_size"],
        "client_scan_id": body["client_scan_id"],
        "first_name": body.get("first_name"),
        "language": str(get_locale()),
        **_device_times(body),
    }


def _walk_in_message(problem: Problem) -> str:
    """Return what a scanner is told about the first rule of WalkInRequest its body breaks."""
    match problem:
        case Problem(None, "required"):
            return _("Send a party_size and a client_scan_id.")
        case Problem(None, _):
            return _("Send a JSON object.")
        case Problem("party_size", _):
            return _("party_size must be a whole number from 1 to 20.")
        case Problem("first_name", _):
            return first_name_message()
    return _check_in_message(problem)  # client_scan_id, scanned_at, sent_at: as for a scan


@api.post("/events/<int:event_id>/walkins")
@limit_failed_lookups
@door_required
def walkins(event_id: int):
    """Add a party that came without an RSVP (no email, no phone) and admit it at once."""
    walk_in = admit_walk_in(g.door, **_walk_in_request(_json_body()))
    db.session.commit()
    return jsonify(
        result="ok",
        ok=True,
        message=walk_in.welcome(),
        scan_id=walk_in.scan_id,
        party_size=walk_in.party_size,
        replay=walk_in.is_replay,
    )


@api.post("/events/<int:event_id>/checkins/<int:scan_id>/undo")
@limit_failed_lookups
@door_required
def undo(event_id: int, scan_id: int):
    """Undo an admission."""
    entry = undo_check_in(g.door, scan_id)
    db.session.commit()
    return jsonify(result="undone", scan_id=entry.id, ticket_id=entry.ticket_id)


@api.get("/events/<int:event_id>/search")
@limit_failed_lookups
@door_required
def search(event_id: int):
    """Find attendees by name (at least two letters), with their tickets."""
    query = request.args.get("q", "")
    if query_problem("/events/{event_id}/search", "get", "q", query) is not None:
        raise DomainError("bad_request", _("Search for a name of at most 100 characters."))
    results = search_attendees(g.door.event, query)
    return jsonify(
        results=[
            {
                "rsvp_id": rsvp.id,
                "name": rsvp.name,
                "party_size": rsvp.party_size,
                "status": "waitlisted" if rsvp.is_waitlisted else "confirmed",
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
@limit_failed_lookups
@door_required
def stats(event_id: int):
    """Return how many are in, of how many confirmed."""
    numbers = door_stats(g.door.event)
    return jsonify(checked_in=numbers.checked_in, confirmed=numbers.confirmed)


@api.get("/events/<int:event_id>/snapshot")
@limit_failed_lookups
@door_required
def snapshot(event_id: int):
    """Return what the scanner needs to judge tickets offline: no names (checkin/snapshot.py)."""
    since = request.args.get("since")
    if query_problem("/events/{event_id}/snapshot", "get", "since", since or "") is not None:
        raise DomainError("bad_request", _("since must be the revision of an earlier snapshot."))
    event = g.door.event
    locale = babel_locale(get_locale())
    version = snapshot_version(event, early_minutes=current_app.config["DOOR_EARLY_MINUTES"])
    etag = version.etag(str(locale))
    if request.if_none_match.contains(etag):
        response = current_app.response_class(status=304)
    else:
        last = parse_revision(since)
        opens, closes = version.window
        response = jsonify(
            event_id=event.id,
            revision=version.revision,
            full=last is None,
            count=version.tickets,
            window={
                "opens_at": _utc_text(opens),
                "closes_at": _utc_text(closes),
                "day": window_day(event, locale),
            },
            tickets=ticket_rows(event.id, last),
        )
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"  # always asked again, cheaply
    keep_private(response)
    return response


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@api.get("/openapi.json")
def openapi():
    """Describe this API (OpenAPI 3.1)."""
    return jsonify(OPENAPI)
