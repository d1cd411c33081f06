"""Form helpers shared by every domain: filters and the checks of how to reach a person."""

from __future__ import annotations

import unicodedata

import phonenumbers
from wtforms import EmailField, TelField
from wtforms.validators import Email, Length, Optional, ValidationError

from eventsvc.i18n import _l


def e164_phone(form, field) -> None:
    """Accept US numbers written any usual way, and international ones with +; store E.164."""
    if not field.data:
        return
    try:
        number = phonenumbers.parse(field.data, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Enter a valid phone number, like 909-555-0123."))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def require_email_or_phone(form, message) -> bool:
    """Put message on the email field when neither an email nor a phone was given."""
    if form.email.data or form.phone.data or form.email.errors:
        return True
    form.email.errors = [*form.email.errors, message]
    return False


def strip(value):
    """Return value without surrounding white space (a form field's filter)."""
    return value.strip() if isinstance(value, str) else value


def nfc(value):
    """Return typed text in Unicode NFC: "José" typed as e + U+0301 is stored as one "é".

    A field filter for every user-typed name, so that the same name is the same string
    whatever keyboard typed it; put it after the strip filter.
    """
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _strip_lower(value):
    return nfc(value.strip().lower()) if isinstance(value, str) else value


def email_field() -> EmailField:
    """Return the optional email field of a contact form (trimmed, lower-cased, validated)."""
    return EmailField(
        _l("Email"),
        filters=[_strip_lower],
        validators=[
            Optional(),
            Length(max=254, message=_l("This email address is too long.")),
            Email(
                _l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def phone_field() -> TelField:
    """Return the optional phone field of a contact form; pair it with e164_phone."""
    return TelField(
        _l("Mobile phone"),
        filters=[strip],
        validators=[Optional(), Length(max=30, message=_l("This phone number is too long."))],
        render_kw={"autocomplete": "tel"},
    )
