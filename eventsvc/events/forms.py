"""The back office's event forms: the event itself (both languages side by side), cancelling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from eventsvc.core.forms import strip
from eventsvc.events.models import Event
from eventsvc.events.services import Problem, is_known_timezone
from eventsvc.i18n import _l

#: Offered as suggestions in the time-zone field; any IANA name is accepted.
COMMON_TIMEZONES = [
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Mexico_City",
    "America/Tijuana",
    "Pacific/Honolulu",
    "America/Anchorage",
    "UTC",
]
#: How the browser's datetime-local input sends a value (seconds when the user typed them).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
#: The form's field that shows a problem the events' services found in a value.
FIELD_OF = {
    "start_dt": "starts",
    "end_dt": "ends",
    "rsvp_opens_dt": "rsvp_opens",
    "rsvp_closes_dt": "rsvp_closes",
}


class LocalDateTimeField(DateTimeLocalField):
    """A date and time in the event's zone, with a message people understand."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=LOCAL_FORMATS, **kwargs)

    def process_formdata(self, valuelist):
        """Parse the value; a wrong one gets a translatable message."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date and a time, like 2026-06-20 18:00.")) from None


def _text(label, max_length: int, *, required: str | None = None, **kwargs):
    validators = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=_l("Keep this under %(max)d characters.")))
    return StringField(label, filters=[strip], validators=validators, **kwargs)


def _area(label, max_length: int = 10_000, **kwargs):
    return TextAreaField(
        label,
        filters=[strip],
        validators=[
            Optional(),
            Length(max=max_length, message=_l("Keep this under %(max)d characters.")),
        ],
        **kwargs,
    )


def _number(label, message):
    return IntegerField(
        label, validators=[InputRequired(message)], render_kw={"inputmode": "numeric"}
    )


class EventForm(FlaskForm):
    """An event's details; times are local to the event's zone, the service gets UTC."""

    title_en = _text(
        _l("Title (English)"),
        200,
        required=_l("Give the event a title in English."),
        render_kw={"lang": "en"},
    )
    title_es = _text(_l("Title (Spanish)"), 200, render_kw={"lang": "es"})
    description_en = _area(_l("Description (English)"), render_kw={"rows": 6, "lang": "en"})
    description_es = _area(_l("Description (Spanish)"), render_kw={"rows": 6, "lang": "es"})
    accessibility_notes_en = _area(
        _l("Accessibility notes (English)"), render_kw={"rows": 3, "lang": "en"}
    )
    accessibility_notes_es = _area(
        _l("Accessibility notes (Spanish)"), render_kw={"rows": 3, "lang": "es"}
    )
    slug = _text(_l("Web address"), 80, render_kw={"autocapitalize": "none", "spellcheck": "false"})
    series_id = SelectField(_l("Series"), coerce=int)
    timezone = _text(
        _l("Time zone"),
        64,
        required=_l("Enter a time zone, e.g. America/Los_Angeles."),
        render_kw={"list": "timezones", "autocapitalize": "none", "spellcheck": "false"},
    )
    starts = LocalDateTimeField(_l("Starts"), [InputRequired(_l("Enter when the event starts."))])
    ends = LocalDateTimeField(_l("Ends"), [InputRequired(_l("Enter when the event ends."))])
    venue_name = _text(_l("Venue"), 200)
    venue_address = _text(_l("Address"), 300)
    capacity = _number(_l("Capacity (seats in total)"), _l("Enter how many seats there are."))
    guest_limit = _number(
        _l("Guests per RSVP"), _l("Enter how many guests one person may bring (0 for none).")
    )
    rsvp_opens = LocalDateTimeField(_l("RSVPs open"), [Optional()])
    rsvp_closes = LocalDateTimeField(_l("RSVPs close"), [Optional()])
    host_organisations = _area(_l("Host organisations"), 2000, render_kw={"rows": 2})
    notify = BooleanField(_l("Notify attendees"), default=True)

    @classmethod
    def for_event(cls, event: Event, **kwargs) -> EventForm:
        """Return the form filled with event's values (local times in its zone)."""
        data = {name: getattr(event, name) for name in _PLAIN_FIELDS}
        data["series_id"] = event.series_id
        for field, column in _TIME_FIELDS.items():
            value = getattr(event, column)
            data[field] = to_local(value, event.timezone) if value else None
        return cls(data=data, **kwargs)

    def values(self) -> dict[str, Any]:
        """Return what the services take: UTC datetimes, text, numbers (no series, no notify)."""
        values = {name: self[name].data or "" for name in _PLAIN_FIELDS}
        for name in ("title_es", "description_es", "accessibility_notes_es"):
            values[name] = values[name] or None  # empty: the public page falls back to English
        values["capacity"] = self.capacity.data
        values["guest_limit"] = self.guest_limit.data
        # A zone we do not know is reported on its field; meanwhile read the times as UTC.
        zone = values["timezone"] if is_known_timezone(values["timezone"]) else "UTC"
        for field, column in _TIME_FIELDS.items():
            local = self[field].data
            values[column] = to_utc(local, zone) if local else None
        return values

    def show_problems(self, problems: list[Problem], *, skip_invalid: bool = False) -> None:
        """Put each problem the services found next to its field (skip_invalid: if it has none)."""
        for problem in problems:
            field = self[FIELD_OF.get(problem.field, problem.field)]
            if not (skip_invalid and field.errors):
                field.errors = [*field.errors, problem.message]


_PLAIN_FIELDS = (
    "title_en",
    "title_es",
    "description_en",
    "description_es",
    "accessibility_notes_en",
    "accessibility_notes_es",
    "slug",
    "timezone",
    "venue_name",
    "venue_address",
    "capacity",
    "guest_limit",
    "host_organisations",
)
_TIME_FIELDS = {
    "starts": "start_dt",
    "ends": "end_dt",
    "rsvp_opens": "rsvp_opens_dt",
    "rsvp_closes": "rsvp_closes_dt",
}


def to_utc(local: datetime, zone: str) -> datetime:
    """Return the UTC time of a wall-clock time in zone."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def to_local(value: datetime, zone: str) -> datetime:
    """Return a UTC time as the wall-clock time in zone, without tzinfo (for the inputs)."""
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class CancelEventForm(FlaskForm):
    """What the organisers tell attendees when they call an event off, in both languages."""

    message_en = TextAreaField(
        _l("Message in English"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write the message in English.")),
            Length(max=5000, message=_l("Keep this under %(max)d characters.")),
        ],
        render_kw={"rows": 6, "lang": "en"},
    )
    message_es = TextAreaField(
        _l("Message in Spanish"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write the message in Spanish.")),
            Length(max=5000, message=_l("Keep this under %(max)d characters.")),
        ],
        render_kw={"rows": 6, "lang": "es"},
    )
