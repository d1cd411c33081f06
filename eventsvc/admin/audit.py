"""Back office for admins: the searchable audit log."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from eventsvc.admin.blueprint import bp
from eventsvc.core.audit import AuditQuery, audit_choices, search_audit, staff_names
from eventsvc.events.display import babel_locale
from eventsvc.i18n import _l

#: Entries per page of the audit log.
AUDIT_PAGE_SIZE = 50


@bp.app_template_filter("admin_dt")
def admin_dt(value: datetime | None) -> str:
    """Return a UTC time as the organisers read it: their zone, their language."""
    if value is None:
        return ""
    return format_datetime(
        value, "medium", tzinfo=current_app.config["TIMEZONE"], locale=babel_locale(get_locale())
    )


class AuditSearchForm(FlaskForm):
    """Search the audit log (a GET form: no CSRF)."""

    class Meta:
        """Read from the query string: nothing changes, so no CSRF token."""

        csrf = False

    q = SearchField(
        _l("Search"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep the search under 200 characters.")),
        ],
    )
    actor = SelectField(_l("Who"), validate_choice=False)
    action = SelectField(_l("Action"), validate_choice=False)
    object_type = SelectField(_l("Object"), validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, actions=(), object_types=(), actors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.actor.choices = [SelectChoice("", _l("Anyone"))] + [
            SelectChoice(str(a.id), a.name) for a in actors
        ]
        self.action.choices = [SelectChoice("", _l("Any action"))] + [
            SelectChoice(a, a) for a in actions
        ]
        self.object_type.choices = [SelectChoice("", _l("Any object"))] + [
            SelectChoice(t, t) for t in object_types
        ]

    def validate_until(self, field) -> None:
        """Refuse a range that ends before it starts."""
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_query(self, timezone: str) -> AuditQuery:
        """Return the search the form describes; fields with errors are left out."""
        actor = self.actor.data or ""
        return AuditQuery(
            text=(self.q.data or "") if not self.q.errors else "",
            actor_id=int(actor) if actor.isdigit() else None,
            action=self.action.data or "",
            object_type=self.object_type.data or "",
            since=self.since.data if not self.since.errors else None,
            until=self.until.data if not (self.until.errors or self.since.errors) else None,
            timezone=timezone,
        )


@bp.get("/audit")
def audit():
    """Search the audit log: who did what, to which object, and when; newest first."""
    actions, object_types, actors = audit_choices()
    form = AuditSearchForm(request.args, actions=actions, object_types=object_types, actors=actors)
    valid = form.validate()
    page = max(request.args.get("page", 1, type=int), 1)
    pagination = search_audit(
        form.to_query(current_app.config["TIMEZONE"]), page=page, per_page=AUDIT_PAGE_SIZE
    )
    names = staff_names({e.actor_id for e in pagination.items if e.actor_id is not None})
    return (
        render_template("admin/audit/log.html", form=form, pagination=pagination, names=names),
        200 if valid or not request.args else 400,
    )
