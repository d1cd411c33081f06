"""Back office for membership: members (search, export, status), organisations, milestones."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from eventsvc.admin.blueprint import bp
from eventsvc.core.csvexport import build_csv
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.membership.forms import (
    ButtonForm,
    MemberSearchForm,
    MilestoneForm,
    OrganisationForm,
    help_area_choices,
)
from eventsvc.membership.models import (
    HelpArea,
    Member,
    MemberOrganisation,
    MemberStatus,
    Milestone,
)
from eventsvc.membership.services import (
    count_active_members,
    delete_milestone,
    delete_organisation,
    export_members,
    find_members,
    save_milestone,
    save_organisation,
    set_member_status,
    timeline,
)


def _search_form() -> MemberSearchForm:
    form = MemberSearchForm(request.args, help_area_choices=help_area_choices())
    form.validate()
    return form


@bp.get("/members")
def members():
    """List members with search and filters."""
    form = _search_form()
    areas = {a.key: a.label(get_locale()) for a in db.session.scalars(select(HelpArea))}
    return render_template(
        "admin/membership/members.html",
        form=form,
        members=find_members(form.to_filter()),
        active_count=count_active_members(),
        areas=areas,
        button=ButtonForm(),
        statuses=MemberStatus,
    )


@bp.post("/members/export.csv")
def export_members_csv():
    """Download the members matching the filters as CSV; the export goes to the audit log."""
    form = MemberSearchForm(request.form, help_area_choices=help_area_choices())
    form.validate()
    header, rows = export_members(form.to_filter(), actor=current_user)
    db.session.commit()
    body = build_csv(header, rows)
    filename = f"members-{utc_now():%Y%m%d-%H%M}.csv"
    response = current_app.response_class(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/members/<int:member_id>/status/<status>")
def member_status(member_id: int, status: str):
    """Mark a member active or inactive."""
    member = db.session.get(Member, member_id) or abort(404)
    if status not in (MemberStatus.active.value, MemberStatus.inactive.value):
        abort(404)
    try:
        set_member_status(member, MemberStatus(status), actor=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Member marked %(status)s.", status=MemberStatus(status).title), "success")
    back = url_for("admin.members")
    if request.query_string:  # the list's search and filters, as they were
        back += "?" + request.query_string.decode("ascii", "replace")
    return redirect(back, code=303)


# --- member organisations ---------------------------------------------------------------------


@bp.get("/organisations")
def organisations():
    """List the member organisations of the directory."""
    rows = db.session.scalars(
        select(MemberOrganisation).order_by(MemberOrganisation.sort_order, MemberOrganisation.name)
    ).all()
    return render_template(
        "admin/membership/organisations.html", organisations=rows, button=ButtonForm()
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation(organisation_id: int | None = None):
    """Create or edit a member organisation."""
    obj = None
    if organisation_id is not None:
        obj = db.session.get(MemberOrganisation, organisation_id) or abort(404)
    form = OrganisationForm(obj=obj)
    if form.validate_on_submit():
        try:
            save_organisation(obj, form.values(), actor=current_user)
        except DomainError as e:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, e.message]
        else:
            db.session.commit()
            flash(_("Organisation saved."), "success")
            return redirect(url_for("admin.organisations"), code=303)
    return (
        render_template("admin/membership/organisation.html", form=form, organisation=obj),
        400 if form.is_submitted() else 200,
    )


@bp.post("/organisations/<int:organisation_id>/delete")
def remove_organisation(organisation_id: int):
    """Remove a member organisation from the directory."""
    obj = db.session.get(MemberOrganisation, organisation_id) or abort(404)
    delete_organisation(obj, actor=current_user)
    db.session.commit()
    flash(_("Organisation removed."), "success")
    return redirect(url_for("admin.organisations"), code=303)


# --- milestones -------------------------------------------------------------------------------


@bp.get("/milestones")
def milestones():
    """List the timeline's milestones."""
    return render_template(
        "admin/membership/milestones.html", milestones=timeline(), button=ButtonForm()
    )


@bp.route("/milestones/new", methods=["GET", "POST"])
@bp.route("/milestones/<int:milestone_id>", methods=["GET", "POST"])
def milestone(milestone_id: int | None = None):
    """Create or edit a milestone."""
    obj = None
    if milestone_id is not None:
        obj = db.session.get(Milestone, milestone_id) or abort(404)
    form = MilestoneForm(obj=obj)
    if form.validate_on_submit():
        save_milestone(obj, form.values(), actor=current_user)
        db.session.commit()
        flash(_("Milestone saved."), "success")
        return redirect(url_for("admin.milestones"), code=303)
    return (
        render_template("admin/membership/milestone.html", form=form, milestone=obj),
        400 if form.is_submitted() else 200,
    )


@bp.post("/milestones/<int:milestone_id>/delete")
def remove_milestone(milestone_id: int):
    """Remove a milestone from the timeline."""
    obj = db.session.get(Milestone, milestone_id) or abort(404)
    delete_milestone(obj, actor=current_user)
    db.session.commit()
    flash(_("Milestone removed."), "success")
    return redirect(url_for("admin.milestones"), code=303)
