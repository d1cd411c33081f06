"""Forms of the door links and of the back office's attendee pages."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from eventsvc.checkin.attendees import ATTENDEE_FILTERS, ATTENDEE_SORTS, AttendeeFilter
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


# --- the back office's attendee list ---------------------------------------------------------


class AttendeeSearchForm(FlaskForm):
    """Search, filter and sort an event's attendees (a GET form: no CSRF token needed)."""

    class Meta:
        """Searching changes nothing, so the form needs no CSRF token."""

        csrf = False

    q = StringField(
        _l("Search"),
        filters=[lambda s: s.strip() if isinstance(s, str) else s],
        validators=[Optional(), Length(max=100)],
    )
    show = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("live", _l("Attending or waiting")),
            SelectChoice("confirmed", _l("Confirmed")),
            SelectChoice("waitlisted", _l("Waiting list")),
            SelectChoice("checked_in", _l("Checked in")),
            SelectChoice("not_checked_in", _l("Not yet checked in")),
            SelectChoice("cancelled", _l("Cancelled")),
            SelectChoice("interpretation", _l("Needs interpretation")),
            SelectChoice("access_needs", _l("Access needs")),
            SelectChoice("all", _l("Everyone, cancelled too")),
        ],
        default="live",
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("name", _l("Name")),
            SelectChoice("rsvp_time", _l("RSVP time (first first)")),
            SelectChoice("party_size", _l("Party size (largest first)")),
            SelectChoice("waitlist", _l("Waiting list position")),
        ],
        default="name",
        validators=[Optional()],
    )

    def to_filter(self) -> AttendeeFilter:
        """Return the filter for the service; values that are not offered fall back to defaults."""
        show = self.show.data if self.show.data in ATTENDEE_FILTERS else "live"
        sort = self.sort.data if self.sort.data in ATTENDEE_SORTS else "name"
        return AttendeeFilter(q=(self.q.data or "")[:100], show=show, sort=sort)


class PartyCheckInForm(FlaskForm):
    """Check in some or all of a party by hand."""

    count = SelectField(_l("People to check in"), coerce=int, validate_choice=False)

    def __init__(self, *args, remaining: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.count.choices = [SelectChoice(n, str(n)) for n in range(1, max(remaining, 1) + 1)]
        if self.count.data is None:
            self.count.data = remaining


class UndoCheckInForm(FlaskForm):
    """Undo one admission (the scan's id is the only field besides the CSRF token)."""

    scan_id = IntegerField(validators=[DataRequired()])
