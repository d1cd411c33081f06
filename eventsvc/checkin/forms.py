"""Forms of the door links."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from eventsvc.i18n import _l


class DoorPassForm(FlaskForm):
    """Name a new door link, e.g. "Main entrance"."""

    label = StringField(
        _l("Door name"),
        validators=[
            DataRequired(_l("Give the door a name.")),
            Length(max=80, message=_l("Keep the name under 80 characters.")),
        ],
    )
