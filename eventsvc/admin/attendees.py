"""Back office: an event's attendees, adding and editing parties, the door list, CSV exports."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from eventsvc.admin.blueprint import bp, event_or_404
from eventsvc.checkin.attendees import (
    door_list,
    export_attendees,
    export_check_ins,
    find_attendees,
    scan_history,
)
from eventsvc.checkin.forms import AttendeeSearchForm, PartyCheckInForm, UndoCheckInForm
from eventsvc.checkin.services import check_in_party, register_attendee, undo_admission
from eventsvc.core.csvexport import build_csv
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _, _l, ngettext
from eventsvc.rsvps.forms import AttendeeForm, NewAttendeeForm
from eventsvc.rsvps.models import Rsvp
from eventsvc.rsvps.seats import seat_summary, waitlist_position
from eventsvc.rsvps.staff import (
    AlreadyRsvped,
    cancel_attendee,
    promote_rsvp,
    resend_rsvp_mail,
    update_attendee,
)
from eventsvc.rsvps.tickets import active_tickets

#: What each scan result means, in an attendee's scan history.
SCAN_RESULTS = {
    "ok": _l("Admitted"),
    "already_checked_in": _l("Already checked in"),
    "cancelled": _l("Ticket cancelled"),
    "replaced": _l("Old code (the ticket was replaced)"),
    "other_event": _l("Ticket of another event"),
    "invalid": _l("Not a valid code"),
    "unknown": _l("Unknown ticket"),
    "expired": _l("Expired ticket (the event's data was purged)"),
}


def _rsvp(event: Event, rsvp_id: int) -> Rsvp:
    """Return the RSVP only if it belongs to this event: another event's id is not found."""
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        abort(404)
    return rsvp


@bp.app_template_global()
def attendee_time(moment: datetime | None, event: Event) -> str:
    """Return a UTC time as a short date and time in the event's zone, the reader's way."""
    if moment is None:
        return ""
    return format_datetime(
        moment, "short", tzinfo=ZoneInfo(event.timezone), locale=babel_locale(get_locale())
    )


def _search_form(source) -> AttendeeSearchForm:
    form = AttendeeSearchForm(source)
    form.validate()
    return form


def _page_number() -> int:
    try:
        return max(int(request.args.get("page", 1)), 1)
    except ValueError:
        return 1


@bp.get("/events/<int:event_id>/attendees")
def attendees(event_id: int):
    """List an event's parties: search, filter, sort, with the counts of every filter."""
    event = event_or_404(event_id)
    form = _search_form(request.args)
    filters = form.to_filter()
    return render_template(
        "admin/attendees/list.html",
        event=event,
        form=form,
        filters=filters,
        result=find_attendees(event, filters, page=_page_number()),
        seats=seat_summary(event),
    )


def _attendee_page(event: Event, rsvp: Rsvp, *, form=None, checkin_form=None, error=None):
    """Render an attendee's page (details, tickets, scans); 400 when something was refused."""
    if form is None and not rsvp.is_anonymised and not rsvp.is_cancelled:
        form = AttendeeForm(obj=rsvp, max_party_size=event.max_party_size)
    tickets = active_tickets(rsvp)
    remaining = sum(1 for t in tickets if not t.is_checked_in)
    history = scan_history(rsvp)
    # The admission each checked-in ticket can be undone through: its latest one.
    admissions = {}
    for entry in history:
        if entry.is_admission and entry.ticket_id not in admissions:
            admissions[entry.ticket_id] = entry
    status = 400 if (error or (form is not None and form.errors)) else 200
    return (
        render_template(
            "admin/attendees/attendee.html",
            event=event,
            rsvp=rsvp,
            form=form,
            checkin_form=checkin_form or PartyCheckInForm(remaining=remaining),
            tickets=tickets,
            remaining=remaining,
            history=history,
            admissions=admissions,
            position=waitlist_position(rsvp),
            error=error,
            scan_results=SCAN_RESULTS,
        ),
        status,
    )


