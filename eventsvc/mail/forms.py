"""Forms of the back office's messages to attendees and of the outbox."""

from __future__ import annotations

import secrets
import unicodedata

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, ValidationError

from eventsvc.i18n import _l
from eventsvc.mail.models import MailStatus
from eventsvc.mail.services import Audience, MessageDraft


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _plain_text(form, field) -> None:
    if field.data and any(unicodedata.category(c) == "Cc" for c in field.data if c not in "\r\n\t"):
        raise ValidationError(_l("Remove the special characters from this field."))


def _subject(label) -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(_l("Write a subject.")),
            Length(max=200, message=_l("Keep the subject under 200 characters.")),
            _plain_text,
        ],
    )


def _text(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _body(label) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[_text],
        validators=[
            DataRequired(_l("Write the message.")),
            Length(max=10_000, message=_l("Keep the message under 10,000 characters.")),
            _plain_text,
        ],
        render_kw={"rows": 10},
    )


class MessageForm(FlaskForm):
    """A message to an event's attendees: the audience, then English and Spanish side by side."""

    audience = RadioField(
        _l("Who gets it"),
        choices=[SelectChoice(a.value, a.title) for a in Audience],
        default=Audience.live.value,
        validators=[DataRequired(_l("Choose who gets the message."))],
    )
    subject_en = _subject(_l("Subject in English"))
    body_en = _body(_l("Message in English"))
    subject_es = _subject(_l("Subject in Spanish"))
    body_es = _body(_l("Message in Spanish"))
    #: Random key made when the form is first shown: a double-clicked "Send" repeats it.
    send_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.send_key.data:
            self.send_key.data = secrets.token_urlsafe(16)

    def validate_send_key(self, field) -> None:
        """Refuse a key this form never makes (the field is hidden: it was tampered with)."""
        if field.data and (len(field.data) > 64 or not field.data.isascii()):
            raise ValidationError(_l("This form was changed. Reload the page and try again."))

    def draft(self) -> MessageDraft:
        """Return what the organisers wrote."""
        return MessageDraft(
            subject_en=self.subject_en.data,
            body_en=self.body_en.data,
            subject_es=self.subject_es.data,
            body_es=self.body_es.data,
        )


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
        filters=[_strip],
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
