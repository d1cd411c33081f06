"""Back office for events: list, create, edit, duplicate, publish, cancel, the live door view."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from eventsvc.admin.blueprint import bp, event_or_404
from eventsvc.checkin.activity import DoorActivity, DoorProblems, door_activity, door_problems
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.events.forms import COMMON_TIMEZONES, CancelEventForm, EventForm
from eventsvc.events.models import Event, Series
from eventsvc.events.services import (
    EventInvalid,
    back_office_events,
    create_event,
    duplicate_event,
    event_problems,
    main_series,
    publish_event,
)
from eventsvc.extensions import db
from eventsvc.i18n import _, ngettext
from eventsvc.rsvps.event_changes import attendees_to_tell, cancel_event, edit_event
from eventsvc.rsvps.seats import seat_counts, seat_summaries, seat_summary

#: How often the live door view asks for new numbers (admin-live.js reads it from the page).
LIVE_REFRESH_SECONDS = 7


def _series_choices(form: EventForm) -> dict[int, Series]:
    series = db.session.scalars(select(Series).order_by(Series.id)).all()
    form.series_id.choices = [(s.id, s.title(get_locale())) for s in series]
    return {s.id: s for s in series}


def _checked(form: EventForm, event: Event | None) -> bool:
    """Validate the form; on failure also show what the rules say about the fields that parsed."""
    if form.validate():
        return True
    taken = seat_counts(event.id)[0] if event is not None else 0
    form.show_problems(event_problems(form.values(), event=event, taken=taken), skip_invalid=True)
    return False


def _form_page(form: EventForm, event: Event | None, **context):
    return (
        render_template(
            "admin/events/form.html",
            form=form,
            event=event,
            timezones=COMMON_TIMEZONES,
            **context,
        ),
        400 if form.is_submitted() else 200,
    )


@bp.get("/events")
def events():
    """List every event: upcoming, drafts, past and cancelled, with their counts."""
    groups = back_office_events()
    return render_template(
        "admin/events/list.html",
        groups=groups,
        counts=seat_summaries([e for group in groups.values() for e in group], checked_in=True),
    )


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    """Create an event, as a draft."""
    form = EventForm()
    series = _series_choices(form)
    if not form.is_submitted():
        first = main_series()
        if first is not None:
            form.series_id.data = first.id
            form.timezone.data = first.timezone
        form.guest_limit.data = 0
    elif _checked(form, None):
        try:
            event = create_event(series[form.series_id.data], form.values(), actor=current_user)
        except EventInvalid as e:
            db.session.rollback()
            form.show_problems(e.problems)
        else:
            db.session.commit()
            flash(_("Event created as a draft. Publish it when it is ready."), "success")
            return redirect(url_for("admin.event", event_id=event.id), code=303)
    return _form_page(form, None)


@bp.get("/events/<int:event_id>", endpoint="event")
def event_overview(event_id: int):
    """Show an event's details, counts and what can be done with it."""
    event = event_or_404(event_id)
    return render_template(
        "admin/events/overview.html",
        event=event,
        counts=seat_summary(event, checked_in=True),
        to_tell=len(attendees_to_tell(event)),
        rsvp_opens=_when(event.rsvp_opens_dt, event),
        rsvp_closes=_when(event.rsvp_closes_dt, event),
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    """Change an event; offer to email attendees when its time or place changes."""
    event = event_or_404(event_id)
    form = EventForm.for_event(event)
    del form.series_id  # an event stays in its series
    to_tell = len(attendees_to_tell(event)) if event.is_published else 0
    if form.is_submitted() and _checked(form, event):
        try:
            outcome = edit_event(
                event,
                form.values(),
                actor=current_user,
                notify=bool(to_tell and form.notify.data),
            )
        except EventInvalid as e:
            db.session.rollback()
            form.show_problems(e.problems)
        except DomainError as e:  # capacity, checked again under the event's lock
            db.session.rollback()
            form.capacity.errors = [*form.capacity.errors, e.message]
        else:
            db.session.commit()
            message = _("Event saved.")
            if outcome.notified:
                message += " " + ngettext(
                    "%(num)d attendee will get an email about the change.",
                    "%(num)d attendees will get an email about the change.",
                    outcome.notified,
                )
            flash(message, "success")
            return redirect(url_for("admin.event", event_id=event.id), code=303)
    return _form_page(form, event, to_tell=to_tell)


@bp.post("/events/<int:event_id>/duplicate")
def event_duplicate(event_id: int):
    """Copy an event into a new draft and open it for editing."""
    copy = duplicate_event(event_or_404(event_id), actor=current_user)
    db.session.commit()
    flash(_("This is a copy, saved as a draft. Change what differs, then publish it."), "success")
    return redirect(url_for("admin.event_edit", event_id=copy.id), code=303)


@bp.post("/events/<int:event_id>/publish")
def event_publish(event_id: int):
    """Make a draft public: on the site and in the calendar feeds."""
    event = event_or_404(event_id)
    try:
        publish_event(event, actor=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Event published: it is on the site and in the calendar feed."), "success")
    return redirect(url_for("admin.event", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
def event_cancel(event_id: int):
    """Call an event off, with a message to its attendees in both languages."""
    event = event_or_404(event_id)
    if event.is_cancelled:
        if request.method == "POST":
            flash(_("This event is already cancelled."), "error")
            return redirect(url_for("admin.event", event_id=event.id), code=303)
        return render_template("admin/events/cancel.html", event=event, form=None, to_tell=0)
    form = CancelEventForm()
    to_tell = len(attendees_to_tell(event))
    if form.validate_on_submit():
        cancel_event(
            event,
            actor=current_user,
            message_en=form.message_en.data,
            message_es=form.message_es.data,
        )
        db.session.commit()
        flash(
            ngettext(
                "Event cancelled. %(num)d attendee will get your message.",
                "Event cancelled. %(num)d attendees will get your message.",
                to_tell,
            ),
            "success",
        )
        return redirect(url_for("admin.event", event_id=event.id), code=303)
    return (
        render_template("admin/events/cancel.html", event=event, form=form, to_tell=to_tell),
        400 if form.is_submitted() else 200,
    )


# --- the live door view -----------------------------------------------------------------------


def _when(value, event: Event) -> str | None:
    if value is None:
        return None
    zone = ZoneInfo(event.timezone)
    locale = babel_locale(get_locale())
    text = format_datetime(value, "medium", tzinfo=zone, locale=locale)
    return f"{text} {value.astimezone(zone).tzname()}"


def _time(value, event: Event) -> str:
    return format_time(
        value, "short", tzinfo=ZoneInfo(event.timezone), locale=babel_locale(get_locale())
    )


def _result_label(code: str, undone: bool) -> str:
    if undone:
        return _("Undone")
    return {
        "ok": _("Checked in"),
        "already_checked_in": _("Already checked in"),
        "other_event": _("Ticket for another event"),
        "cancelled": _("RSVP cancelled"),
        "replaced": _("Old ticket: a newer one was sent"),
        "waitlisted": _("Waitlisted"),
        "expired": _("Expired ticket (the event's data was purged)"),
    }.get(code, _("Not valid"))


def _scan_door(scan) -> str:
    return (
        (scan.door_pass.label if scan.door_pass else None)
        or (scan.staff.name if scan.staff else "")
        or _("Back office")
    )


def problems_view(event: Event, problems: DoorProblems | None = None) -> dict:
    """Return the conflicts of offline scanning and the scans of phones with a wrong clock."""
    problems = problems or door_problems(event)
    conflicts = []
    for conflict in problems.conflicts:
        scan, ticket = conflict.scan, conflict.scan.ticket
        rsvp = ticket.rsvp if ticket else None
        name = ""
        if rsvp is not None:
            name = _(
                "%(name)s (person %(position)d of %(size)d)",
                name=rsvp.name,
                position=ticket.position,
                size=rsvp.party_size,
            )
        first = _("not admitted: %(why)s", why=_result_label(scan.result, False))
        if conflict.admitted_dt is not None:
            first = _(
                "%(time)s at %(door)s",
                time=_time(conflict.admitted_dt, event),
                door=conflict.admitted_door or _("Back office"),
            )
        conflicts.append(
            {
                "time": _time(scan.scanned_dt, event),
                "door": _scan_door(scan),
                "name": name,
                "first": first,
            }
        )
    skewed = [
        {
            "time": _time(scan.scanned_dt, event),
            "door": _scan_door(scan),
            "offset": _("%(minutes)+d min", minutes=round(scan.clock_offset_s / 60)),
        }
        for scan in problems.skewed
    ]
    return {"conflicts": conflicts, "skewed": skewed}


def live_view(event: Event, activity: DoorActivity | None = None) -> dict:
    """Return the live door view of an event, as the page shows it and live.json sends it."""
    activity = activity or door_activity(event)
    return {
        **problems_view(event),
        "event_id": event.id,
        "checked_in": activity.stats.checked_in,
        "confirmed": activity.stats.confirmed,
        "doors": [
            {"door": door or _("Back office"), "count": count} for door, count in activity.per_door
        ],
        "quarters": [
            {"start": start.isoformat(), "label": _time(start, event), "count": count}
            for start, count in activity.per_quarter
        ],
        "recent": [
            {
                "at": scan.created_dt.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "time": _time(scan.created_dt, event),
                "door": _scan_door(scan),
                "result": scan.result,
                "label": _result_label(scan.result, scan.is_undone),
                # Only an admission names someone (older logs named refused tickets too).
                "name": scan.ticket.rsvp.name
                if scan.result == "ok" and scan.ticket and scan.ticket.rsvp
                else "",
            }
            for scan in activity.recent
        ],
    }


@bp.get("/events/<int:event_id>/live.json")
def event_live(event_id: int):
    """Return the live door view of an event as JSON (the dashboard polls it)."""
    return jsonify(live_view(event_or_404(event_id)))
