"""Forms of the back office's messages to attendees and of the outbox."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from eventsvc.core.forms import strip
from eventsvc.i18n import _l
from eventsvc.mail.models import MailStatus


class OutboxFilterForm(FlaskForm):
    """Filter the outbox by status and kind (a GET form: no CSRF)."""

    class Meta:
        """Read from the query string: nothing changes, so no CSRF token."""

        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    kind = SelectField(_l("Kind"), validate_choice=False)

    def __init__(self, *args, kinds: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("Any status"))] + [
            SelectChoice(s.value, s.title) for s in MailStatus
        ]
        self.kind.choices = [SelectChoice("", _l("Any kind"))] + [SelectChoice(k, k) for k in kinds]

    def status_value(self) -> MailStatus | None:
        """Return the chosen status, or None for any."""
        try:
            return MailStatus(self.status.data) if self.status.data else None
        except ValueError:
            return None


class OutboxCorrectionForm(FlaskForm):
    """The corrected address of a stuck message."""

    address = EmailField(
        _l("Correct email address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write the email address.")),
            Length(max=200, message=_l("This email address is too long.")),
            Email(
                _l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
