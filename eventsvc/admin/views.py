"""The back office's start page and the door links of an event."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from eventsvc.admin.blueprint import bp, event_or_404
from eventsvc.admin.events import LIVE_REFRESH_SECONDS, live_view, problems_view
from eventsvc.auth.models import Role
from eventsvc.checkin.doors import (
    create_door_pass,
    door_pass_token,
    revoke_door_pass,
    scanner_events,
)
from eventsvc.checkin.forms import DoorPassForm
from eventsvc.checkin.models import DoorPass
from eventsvc.errors import DomainError
from eventsvc.events.models import Event
from eventsvc.events.services import back_office_events, current_event
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.rsvps.qr import qr_svg
from eventsvc.rsvps.seats import seat_summaries


@bp.get("/")
def dashboard():
    """Show the start page: upcoming events and the door live; volunteers get the scanners."""
    if not current_user.has_role(Role.organiser):  # no counts, no attendees: the door only
        return render_template("admin/dashboard.html", events=scanner_events(), organiser=False)
    upcoming = back_office_events()["upcoming"]
    current = current_event()
    return render_template(
        "admin/dashboard.html",
        organiser=True,
        events=upcoming,
        counts=seat_summaries(upcoming, checked_in=True),
        current=current,
        live=live_view(current) if current else None,
        refresh=LIVE_REFRESH_SECONDS,
    )


def _door_pass(event: Event, door_id: int) -> DoorPass:
    door_pass = db.session.get(DoorPass, door_id)
    if door_pass is None or door_pass.event_id != event.id:
        abort(404)
    return door_pass


def _door_url(door_pass: DoorPass) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/door/{door_pass_token(door_pass)}"


@bp.route("/events/<int:event_id>/doors", methods=["GET", "POST"])
def doors(event_id: int):
    """List an event's door links and make new ones."""
    event = event_or_404(event_id)
    form = DoorPassForm()
    if form.validate_on_submit():
        try:
            create_door_pass(event, form.label.data, actor=current_user)
        except DomainError as e:
            db.session.rollback()
            form.label.errors.append(e.message)
        else:
            db.session.commit()
            flash(_("Door link created."), "success")
            return redirect(url_for("admin.doors", event_id=event.id), code=303)
    passes = sorted(event.door_passes, key=lambda d: d.created_dt, reverse=True)
    return (
        render_template(
            "admin/doors.html",
            event=event,
            form=form,
            passes=[(d, _door_url(d)) for d in passes],
            problems=problems_view(event),
        ),
        400 if form.is_submitted() else 200,
    )


@bp.post("/events/<int:event_id>/doors/<int:door_id>/revoke")
def revoke_door(event_id: int, door_id: int):
    """Switch a door link off at once."""
    # CSRF is checked for every POST.
    revoke_door_pass(_door_pass(event_or_404(event_id), door_id), actor=current_user)
    db.session.commit()
    flash(_("Door link switched off."), "success")
    return redirect(url_for("admin.doors", event_id=event_id), code=303)


@bp.get("/events/<int:event_id>/doors/<int:door_id>/qr.svg")
def door_qr(event_id: int, door_id: int):
    """Return the QR code of a door link, for a volunteer to scan."""
    door_pass = _door_pass(event_or_404(event_id), door_id)
    body = qr_svg(_door_url(door_pass), title=_("Door link: %(label)s", label=door_pass.label))
    return current_app.response_class(body, mimetype="image/svg+xml")
