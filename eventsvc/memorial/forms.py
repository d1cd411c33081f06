"""The tribute form, the candle button, and the organisers' memorial forms."""

from __future__ import annotations

import unicodedata

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from eventsvc.core.forms import nfc, strip
from eventsvc.i18n import _l
from eventsvc.memorial.services import MESSAGE_MAX_LENGTH, HonoreeData, TributeData

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


def _no_control_characters(form, field) -> None:
    # Line breaks and tabs are welcome in a message; other control characters are not.
    if field.data and any(
        unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in field.data
    ):
        raise ValidationError(_l("Remove the special characters from this field."))


def _no_markup(form, field) -> None:
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("This field cannot contain < or >."))


def read_upload(field, limit: int) -> bytes | None:
    """Return at most limit + 1 bytes of an uploaded file (enough to tell it is too big)."""
    storage = field.data
    if not storage or not getattr(storage, "filename", None):
        return None
    return storage.stream.read(limit + 1)


class TributeForm(FlaskForm):
    """A tribute: who writes, how they knew the person, the message, an optional photo."""

    author_name = StringField(
        _l("Your name"),
        filters=[strip, nfc],
        validators=[
            Optional(),
            Length(max=120, message=_l("Keep your name under 120 characters.")),
            _no_control_characters,
            _no_markup,
        ],
        render_kw={"autocomplete": "name"},
    )
    is_anonymous = BooleanField(_l("Show my tribute without my name"))
    relation = StringField(
        _l("How you knew them (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=120, message=_l("Keep this under 120 characters.")),
            _no_control_characters,
            _no_markup,
        ],
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Write a few words for your tribute.")),
            Length(
                max=MESSAGE_MAX_LENGTH,
                message=_l(
                    "Please keep your message to 2,000 characters or fewer (it has %(length)d now)."
                ),
            ),
            _no_control_characters,
        ],
        render_kw={"rows": 8, "maxlength": MESSAGE_MAX_LENGTH},
    )
    photo = FileField(_l("A photo (optional)"), render_kw={"accept": PHOTO_ACCEPT})
    contact = StringField(
        _l("Email or phone, for the organisers only (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254, message=_l("Keep this under 254 characters.")),
            _no_control_characters,
            _no_markup,
        ],
        render_kw={"autocomplete": "email"},
    )
    #: Honeypot: hidden from people (CSS and aria-hidden); a bot that fills it is turned away.
    website = StringField(
        _l("Leave this field empty"),
        render_kw={"autocomplete": "off", "tabindex": "-1"},
    )

    def validate(self, extra_validators=None) -> bool:
        """Require a name unless the tribute is anonymous."""
        valid = super().validate(extra_validators)
        if not self.is_anonymous.data and not self.author_name.data:
            self.author_name.errors = [
                *self.author_name.errors,
                _l("Write your name, or tick the box to stay anonymous."),
            ]
            valid = False
        return valid

    @property
    def is_bot(self) -> bool:
        """Return whether the honeypot was filled in."""
        return bool((self.website.data or "").strip())

    def to_data(self, language: str) -> TributeData:
        """Return the validated tribute for the service."""
        return TributeData(
            message=self.message.data or "",
            author_name=self.author_name.data or None,
            is_anonymous=bool(self.is_anonymous.data),
            relation=self.relation.data or "",
            contact=self.contact.data or None,
            language=language,
        )


class CandleForm(FlaskForm):
    """Light a candle (a button; the CSRF token is the only field)."""


class ActionForm(FlaskForm):
    """A back-office button: approve, move, show or hide (the CSRF token is the only field)."""


class RejectTributeForm(FlaskForm):
    """Reject a tribute, with a note for the other organisers."""

    note = StringField(
        _l("Reason (only organisers see it)"),
        filters=[strip],
        validators=[Optional(), Length(max=500, message=_l("Keep this under 500 characters."))],
    )


class TributeEditForm(FlaskForm):
    """Correct a tribute's typos; the change is logged."""

    author_name = StringField(
        _l("Name"),
        filters=[strip, nfc],
        validators=[
            Optional(),
            Length(max=120, message=_l("Keep the name under 120 characters.")),
            _no_markup,
        ],
    )
    relation = StringField(
        _l("Relation"),
        filters=[strip],
        validators=[Optional(), Length(max=120, message=_l("Keep this under 120 characters."))],
    )
    message = TextAreaField(
        _l("Message"),
        validators=[
            DataRequired(_l("A tribute cannot be empty.")),
            Length(
                max=MESSAGE_MAX_LENGTH,
                message=_l(
                    "Please keep your message to 2,000 characters or fewer (it has %(length)d now)."
                ),
            ),
        ],
        render_kw={"rows": 10},
    )


class HonoreeForm(FlaskForm):
    """An honoree's name, years, bilingual texts and portrait."""

    name = StringField(
        _l("Name"),
        filters=[strip, nfc],
        validators=[
            DataRequired(_l("Enter the name.")),
            Length(max=160, message=_l("Keep the name under 160 characters.")),
            _no_markup,
        ],
    )
    slug = StringField(
        _l("Page address (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=80, message=_l("Keep this under 80 characters."))],
    )
    born_year = IntegerField(
        _l("Year of birth (optional)"),
        validators=[Optional(), NumberRange(1850, 2100, _l("Enter a year like 1956."))],
    )
    died_year = IntegerField(
        _l("Year of passing (optional)"),
        validators=[Optional(), NumberRange(1850, 2100, _l("Enter a year like 2019."))],
    )
    summary_en = TextAreaField(
        _l("Short text in English"),
        validators=[
            DataRequired(_l("Write a short text in English.")),
            Length(max=500, message=_l("Keep this under 500 characters.")),
        ],
        render_kw={"rows": 3},
    )
    summary_es = TextAreaField(
        _l("Short text in Spanish"),
        validators=[Optional(), Length(max=500, message=_l("Keep this under 500 characters."))],
        render_kw={"rows": 3, "lang": "es"},
    )
    story_en = TextAreaField(
        _l("Their story in English (optional)"),
        validators=[
            Optional(),
            Length(max=10000, message=_l("Keep this under 10,000 characters.")),
        ],
        render_kw={"rows": 8},
    )
    story_es = TextAreaField(
        _l("Their story in Spanish (optional)"),
        validators=[
            Optional(),
            Length(max=10000, message=_l("Keep this under 10,000 characters.")),
        ],
        render_kw={"rows": 8, "lang": "es"},
    )
    is_founder = BooleanField(_l("A founder of the coalition (on the founders' honour roll)"))
    portrait = FileField(_l("Portrait (optional)"), render_kw={"accept": PHOTO_ACCEPT})
    remove_portrait = BooleanField(_l("Remove the current portrait"))

    def to_data(self) -> HonoreeData:
        """Return the validated honoree for the service."""
        return HonoreeData(
            name=self.name.data,
            slug=self.slug.data or "",
            born_year=self.born_year.data,
            died_year=self.died_year.data,
            summary_en=self.summary_en.data or "",
            summary_es=self.summary_es.data or None,
            story_en=self.story_en.data or "",
            story_es=self.story_es.data or None,
            is_founder=bool(self.is_founder.data),
        )
