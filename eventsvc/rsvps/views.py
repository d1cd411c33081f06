"""The attendee's own page, reached only through the private link in their email."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from eventsvc.errors import DomainError
from eventsvc.events.views import calendar_response, feed_language
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.forms import CancelForm, DeleteDataForm, PartySizeForm
from eventsvc.rsvps.models import Rsvp
from eventsvc.rsvps.qr import qr_png, qr_svg
from eventsvc.rsvps.services import (
    active_tickets,
    cancel_rsvp,
    change_party_size,
    delete_personal_data,
    get_rsvp_by_token,
    personal_feed,
    ticket_code,
    waitlist_position,
)
from eventsvc.security import keep_private

bp = Blueprint("rsvps", __name__, url_prefix="/rsvp")


bp.after_request(keep_private)


def _load(token: str) -> Rsvp:
    return get_rsvp_by_token(token) or abort(404)


def _render_manage(rsvp: Rsvp, token: str, *, party_form=None, delete_form=None, status=200):
    return (
        render_template(
            "rsvps/manage.html",
            rsvp=rsvp,
            event=rsvp.event,
            token=token,
            tickets=active_tickets(rsvp),
            position=waitlist_position(rsvp),
            party_form=party_form
            or PartySizeForm(max_party_size=rsvp.event.max_party_size, party_size=rsvp.party_size),
            cancel_form=CancelForm(),
            delete_form=delete_form or DeleteDataForm(),
        ),
        status,
    )


@bp.get("/<token>")
def manage(token: str):
    """Show the person's RSVP: status, tickets, event, and what they can change."""
    return _render_manage(_load(token), token)


def _ticket(rsvp: Rsvp):
    tickets = active_tickets(rsvp)
    position = request.args.get("ticket", type=int)
    chosen = [t for t in tickets if position is None or t.position == position]
    return chosen[0] if chosen else abort(404)


@bp.get("/<token>/qr.svg")
def qr_svg_image(token: str):
    """Return a ticket's QR code as SVG (?ticket=N for the Nth person of the party)."""
    body = qr_svg(ticket_code(_ticket(_load(token))))
    return current_app.response_class(body, mimetype="image/svg+xml")


@bp.get("/<token>/qr.png")
def qr_png_image(token: str):
    """Return a ticket's QR code as PNG (?ticket=N for the Nth person of the party)."""
    body = qr_png(ticket_code(_ticket(_load(token))))
    return current_app.response_class(body, mimetype="image/png")


@bp.get("/<token>/calendar.ics")
def calendar(token: str):
    """Return the person's own feed: the events they have a live RSVP for (?lang= to choose)."""
    rsvp = _load(token)
    feed = personal_feed(rsvp, feed_language(default=rsvp.language))
    return calendar_response(feed, private=True, by_visitor=False)


@bp.post("/<token>/party")
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
def cancel(token: str):
    """Cancel the RSVP."""
    rsvp = _load(token)
    if CancelForm().validate_on_submit():
        cancel_rsvp(rsvp)
        db.session.commit()
        flash(_("Your RSVP is cancelled. Thank you for letting us know."), "success")
        return redirect(url_for("rsvps.manage", token=token), code=303)
    return _render_manage(rsvp, token, status=400)


@bp.post("/<token>/delete")
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
