"""Public membership pages: join, confirm, leave, the member organisations and the timeline."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale

from eventsvc.errors import DomainError
from eventsvc.extensions import db, limiter
from eventsvc.i18n import _
from eventsvc.membership.forms import ButtonForm, JoinForm, help_area_choices
from eventsvc.membership.services import (
    confirm_member,
    join,
    leave,
    listed_organisations,
    member_for_confirm_token,
    member_for_leave_token,
    timeline,
)
from eventsvc.security import limit_failed_lookups
from eventsvc.web import keep_private

bp = Blueprint("membership", __name__)


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RSVP_RATE_LIMIT"], methods=["POST"])
def join_page():
    """Show the sign-up form; sign the person up (or update them) and ask them to confirm."""
    form = JoinForm(help_area_choices=help_area_choices(), language=str(get_locale()))
    if form.validate_on_submit():
        data = form.to_data()
        try:
            join(data)
        except DomainError as e:
            db.session.rollback()
            form.email.errors = [*form.email.errors, e.message]
        else:
            db.session.commit()
            return redirect(
                url_for("membership.joined", by="email" if data.email else "phone"), code=303
            )
    status = 400 if form.is_submitted() else 200
    return render_template("membership/join.html", form=form), status


@bp.get("/join/thanks")
def joined():
    """Tell the person what happens next."""
    return render_template("membership/joined.html")


@bp.route("/join/confirm/<token>", methods=["GET", "POST"])
@limit_failed_lookups
def confirm(token: str):
    """Show a button that confirms the membership; confirm it on POST (GETs change nothing)."""
    member = member_for_confirm_token(token)
    if member is None:
        return keep_private(
            current_app.make_response(
                (render_template("membership/link_used.html", action="confirm"), 404)
            )
        )
    form = ButtonForm()
    if form.validate_on_submit():
        confirm_member(member)
        db.session.commit()
        flash(_("Thank you! Your membership is confirmed. Welcome to the coalition."), "success")
        return redirect(url_for("membership.welcome"), code=303)
    return keep_private(
        current_app.make_response(render_template("membership/confirm.html", form=form))
    )


@bp.get("/join/welcome")
def welcome():
    """Welcome a newly confirmed member."""
    return render_template("membership/welcome.html")


@bp.route("/leave/<token>", methods=["GET", "POST"])
@limit_failed_lookups
def leave_page(token: str):
    """Ask whether to leave; on POST end the membership and erase the member's data."""
    member = member_for_leave_token(token)
    if member is None:
        return keep_private(
            current_app.make_response(
                (render_template("membership/link_used.html", action="leave"), 404)
            )
        )
    form = ButtonForm()
    if form.validate_on_submit():
        leave(member)
        db.session.commit()
        return redirect(url_for("membership.left"), code=303)
    return keep_private(
        current_app.make_response(render_template("membership/leave.html", form=form))
    )


@bp.get("/leave/done")
def left():
    """Confirm that the member left and their data is gone."""
    return render_template("membership/left.html")


@bp.get("/members")
def members():
    """List the member organisations that agreed to be listed."""
    return render_template("membership/members.html", organisations=listed_organisations())


@bp.get("/timeline")
def timeline_page():
    """Show fifteen years of the coalition."""
    return render_template("membership/timeline.html", milestones=timeline())