def _to_attendee(event: Event, rsvp: Rsvp):
    return redirect(url_for("admin.attendee", event_id=event.id, rsvp_id=rsvp.id), code=303)


@bp.route("/events/<int:event_id>/attendees/new", methods=["GET", "POST"])
def attendee_new(event_id: int):
    """Add a party by hand (a phone call, a walk-in at the door)."""
    event = event_or_404(event_id)
    form = NewAttendeeForm(max_party_size=event.max_party_size)
    existing = None
    if form.validate_on_submit():
        try:
            outcome, admitted = register_attendee(
                event,
                form.to_data(),
                staff=current_user,
                notify=bool(form.send_confirmation.data),
                check_in_now=bool(form.walk_in.data),
            )
        except AlreadyRsvped as e:
            db.session.rollback()
            existing = e.rsvp
            form.email.errors = [*form.email.errors, e.message]
        except DomainError as e:
            db.session.rollback()
            form.form_errors.append(e.message)
        else:
            db.session.commit()
            rsvp = outcome.rsvp
            if form.walk_in.data and not rsvp.is_confirmed:
                flash(
                    _(
                        "The event is full: added to the waiting list (number %(n)d in line), "
                        "not checked in.",
                        n=waitlist_position(rsvp),
                    ),
                    "error",
                )
            elif admitted:
                flash(
                    ngettext(
                        "Added and checked in: %(num)d person.",
                        "Added and checked in: %(num)d people.",
                        len(admitted),
                    ),
                    "success",
                )
            elif rsvp.is_confirmed:
                flash(_("Added with seats confirmed."), "success")
            else:
                flash(
                    _(
                        "The event is full: added to the waiting list (number %(n)d in line).",
                        n=waitlist_position(rsvp),
                    ),
                    "success",
                )
            return _to_attendee(event, rsvp)
    return (
        render_template(
            "admin/attendees/new.html",
            event=event,
            form=form,
            existing=existing,
            seats=seat_summary(event),
        ),
        400 if form.is_submitted() else 200,
    )


@bp.route("/events/<int:event_id>/attendees/<int:rsvp_id>", methods=["GET", "POST"])
def attendee(event_id: int, rsvp_id: int):
    """Show a party (details, tickets, check-ins, scans) and edit its details."""
    event = event_or_404(event_id)
    rsvp = _rsvp(event, rsvp_id)
    if request.method == "GET":
        return _attendee_page(event, rsvp)
    if rsvp.is_anonymised or rsvp.is_cancelled:
        return _attendee_page(event, rsvp, error=_("A cancelled RSVP cannot be edited."))
    form = AttendeeForm(max_party_size=event.max_party_size)
    if form.validate():
        try:
            changed = update_attendee(rsvp, form.to_data(), actor=current_user)
        except DomainError as e:
            db.session.rollback()
            form.form_errors.append(e.message)
        else:
            db.session.commit()
            flash(_("Changes saved.") if changed else _("Nothing was changed."), "success")
            return _to_attendee(event, rsvp)
    db.session.refresh(rsvp)
    return _attendee_page(event, rsvp, form=form)


def _action(event_id: int, rsvp_id: int, act, success):
    """Run one button's use case on a party; commit and go back to it, or show why not."""
    event = event_or_404(event_id)
    rsvp = _rsvp(event, rsvp_id)
    try:
        result = act(rsvp)
    except DomainError as e:
        db.session.rollback()
        db.session.refresh(rsvp)
        return _attendee_page(event, rsvp, error=e.message)
    db.session.commit()
    flash(success(result), "success")
    return _to_attendee(event, rsvp)


@bp.post("/events/<int:event_id>/attendees/<int:rsvp_id>/cancel")
def attendee_cancel(event_id: int, rsvp_id: int):
    """Cancel a party's RSVP; its seats go to the waiting list."""

    def said(promoted: int) -> str:
        if not promoted:
            return _("RSVP cancelled.")
        return ngettext(
            "RSVP cancelled. %(num)d party moved up from the waiting list.",
            "RSVP cancelled. %(num)d parties moved up from the waiting list.",
            promoted,
        )

    return _action(event_id, rsvp_id, lambda rsvp: cancel_attendee(rsvp, actor=current_user), said)


