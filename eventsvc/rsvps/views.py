"""The attendee's own pages, reached only through the private links in their email.

One token per purpose: the manage link opens the page, its QR codes and its forms; the feed link
opens only the calendar feed; the disown link (mailed to the holder of an address someone else
RSVPed with) only cancels that RSVP. Every view that looks a token up counts the client's failed
look-ups (:func:`eventsvc.security.limit_failed_lookups`: 429 past TOKEN_LOOKUP_LIMIT); a link
that finds nothing answers one plain page, "This link is not valid or has expired" (404), which
offers to mail the links again (``/rsvp/lost``).
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.feeds import personal_feed
from eventsvc.events.pages import render_event_page
from eventsvc.events.services import get_public_event
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.logs import hashed
from eventsvc.rsvps.forms import (
    CancelForm,
    DeleteDataForm,
    DisownForm,
    LostLinkForm,
    PartySizeForm,
    ReplaceFeedForm,
    RsvpForm,
)
from eventsvc.rsvps.links import (
    feed_urls,
    get_rsvp_by_disown_token,
    get_rsvp_by_feed_token,
    get_rsvp_by_token,
    replace_feed_token,
)
from eventsvc.rsvps.mail import send_lost_links
from eventsvc.rsvps.models import Rsvp
from eventsvc.rsvps.own_data import MESSAGE_TITLES, is_read_only, own_messages, personal_data
from eventsvc.rsvps.qr import qr_png, qr_svg
from eventsvc.rsvps.seats import waitlist_position
from eventsvc.rsvps.services import (
    cancel_rsvp,
    change_party_size,
    delete_personal_data,
    disown_rsvp,
    rsvp_closed_reason,
    submit_rsvp,
)
from eventsvc.rsvps.tickets import active_tickets, ticket_code
from eventsvc.security import limit_failed_lookups
from eventsvc.web import calendar_response, feed_language, keep_private

bp = Blueprint("rsvps", __name__, url_prefix="/rsvp")
#: The event page's RSVP form posts to the event's own address (events.views shows the page).
event_rsvps = Blueprint("event_rsvps", __name__, url_prefix="/events")


@event_rsvps.post("/<slug>")
@limiter.limit(lambda: current_app.config["RSVP_RATE_LIMIT"])
def submit(slug: str):
    """Take an RSVP from the event page; a refused one shows the page again, as typed."""
    event = get_public_event(slug) or abort(404)
    form = RsvpForm(max_party_size=event.max_party_size, language=str(get_locale()))
    closed = rsvp_closed_reason(event, utc_now())
    if closed is not None:
        form.form_errors.append(closed)
    elif form.validate_on_submit():
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
    return render_event_page(event, form, closed=closed, status=400)


bp.after_request(keep_private)


def _invalid_link():
    """Stop with the plain "not valid or expired" page (404): no name, the lost-link form."""
    page = render_template("rsvps/invalid_link.html", form=LostLinkForm())
    abort(make_response(page, 404))


def _is_gone(rsvp: Rsvp | None) -> bool:
    # Purged with its event's attendees: the link has expired, whatever the token still finds.
    return rsvp is None or rsvp.event.purged_dt is not None


def _load(token: str) -> Rsvp:
    rsvp = get_rsvp_by_token(token)
    if _is_gone(rsvp):
        _invalid_link()
    return rsvp


def _moment(value: datetime | None, timezone: str) -> str:
    """Return a stored UTC time as the visitor reads it, in the event's zone."""
    if value is None:
        return ""
    tz = ZoneInfo(timezone)
    return format_datetime(value, "medium", tzinfo=tz, locale=babel_locale(get_locale()))


def _render_manage(rsvp: Rsvp, token: str, *, party_form=None, delete_form=None, status=200):
    read_only = is_read_only(rsvp)
    return (
        render_template(
            "rsvps/manage.html",
            rsvp=rsvp,
            event=rsvp.event,
            token=token,
            read_only=read_only,
            tickets=[] if read_only else active_tickets(rsvp),
            position=None if read_only else waitlist_position(rsvp),
            feed=feed_urls(rsvp),
            data=personal_data(rsvp),
            messages=own_messages(rsvp),
            message_titles=MESSAGE_TITLES,
            moment=lambda value: _moment(value, rsvp.event.timezone),
            party_form=party_form
            or PartySizeForm(max_party_size=rsvp.event.max_party_size, party_size=rsvp.party_size),
            cancel_form=CancelForm(),
            feed_form=ReplaceFeedForm(),
            delete_form=delete_form or DeleteDataForm(),
        ),
        status,
    )


@bp.get("/<token>")
@limit_failed_lookups
def manage(token: str):
    """Show the person's RSVP: status, tickets, event, their data, and what they can change."""
    return _render_manage(_load(token), token)


@bp.get("/<token>/data.json")
@limit_failed_lookups
def data_json(token: str):
    """Download everything stored about this RSVP (see services.personal_data for the keys)."""
    rsvp = _load(token)
    if rsvp.is_anonymised:
        _invalid_link()
    body = json.dumps(personal_data(rsvp), ensure_ascii=False, indent=2)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-rsvp.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ticket(rsvp: Rsvp):
    if is_read_only(rsvp):
        abort(404)  # after the event, no QR code: the page shows the RSVP for the record only
    tickets = active_tickets(rsvp)
    position = request.args.get("ticket", type=int)
    chosen = [t for t in tickets if position is None or t.position == position]
    return chosen[0] if chosen else abort(404)


