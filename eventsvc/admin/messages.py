"""Back office: messages from the organisers to an event's attendees, and the outbox."""

from __future__ import annotations

from email.utils import parseaddr

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from eventsvc.admin.blueprint import bp, event_or_404
from eventsvc.errors import DomainError
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.i18n import _, ngettext
from eventsvc.mail.forms import OutboxCorrectionForm, OutboxFilterForm
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import (
    correct_mail_address,
    discard_mail,
    find_outbox,
    outbox_counts,
    outbox_kinds,
    retry_mail,
)
from eventsvc.rsvps.forms import MessageForm
from eventsvc.rsvps.messages import (
    Audience,
    event_messages_sent,
    plan_event_message,
    render_event_message,
    send_event_message,
)

#: Messages per page of the outbox.
OUTBOX_PAGE_SIZE = 50


@bp.app_template_filter("masked_email")
def masked_email(address: str) -> str:
    """Return an address with most of its local part hidden: "ma…@example.org"."""
    local, at, domain = (address or "").rpartition("@")
    if not at:
        return "…"
    return f"{local[:2]}…@{domain}"


def _compose(event: Event, form: MessageForm, status: int):
    plans = {audience: plan_event_message(event, audience) for audience in Audience}
    return (
        render_template(
            "admin/messages/compose.html",
            event=event,
            form=form,
            plans=plans,
            sent=event_messages_sent(event),
            audiences=Audience,
        ),
        status,
    )


@bp.route("/events/<int:event_id>/messages", methods=["GET", "POST"])
def messages(event_id: int):
    """Write a message to an event's attendees, preview it, then send it through the outbox."""
    event = event_or_404(event_id)
    form = MessageForm()
    action = request.form.get("action", "preview")
    if form.is_submitted() and action == "edit":  # back from the preview, the text kept
        return _compose(event, form, 200)
    if form.validate_on_submit():
        audience = Audience(form.audience.data)
        if action != "send":
            return render_template(
                "admin/messages/preview.html",
                event=event,
                form=form,
                audience=audience,
                plan=plan_event_message(event, audience),
                rendered=render_event_message(event, form.draft()),
            )
        try:
            outcome = send_event_message(
                event, audience, form.draft(), send_key=form.send_key.data, actor=current_user
            )
        except DomainError as e:
            db.session.rollback()
            form.form_errors.append(e.message)
        else:
            db.session.commit()
            if outcome.is_repeat:
                flash(_("This message was already sent. It was not sent again."), "info")
            else:
                flash(
                    ngettext(
                        "Message queued for %(num)d person. It goes out within minutes.",
                        "Message queued for %(num)d people. It goes out within minutes.",
                        outcome.queued,
                    ),
                    "success",
                )
            return redirect(url_for("admin.messages", event_id=event.id), code=303)
    return _compose(event, form, 400 if form.is_submitted() else 200)


def _outbox_args() -> dict[str, str]:
    """Return the outbox's filters and page from the query string, to come back to them."""
    return {k: v for k, v in request.args.items() if k in ("status", "kind", "page") and v}


@bp.get("/outbox")
def outbox():
    """List the outbox: newest first, filtered by status and kind."""
    form = OutboxFilterForm(request.args, kinds=outbox_kinds())
    page = max(request.args.get("page", 1, type=int), 1)
    pagination = find_outbox(
        status=form.status_value(),
        kind=form.kind.data or None,
        page=page,
        per_page=OUTBOX_PAGE_SIZE,
    )
    return render_template(
        "admin/messages/outbox.html",
        form=form,
        pagination=pagination,
        counts=outbox_counts(),
        statuses=MailStatus,
        back=_outbox_args(),
    )


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id: int):
    """Put a failed message back in the queue, due now."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    try:
        retry_mail(message, actor=current_user)  # CSRF is checked for every POST
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("The message is back in the queue and goes out with the next delivery."), "success")
    return redirect(url_for("admin.outbox", **_outbox_args()), code=303)


@bp.post("/outbox/<int:message_id>/discard")
def outbox_discard(message_id: int):
    """Give up on a message that has not gone out: it is never sent."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    try:
        discard_mail(message, actor=current_user)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("The message was discarded. It will not be sent."), "success")
    return redirect(url_for("admin.outbox", **_outbox_args()), code=303)


@bp.route("/outbox/<int:message_id>/correct", methods=["GET", "POST"])
def outbox_correct(message_id: int):
    """Correct the address of a stuck message and send it again."""
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    if not message.status.is_correctable:
        flash(_("This message was sent or discarded meanwhile."), "error")
        return redirect(url_for("admin.outbox", **_outbox_args()), code=303)
    form = OutboxCorrectionForm()
    if not form.is_submitted():
        form.address.data = parseaddr(message.to_address)[1]
    if form.validate_on_submit():
        try:
            correct_mail_address(message, form.address.data, actor=current_user)
        except DomainError as e:
            db.session.rollback()
            form.address.errors.append(e.message)
        else:
            db.session.commit()
            flash(
                _("The address was corrected. The message goes out with the next delivery."),
                "success",
            )
            return redirect(url_for("admin.outbox", **_outbox_args()), code=303)
    return (
        render_template(
            "admin/messages/outbox_correct.html", message=message, form=form, back=_outbox_args()
        ),
        400 if form.is_submitted() else 200,
    )
