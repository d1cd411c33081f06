"""The join form, the leave and confirm buttons, and the back office's membership forms."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventsvc.core.forms import (
    e164_phone,
    email_field,
    nfc,
    phone_field,
    require_email_or_phone,
    strip,
)
from eventsvc.i18n import _l
from eventsvc.membership.models import MemberKind, MemberStatus
from eventsvc.membership.services import MemberData, MemberFilter, active_help_areas

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]


def help_area_choices() -> list[SelectChoice]:
    """Return the help areas offered, as choices labelled in the visitor's language."""
    locale = get_locale()
    return [SelectChoice(a.key, a.label(locale)) for a in active_help_areas()]


def _plain_text(form, field) -> None:
    if field.data and any(unicodedata.category(c) == "Cc" for c in field.data if c not in "\r\n"):
        raise ValidationError(_l("Remove the special characters from this field."))
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("This field cannot contain < or >."))


def _web_address(form, field) -> None:
    if field.data and not re.match(r"^https?://[^\s/$.?#][^\s]*$", field.data):
        raise ValidationError(_l("Enter a web address starting with https://"))


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes (the template puts them in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class JoinForm(FlaskForm):
    """Minimal data: a name, one way to reach the person, city, languages, how they help."""

    kind = RadioField(
        _l("I am joining as"),
        choices=[
            SelectChoice(MemberKind.individual.value, _l("A person")),
            SelectChoice(MemberKind.organisation.value, _l("An organisation")),
        ],
        default=MemberKind.individual.value,
        validators=[DataRequired(_l("Choose how you are joining."))],
    )
    name = StringField(
        _l("Your name"),
        filters=[strip, nfc],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=160, message=_l("Keep this under 160 characters.")),
            _plain_text,
        ],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    phone = phone_field()
    city = StringField(
        _l("City"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=120, message=_l("Keep this under 120 characters.")),
            _plain_text,
        ],
        render_kw={"autocomplete": "address-level2"},
    )
    languages = StringField(
        _l("Languages you speak"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep this under 200 characters.")),
            _plain_text,
        ],
    )
    help_areas = CheckboxesField(_l("How would you like to help?"), validate_choice=True)
    organisation_name = StringField(
        _l("Organisation's name"),
        filters=[strip, nfc],
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep this under 200 characters.")),
            _plain_text,
        ],
        render_kw={"autocomplete": "organization"},
    )
    website = URLField(
        _l("Organisation's website"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300, message=_l("Keep this under 300 characters.")),
            _web_address,
        ],
    )
    contact_person = StringField(
        _l("Contact person"),
        filters=[strip, nfc],
        validators=[
            Optional(),
            Length(max=160, message=_l("Keep this under 160 characters.")),
            _plain_text,
        ],
    )
    language = RadioField(
        _l("Language for messages"),
        choices=LANGUAGE_CHOICES,
        validators=[DataRequired(_l("Choose a language."))],
    )
    consent = BooleanField(
        _l(
            "I agree that the coalition keeps my name, contact and the answers above to send "
            "me news about the coalition and ask for my help. It never shares them and never "
            "asks about immigration status. I can leave, and have my data erased, at any time "
            "from the link in every email."
        ),
        validators=[DataRequired(_l("Tick the box to agree, or we cannot keep your details."))],
    )

    def __init__(self, *args, help_area_choices: list[SelectChoice] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.help_areas.choices = list(help_area_choices)

    validate_phone = e164_phone

    def validate(self, extra_validators=None) -> bool:
        """Require an email or a phone, and an organisation's name when an organisation joins."""
        valid = super().validate(extra_validators)
        if not require_email_or_phone(
            self, _l("Give an email or a cell phone number so we can reach you.")
        ):
            valid = False
        if self.kind.data == MemberKind.organisation.value and not self.organisation_name.data:
            self.organisation_name.errors = [
                *self.organisation_name.errors,
                _l("Enter the organisation's name."),
            ]
            valid = False
        return valid

    def to_data(self) -> MemberData:
        """Return the validated answers for the service."""
        return MemberData(
            kind=MemberKind(self.kind.data),
            name=self.name.data,
            email=self.email.data or None,
            phone=self.phone.data or None,
            city=self.city.data or "",
            languages=self.languages.data or "",
            help_areas=list(self.help_areas.data or []),
            organisation_name=self.organisation_name.data or None,
            website=self.website.data or None,
            contact_person=self.contact_person.data or None,
            language=self.language.data,
        )


class ButtonForm(FlaskForm):
    """A button whose only field is the CSRF token (confirm, leave, mark active…)."""


class MemberSearchForm(FlaskForm):
    """The members list's search and filters (a GET form: no CSRF token needed)."""

    class Meta:
        """Searching changes nothing, so the form needs no CSRF token."""

        csrf = False

    q = StringField(_l("Search"), filters=[strip, nfc], validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status"))]
        + [
            SelectChoice(s.value, MemberStatus.__titles__[s.value])
            for s in MemberStatus
            if s != MemberStatus.left
        ],
        validators=[Optional()],
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("", _l("Any kind"))]
        + [SelectChoice(k.value, MemberKind.__titles__[k.value]) for k in MemberKind],
        validators=[Optional()],
    )
    help_area = SelectField(_l("Helps with"), validators=[Optional()])

    def __init__(self, *args, help_area_choices: list[SelectChoice] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.help_area.choices = [SelectChoice("", _l("Anything")), *help_area_choices]

    def to_filter(self) -> MemberFilter:
        """Return the filters for the service; values that are not offered are ignored."""
        status = self.status.data if self.status.data in {s.value for s in MemberStatus} else None
        kind = self.kind.data if self.kind.data in {k.value for k in MemberKind} else None
        areas = {c.value for c in self.help_area.choices if c.value}
        return MemberFilter(
            q=(self.q.data or "")[:100],
            status=MemberStatus(status) if status and status != "left" else None,
            kind=MemberKind(kind) if kind else None,
            help_area=self.help_area.data if self.help_area.data in areas else None,
        )


def _slug(form, field) -> None:
    if field.data and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", field.data):
        raise ValidationError(_l("Use lower-case letters, digits and hyphens only."))


class OrganisationForm(FlaskForm):
    """A member organisation of the directory."""

    name = StringField(
        _l("Name"),
        filters=[strip, nfc],
        validators=[DataRequired(_l("Enter the name.")), Length(max=200), _plain_text],
    )
    slug = StringField(
        _l("Short name for links"),
        filters=[lambda s: s.strip().lower() if isinstance(s, str) else s],
        validators=[DataRequired(_l("Enter a short name.")), Length(max=80), _slug],
    )
    description_en = TextAreaField(
        _l("Short description (English)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3, "lang": "en"},
    )
    description_es = TextAreaField(
        _l("Short description (Spanish)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3, "lang": "es"},
    )
    city = StringField(_l("City"), filters=[strip], validators=[Optional(), Length(max=120)])
    website = URLField(
        _l("Website"), filters=[strip], validators=[Optional(), Length(max=300), _web_address]
    )
    is_listed = BooleanField(_l("The organisation agreed to be listed on the public page"))
    sort_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)]
    )

    def values(self) -> dict:
        """Return the validated values for the service."""
        return {
            "slug": self.slug.data,
            "name": self.name.data,
            "description_en": self.description_en.data or "",
            "description_es": self.description_es.data or None,
            "city": self.city.data or "",
            "website": self.website.data or None,
            "is_listed": bool(self.is_listed.data),
            "sort_order": self.sort_order.data or 0,
        }


