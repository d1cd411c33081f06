"""Back office for admins: staff accounts, invitations, roles and deactivation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from eventsvc.admin.blueprint import bp
from eventsvc.auth.forms import ButtonForm, InviteForm, ResendInvitationForm, StaffRoleForm
from eventsvc.auth.models import Role, StaffUser
from eventsvc.auth.services import (
    INVITATION_VALID,
    change_staff_role,
    deactivate_staff,
    invite_staff,
    list_staff,
    reactivate_staff,
    resend_invitation,
)
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _


@bp.get("/staff")
def staff():
    """List the staff accounts: role, active, last login, open invitations."""
    return render_template("admin/staff/list.html", people=list_staff(), now=utc_now())


@bp.route("/staff/invite", methods=["GET", "POST"])
def staff_invite():
    """Invite someone by email to set a password and join the back office."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, _token = invite_staff(
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                language=form.language.data,
                actor=current_user,
            )
        except DomainError as e:
            db.session.rollback()
            form.email.errors.append(e.message)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.staff"), code=303)
    return (
        render_template(
            "admin/staff/invite.html",
            form=form,
            valid_hours=int(INVITATION_VALID.total_seconds() // 3600),
        ),
        400 if form.is_submitted() else 200,
    )


def _apply(user: StaffUser, action: str, forms: dict) -> str:
    """Run one change asked for on the staff page; return the message to flash."""
    if action == "role":
        role = Role(forms["role"].role.data)
        change_staff_role(user, role, actor=current_user)
        return _("%(name)s is now: %(role)s.", name=user.name, role=role.title)
    if action == "deactivate":
        invited = not user.is_active
        deactivate_staff(user, actor=current_user)
        if invited:
            return _("The invitation of %(name)s was cancelled.", name=user.name)
        return _("%(name)s can no longer log in.", name=user.name)
    if action == "reactivate":
        reactivate_staff(user, actor=current_user)
        return _("%(name)s can log in again.", name=user.name)
    resend_invitation(user, language=forms["resend"].language.data, actor=current_user)
    return _("A new invitation was sent to %(name)s. Earlier links no longer work.", name=user.name)


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
def staff_edit(staff_id: int):
    """Change a staff member's role, deactivate or reactivate them, or invite them again."""
    user = db.session.get(StaffUser, staff_id) or abort(404)
    forms = {
        "role": StaffRoleForm(data={"role": user.role.value}),
        "resend": ResendInvitationForm(),
        "button": ButtonForm(),
    }
    errors: list[str] = []
    if request.method == "POST":
        action = request.form.get("action", "")
        form_name = {"role": "role", "resend": "resend"}.get(action, "button")
        if action not in ("role", "deactivate", "reactivate", "resend"):
            abort(400)
        if forms[form_name].validate_on_submit():
            try:
                message = _apply(user, action, forms)
            except DomainError as e:
                db.session.rollback()
                errors.append(e.message)
            else:
                db.session.commit()
                flash(message, "success")
                if not current_user.is_authenticated or not current_user.has_role(Role.admin):
                    # An admin who made themselves an organiser may not see staff any more.
                    return redirect(url_for("admin.dashboard"), code=303)
                return redirect(url_for("admin.staff_edit", staff_id=user.id), code=303)
        else:
            errors.extend(e for errs in forms[form_name].errors.values() for e in errs)
    return (
        render_template(
            "admin/staff/edit.html",
            person=user,
            forms=forms,
            errors=errors,
            now=utc_now(),
            is_self=user.id == current_user.id,
        ),
        400 if errors else 200,
    )
