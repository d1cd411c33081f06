"""Forms of the login and invitation pages, and of the staff pages of the back office."""

from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from eventsvc.auth.models import Role
from eventsvc.auth.services import MIN_PASSWORD_LENGTH
from eventsvc.core.forms import nfc, strip
from eventsvc.i18n import _l

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("es", "Español")]


class LoginForm(FlaskForm):
    """Email and password of a staff member."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email.")), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.title) for role in reversed(Role)]


def _no_markup(form, field) -> None:
    if field.data and ("<" in field.data or ">" in field.data):
        raise ValidationError(_l("A name cannot contain < or >."))


def _current_language() -> str:
    return str(get_locale() or "en")[:2]


class InviteForm(FlaskForm):
    """Who to invite, with which role, and the language of the invitation email."""

    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Length(max=254, message=_l("This email address is too long.")),
            Email(
                _l("Enter a valid email address, like name@example.com."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "off"},
    )
    name = StringField(
        _l("Name"),
        filters=[strip, nfc],
        validators=[
            DataRequired(_l("Enter a name.")),
            Length(max=120, message=_l("Keep the name under 120 characters.")),
            _no_markup,
        ],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Role"), choices=_role_choices, default=Role.organiser.value)
    language = RadioField(
        _l("Language of the invitation email"),
        choices=LANGUAGE_CHOICES,
        default=_current_language,
        validators=[DataRequired(_l("Choose a language."))],
    )


class StaffRoleForm(FlaskForm):
    """Change a staff member's role."""

    role = SelectField(_l("Role"), choices=_role_choices)


class ResendInvitationForm(FlaskForm):
    """Send the invitation link again, in a language."""

    language = RadioField(
        _l("Language of the invitation email"),
        choices=LANGUAGE_CHOICES,
        default=_current_language,
        validators=[DataRequired(_l("Choose a language."))],
    )


class ButtonForm(FlaskForm):
    """A button that posts (the CSRF token is the only field)."""


class AcceptInviteForm(FlaskForm):
    """Choose a password, twice."""

    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            ),
            Length(max=200, message=_l("Keep the password under 200 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