@bp.post("/events/<int:event_id>/attendees/<int:rsvp_id>/promote")
def attendee_promote(event_id: int, rsvp_id: int):
    """Move a party from the waiting list to confirmed seats now, if its seats fit."""
    return _action(
        event_id,
        rsvp_id,
        lambda rsvp: promote_rsvp(rsvp, actor=current_user),
        lambda _rsvp: _("Moved from the waiting list: the seats are confirmed and they are told."),
    )


@bp.post("/events/<int:event_id>/attendees/<int:rsvp_id>/resend")
def attendee_resend(event_id: int, rsvp_id: int):
    """Queue the party's confirmation (with the tickets) or waiting-list email again."""
    return _action(
        event_id,
        rsvp_id,
        lambda rsvp: resend_rsvp_mail(rsvp, actor=current_user),
        lambda _message: _("The email is in the outbox and goes out shortly."),
    )


@bp.post("/events/<int:event_id>/attendees/<int:rsvp_id>/checkin")
def attendee_checkin(event_id: int, rsvp_id: int):
    """Check in some or all of a party by hand, as the logged-in staff member."""
    event = event_or_404(event_id)
    rsvp = _rsvp(event, rsvp_id)
    remaining = sum(1 for t in active_tickets(rsvp) if not t.is_checked_in)
    form = PartyCheckInForm(remaining=remaining)
    if not form.validate():
        return _attendee_page(event, rsvp, checkin_form=form, error=" ".join(form.count.errors))
    return _action(
        event_id,
        rsvp_id,
        lambda rsvp: check_in_party(rsvp, form.count.data, staff=current_user),
        lambda admitted: ngettext(
            "Checked in: %(num)d person.", "Checked in: %(num)d people.", len(admitted)
        ),
    )


@bp.post("/events/<int:event_id>/attendees/<int:rsvp_id>/undo")
def attendee_undo(event_id: int, rsvp_id: int):
    """Undo one admission of a party (the wrong person, a mis-tap)."""
    event = event_or_404(event_id)
    rsvp = _rsvp(event, rsvp_id)
    form = UndoCheckInForm()
    if not form.validate():
        return _attendee_page(event, rsvp, error=_("This check-in cannot be undone."))
    return _action(
        event_id,
        rsvp_id,
        lambda rsvp: undo_admission(rsvp, form.scan_id.data, staff=current_user),
        lambda _entry: _("Check-in undone: that person is no longer counted as in."),
    )


@bp.get("/events/<int:event_id>/attendees/print", endpoint="door_list")
def door_list_page(event_id: int):
    """Show the printable door list: confirmed parties by name, a box per person."""
    event = event_or_404(event_id)
    parties = door_list(event)
    return render_template(
        "admin/attendees/door_list.html",
        event=event,
        parties=parties,
        people=sum(r.party_size for r in parties),
        printed=utc_now(),
    )


def _csv_response(body: bytes, kind: str, event: Event):
    stamp = utc_now().astimezone(ZoneInfo(event.timezone)).strftime("%Y%m%d-%H%M")
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{kind}-{event.slug}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/events/<int:event_id>/attendees.csv", endpoint="export_attendees")
def export_attendees_csv(event_id: int):
    """Download the attendees the list's filters show as CSV; the export is audited."""
    event = event_or_404(event_id)
    header, rows = export_attendees(
        event, _search_form(request.form).to_filter(), actor=current_user
    )
    db.session.commit()
    return _csv_response(build_csv(header, rows), "attendees", event)


@bp.post("/events/<int:event_id>/checkins.csv", endpoint="export_checkins")
def export_checkins_csv(event_id: int):
    """Download the event's scan log as CSV; the export is audited."""
    event = event_or_404(event_id)
    header, rows = export_check_ins(event, actor=current_user)
    db.session.commit()
    return _csv_response(build_csv(header, rows), "checkins", event)