@bp.get("/<token>/qr.svg")
@limit_failed_lookups
def qr_svg_image(token: str):
    """Return a ticket's QR code as SVG (?ticket=N for the Nth person of the party)."""
    body = qr_svg(ticket_code(_ticket(_load(token))))
    return current_app.response_class(body, mimetype="image/svg+xml")


@bp.get("/<token>/qr.png")
@limit_failed_lookups
def qr_png_image(token: str):
    """Return a ticket's QR code as PNG (?ticket=N for the Nth person of the party)."""
    body = qr_png(ticket_code(_ticket(_load(token))))
    return current_app.response_class(body, mimetype="image/png")


@bp.get("/<token>/calendar.ics")
@limit_failed_lookups
def calendar(token: str):
    """Return the personal feed (feed token only): the events of the RSVP's feed group."""
    rsvp = get_rsvp_by_feed_token(token)
    if _is_gone(rsvp):
        _invalid_link()
    feed = personal_feed(rsvp, feed_language(default=rsvp.language))
    return calendar_response(feed, private=True, by_visitor=False)


@bp.post("/<token>/feed")
@limit_failed_lookups
def replace_feed(token: str):
    """Replace the calendar feed's link: the old one stops working."""
    rsvp = _load(token)
    if ReplaceFeedForm().validate_on_submit() and not rsvp.is_anonymised:
        replace_feed_token(rsvp)
        db.session.commit()
        flash(_("Your calendar link is replaced. Subscribe again with the new one."), "success")
        return redirect(url_for("rsvps.manage", token=token), code=303)
    return _render_manage(rsvp, token, status=400)


@bp.post("/<token>/party")
@limit_failed_lookups
def party(token: str):
    """Change how many people come."""
    rsvp = _load(token)
    form = PartySizeForm(max_party_size=rsvp.event.max_party_size)
    if form.validate_on_submit():
        try:
            change_party_size(rsvp, form.party_size.data)
        except DomainError as e:
            db.session.rollback()
            form.party_size.errors.append(e.message)
        else:
            db.session.commit()
            flash(_("Your party size is updated."), "success")
            return redirect(url_for("rsvps.manage", token=token), code=303)
    return _render_manage(rsvp, token, party_form=form, status=400)


@bp.post("/<token>/cancel")
@limit_failed_lookups
def cancel(token: str):
    """Cancel the RSVP (not after the event: the page is then read-only)."""
    rsvp = _load(token)
    if CancelForm().validate_on_submit() and not is_read_only(rsvp):
        cancel_rsvp(rsvp)
        db.session.commit()
        flash(_("Your RSVP is cancelled. Thank you for letting us know."), "success")
        return redirect(url_for("rsvps.manage", token=token), code=303)
    return _render_manage(rsvp, token, status=400)


@bp.post("/<token>/delete")
@limit_failed_lookups
def delete(token: str):
    """Erase the person's data at once."""
    rsvp = _load(token)
    form = DeleteDataForm()
    if form.validate_on_submit():
        delete_personal_data(rsvp)
        db.session.commit()
        flash(_("Your information has been erased."), "success")
        return redirect(url_for("rsvps.manage", token=token), code=303)
    return _render_manage(rsvp, token, delete_form=form, status=400)


@bp.route("/not-me/<token>", methods=["GET", "POST"])
@limit_failed_lookups
def disown(token: str):
    """Let the holder of an address cancel an RSVP someone made with it (POST; GET only shows)."""
    rsvp = get_rsvp_by_disown_token(token)
    if _is_gone(rsvp) or rsvp.is_anonymised:
        _invalid_link()
    form = DisownForm()
    over = rsvp.event.has_ended(utc_now())
    if form.validate_on_submit() and not over:
        disown_rsvp(rsvp)
        db.session.commit()
        flash(_("That RSVP is cancelled. Your own RSVP is unchanged."), "success")
        return redirect(url_for("rsvps.disown", token=token), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "rsvps/disown.html", rsvp=rsvp, event=rsvp.event, form=form, over=over
    ), status


def _resend_limit() -> str:
    return current_app.config["RSVP_LINK_RESEND_RATE_LIMIT"]


def _resend_key() -> str:
    # Per address asked for; a keyed hash, so the limiter's storage and logs name nobody.
    email = request.form.get("email", "").strip().lower()
    return "rsvp-lost:" + hashed(email, key=current_app.config["SECRET_KEY"], length=32)


@bp.route("/lost", methods=["GET", "POST"])
@limiter.limit(_resend_limit, key_func=_resend_key, methods=["POST"])
@limiter.limit(_resend_limit, methods=["POST"])
def lost():
    """Mail a person the links of their RSVPs again; the answer never says if we know them."""
    form = LostLinkForm()
    if form.validate_on_submit():
        send_lost_links(form.email.data)
        db.session.commit()
        flash(
            _(
                "Thank you. If this email has RSVPs for events still to come, we have sent it "
                "their links. Check your inbox, and your spam folder."
            ),
            "info",
        )
        return redirect(url_for("rsvps.lost"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("rsvps/lost.html", form=form), status
