"""Back office of the memorial: the moderation queue, and the honorees organisers manage."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from eventsvc.admin.blueprint import bp
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.memorial.forms import (
    ActionForm,
    HonoreeForm,
    RejectTributeForm,
    TributeEditForm,
    read_upload,
)
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.memorial.photos import PhotoError
from eventsvc.memorial.services import (
    all_honorees,
    approve_tribute,
    create_honoree,
    edit_tribute,
    moderation_counts,
    move_honoree,
    photo_file,
    reject_tribute,
    set_honoree_visibility,
    tributes_by_status,
    update_honoree,
)


def _tribute(tribute_id: int) -> Tribute:
    return db.session.get(Tribute, tribute_id) or abort(404)


def _honoree(honoree_id: int) -> Honoree:
    return db.session.get(Honoree, honoree_id) or abort(404)


def _back_to_queue():
    status = request.args.get("status", TributeStatus.pending.value)
    if status not in {s.value for s in TributeStatus}:
        status = TributeStatus.pending.value
    return redirect(url_for("admin.memorial_queue", status=status), code=303)


@bp.get("/memorial/")
def memorial_queue():
    """List tributes by moderation state, oldest pending first, with the counts of each."""
    try:
        status = TributeStatus(request.args.get("status", TributeStatus.pending.value))
    except ValueError:
        abort(404)
    return render_template(
        "admin/memorial/queue.html",
        status=status,
        statuses=list(TributeStatus),
        counts=moderation_counts(),
        tributes=tributes_by_status(status),
        action_form=ActionForm(),
        reject_form=RejectTributeForm(),
    )


@bp.post("/memorial/tributes/<int:tribute_id>/approve")
def approve_tribute_view(tribute_id: int):
    """Publish a tribute."""
    try:
        approve_tribute(_tribute(tribute_id), actor=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "info")
    else:
        db.session.commit()
        flash(_("The tribute is published."), "success")
    return _back_to_queue()


@bp.post("/memorial/tributes/<int:tribute_id>/reject")
def reject_tribute_view(tribute_id: int):
    """Keep a tribute off the page, or take a published one down."""
    form = RejectTributeForm()
    if not form.validate_on_submit():
        flash(" ".join(form.note.errors) or _("That did not work."), "error")
        return _back_to_queue()
    try:
        reject_tribute(_tribute(tribute_id), actor=current_user, note=form.note.data or "")
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "info")
    else:
        db.session.commit()
        flash(_("The tribute is rejected; it is not shown on the page."), "success")
    return _back_to_queue()


@bp.route("/memorial/tributes/<int:tribute_id>/edit", methods=["GET", "POST"])
def edit_tribute_view(tribute_id: int):
    """Correct a tribute's typos; the change is logged."""
    tribute = _tribute(tribute_id)
    form = TributeEditForm(obj=tribute)
    if form.validate_on_submit():
        try:
            changed = edit_tribute(
                tribute,
                author_name=form.author_name.data,
                relation=form.relation.data or "",
                message=form.message.data,
                actor=current_user,
            )
        except DomainError as e:
            db.session.rollback()
            form.message.errors = [*form.message.errors, e.message]
        else:
            db.session.commit()
            flash(_("Changes saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("admin.memorial_queue", status=tribute.status.value), code=303)
    return (
        render_template("admin/memorial/tribute_edit.html", tribute=tribute, form=form),
        400 if form.is_submitted() else 200,
    )


@bp.get("/memorial/tributes/<int:tribute_id>/photo")
def tribute_photo(tribute_id: int):
    """Show organisers a tribute's photo, whatever its state."""
    tribute = _tribute(tribute_id)
    file = photo_file(tribute.photo_path) if tribute.photo_path else None
    if file is None or not file.is_file():
        abort(404)
    response = send_file(file, mimetype="image/jpeg")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/memorial/honorees")
def memorial_honorees():
    """List every honoree, hidden ones included, in page order."""
    return render_template(
        "admin/memorial/honorees.html", honorees=all_honorees(), action_form=ActionForm()
    )


def _portrait(form: HonoreeForm) -> bytes | None:
    return read_upload(form.portrait, current_app.config["MEMORIAL_PHOTO_MAX_BYTES"])


def _apply_error(form: HonoreeForm, error: DomainError) -> None:
    field = {
        "slug_taken": form.slug,
        "slug_missing": form.slug,
        "years_ordered": form.died_year,
    }.get(error.code)
    if isinstance(error, PhotoError):
        field = form.portrait
    (field.errors if field is not None else form.form_errors).append(error.message)


@bp.route("/memorial/honorees/new", methods=["GET", "POST"])
def new_honoree():
    """Add an honoree."""
    form = HonoreeForm()
    if form.validate_on_submit():
        try:
            honoree = create_honoree(form.to_data(), actor=current_user, portrait=_portrait(form))
        except DomainError as e:
            db.session.rollback()
            _apply_error(form, e)
        else:
            db.session.commit()
            flash(_("%(name)s is added to the memorial.", name=honoree.name), "success")
            return redirect(url_for("admin.memorial_honorees"), code=303)
    return (
        render_template("admin/memorial/honoree_form.html", form=form, honoree=None),
        400 if form.is_submitted() else 200,
    )


@bp.route("/memorial/honorees/<int:honoree_id>/edit", methods=["GET", "POST"])
def edit_honoree(honoree_id: int):
    """Edit an honoree's names, years, texts in both languages and portrait."""
    honoree = _honoree(honoree_id)
    form = HonoreeForm(obj=honoree)
    if form.validate_on_submit():
        try:
            update_honoree(
                honoree,
                form.to_data(),
                actor=current_user,
                portrait=_portrait(form),
                remove_portrait=bool(form.remove_portrait.data),
            )
        except DomainError as e:
            db.session.rollback()
            _apply_error(form, e)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.memorial_honorees"), code=303)
    return (
        render_template("admin/memorial/honoree_form.html", form=form, honoree=honoree),
        400 if form.is_submitted() else 200,
    )


@bp.post("/memorial/honorees/<int:honoree_id>/move/<direction>")
def move_honoree_view(honoree_id: int, direction: str):
    """Move an honoree up or down the memorial page."""
    offsets = {"up": -1, "down": 1}
    if direction not in offsets:
        abort(404)
    move_honoree(_honoree(honoree_id), offset=offsets[direction], actor=current_user)
    db.session.commit()
    return redirect(url_for("admin.memorial_honorees"), code=303)


@bp.post("/memorial/honorees/<int:honoree_id>/visibility")
def honoree_visibility(honoree_id: int):
    """Show or hide an honoree on the public pages."""
    honoree = _honoree(honoree_id)
    show = request.form.get("show") == "1"
    set_honoree_visibility(honoree, is_visible=show, actor=current_user)
    db.session.commit()
    if show:
        flash(_("%(name)s is shown on the memorial.", name=honoree.name), "success")
    else:
        flash(_("%(name)s is hidden from the memorial.", name=honoree.name), "success")
    return redirect(url_for("admin.memorial_honorees"), code=303)
