"""The RSVP form and the forms of the attendee's own page."""

from __future__ import annotations

import secrets
import unicodedata

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventsvc.core.forms import (
    e164_phone,
    email_field,
    nfc,
    phone_field,
    require_email_or_phone,
    strip,
)
from eventsvc.i18n import _l
from eventsvc.rsvps.messages import Audience, MessageDraft
from eventsvc.rsvps.services import RsvpData

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]


def _party_choices(max_party_size: int) -> list[SelectChoice]:
    return [SelectChoice(n, str(n)) for n in range(1, max_party_size + 1)]


def _no_control_characters(form, field) -> None:
    if field.data and any(unicodedata.category(c) == "Cc" for c in field.data):
        raise ValidationError(_l("Remove the special characters from this field."))


def _no_markup(form, field) -> None:
    # No name has angle brackets; refusing them beats storing markup, however inert.
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("A name cannot contain < or >."))


def _name_field(label, *, required, too_long, **kwargs) -> StringField:
    """A person's name: trimmed, in NFC, required, at most 120 characters, no markup."""
    return StringField(
        label,
        filters=[lambda s: s.strip() if isinstance(s, str) else s, nfc],
        validators=[
            DataRequired(required),
            Length(max=120, message=too_long),
            _no_control_characters,
            _no_markup,
        ],
        **kwargs,
    )


def _access_needs_field(label) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=500, message=_l("Keep this under 500 characters."))],
        render_kw={"rows": 3},
    )


def _interpretation_field(label) -> StringField:
    return StringField(
        label,
        validators=[Optional(), Length(max=200, message=_l("Keep this under 200 characters."))],
    )


class PartySizeField(SelectField):
    """How many people come, the person included; the choices come from the event."""

    def __init__(self, label=None, **kwargs):
        super().__init__(
            label,
            coerce=int,
            validate_choice=True,
            **kwargs,
        )

    def pre_validate(self, form) -> None:
        """Refuse a size the event does not offer with our own message."""
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose how many people are coming."))


class RsvpForm(FlaskForm):
    """Name, one way to reach the person, their language and party; nothing more."""

    name = _name_field(
        _l("Your name"),
        required=_l("Enter your name."),
        too_long=_l("Keep your name under 120 characters."),
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    phone = phone_field()
    language = RadioField(
        _l("Language for messages"),
        choices=LANGUAGE_CHOICES,
        validators=[DataRequired(_l("Choose a language."))],
    )
    party_size = PartySizeField(_l("How many people are coming, counting you?"))
    access_needs = _access_needs_field(_l("Accessibility needs (optional)"))
    interpretation_request = _interpretation_field(_l("Interpretation you need (optional)"))
    consent_contact = BooleanField(_l("Send me reminders and updates about this event."))
    submission_key = HiddenField()

    def __init__(self, *args, max_party_size: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.party_size.choices = _party_choices(max_party_size)
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(16)

    def validate_submission_key(self, field) -> None:
        """Refuse a key this form never makes (the field is hidden: it was tampered with)."""
        if field.data and (len(field.data) > 64 or not field.data.isascii()):
            raise ValidationError(_l("This form was changed. Reload the page and try again."))

    validate_phone = e164_phone

    def validate(self, extra_validators=None) -> bool:
        """Require an email or a phone number, and run the field checks."""
        valid = super().validate(extra_validators)
        if not require_email_or_phone(
            self, _l("Give an email or a phone number so we can reach you.")
        ):
            valid = False
        return valid

    def to_data(self) -> RsvpData:
        """Return the validated answers for the service."""
        return RsvpData(
            name=self.name.data,
            email=self.email.data or None,
            phone=self.phone.data or None,
            language=self.language.data,
            party_size=self.party_size.data,
            access_needs=(self.access_needs.data or "").strip(),
            interpretation_request=(self.interpretation_request.data or "").strip(),
            consent_contact=bool(self.consent_contact.data),
            submission_key=self.submission_key.data or None,
        )


class PartySizeForm(FlaskForm):
    """Change how many people come."""

    party_size = PartySizeField(_l("How many people are coming, counting you?"))

    def __init__(self, *args, max_party_size: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.party_size.choices = _party_choices(max_party_size)


class CancelForm(FlaskForm):
    """Cancel the RSVP (a button; the CSRF token is the only field)."""


class DeleteDataForm(FlaskForm):
    """Erase the person's data; they must tick that they understand."""

    confirm = BooleanField(
        _l("I understand that my RSVP is cancelled and my information is erased for good."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )


class ReplaceFeedForm(FlaskForm):
    """Replace the personal calendar feed's link (a button; the CSRF token is the only field)."""


class DisownForm(FlaskForm):
    """Cancel an RSVP made with one's address (a button; the CSRF token is the only field)."""


class LostLinkForm(FlaskForm):
    """Ask for one's RSVP links again, by email."""

    email = email_field()

    def validate(self, extra_validators=None) -> bool:
        """Require the email address, and run the field checks."""
        valid = super().validate(extra_validators)
        if not self.email.data and not self.email.errors:
            self.email.errors.append(_l("Enter your email address."))
            valid = False
        return valid


# --- the back office --------------------------------------------------------------------------


class AttendeeForm(FlaskForm):
    """A party's details as staff edit them; a walk-in needs no email or phone."""

    name = _name_field(
        _l("Name"),
        required=_l("Enter the person's name."),
        too_long=_l("Keep the name under 120 characters."),
    )
    email = email_field()
    phone = phone_field()
    language = RadioField(
        _l("Language for messages"),
        choices=LANGUAGE_CHOICES,
        default="en",
        validators=[DataRequired(_l("Choose a language."))],
    )
    party_size = PartySizeField(_l("Party size, counting the person"))
    access_needs = _access_needs_field(_l("Accessibility needs"))
    interpretation_request = _interpretation_field(_l("Interpretation needed"))

    validate_phone = e164_phone

    def __init__(self, *args, max_party_size: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.party_size.choices = _party_choices(max_party_size)

    def to_data(self, *, consent_contact: bool = False) -> RsvpData:
        """Return the validated details for the service."""
        return RsvpData(
            name=self.name.data,
            email=self.email.data or None,
            phone=self.phone.data or None,
            language=self.language.data,
            party_size=self.party_size.data,
            access_needs=(self.access_needs.data or "").strip(),
            interpretation_request=(self.interpretation_request.data or "").strip(),
            consent_contact=consent_contact,
        )


class NewAttendeeForm(AttendeeForm):
    """Add a party by hand, at the door too."""

    consent_contact = BooleanField(_l("They want reminders and updates about this event"))
    send_confirmation = BooleanField(
        _l("Send the confirmation email (when there is an email address)"), default=True
    )
    walk_in = BooleanField(_l("Walk-in: check the whole party in now (if they get seats)"))

    def to_data(self, *, consent_contact: bool = False) -> RsvpData:
        """Return the validated details for the service, with the person's consent."""
        return super().to_data(consent_contact=bool(self.consent_contact.data))


def _plain_text(form, field) -> None:
    if field.data and any(unicodedata.category(c) == "Cc" for c in field.data if c not in "\r\n\t"):
        raise ValidationError(_l("Remove the special characters from this field."))


def _subject(label) -> StringField:
    return StringField(
        label,
        filters=[strip],
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