def _image_path(form, field) -> None:
    if field.data and not re.fullmatch(
        r"img/[A-Za-z0-9/_.-]+\.(?:jpg|jpeg|png|webp|svg)", field.data
    ):
        raise ValidationError(_l("Give a path under static/img/, like img/timeline/2008.jpg."))
    if field.data and ".." in field.data:
        raise ValidationError(_l("Give a path under static/img/, like img/timeline/2008.jpg."))


class MilestoneForm(FlaskForm):
    """A moment of the timeline."""

    year = IntegerField(
        _l("Year"),
        validators=[
            DataRequired(_l("Enter the year.")),
            NumberRange(min=1900, max=2100, message=_l("Enter a year like 2008.")),
        ],
    )
    title_en = StringField(
        _l("Title (English)"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the title.")), Length(max=200)],
        render_kw={"lang": "en"},
    )
    title_es = StringField(
        _l("Title (Spanish)"),
        filters=[strip],
        validators=[Optional(), Length(max=200)],
        render_kw={"lang": "es"},
    )
    text_en = TextAreaField(
        _l("Text (English)"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 4, "lang": "en"},
    )
    text_es = TextAreaField(
        _l("Text (Spanish)"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 4, "lang": "es"},
    )
    image_path = StringField(
        _l("Image (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=300), _image_path],
    )
    sort_order = IntegerField(
        _l("Order within the year"), default=0, validators=[Optional(), NumberRange(min=0)]
    )

    def values(self) -> dict:
        """Return the validated values for the service."""
        return {
            "year": self.year.data,
            "title_en": self.title_en.data,
            "title_es": self.title_es.data or None,
            "text_en": self.text_en.data or "",
            "text_es": self.text_es.data or None,
            "image_path": self.image_path.data or None,
            "sort_order": self.sort_order.data or 0,
        }
