"""Checks shared by the public forms that ask how to reach a person (RSVP, membership)."""

from __future__ import annotations

import phonenumbers
from wtforms.validators import ValidationError

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
