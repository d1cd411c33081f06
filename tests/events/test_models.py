"""State transitions and constraints of the event model (no services involved)."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from tests.factories import NOW


def test_event_title_falls_back_to_english(model_event):
    event = model_event(title_en="Picnic", title_es=None, description_en="Bring food")
    assert event.title("es") == "Picnic"
    assert event.description("es") == "Bring food"
    event.title_es = ""
    assert event.title("es") == "Picnic"
    event.title_es = "Picnic de aniversario"
    assert event.title("es") == "Picnic de aniversario"
    assert event.title("es_MX") == "Picnic de aniversario"
    assert event.title("en") == "Picnic"


def test_event_defaults_and_utc_round_trip(model_event):
    event = model_event()
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status == EventStatus.draft
    assert event.timezone == "America/Los_Angeles"
    assert event.ical_sequence == 0
    assert event.start_dt == NOW + timedelta(days=7)
    assert event.start_dt.tzinfo is not None


@pytest.mark.parametrize(
    "values",
    [
        {"end_dt": NOW + timedelta(days=6)},
        {"capacity": 0},
        {"guest_limit": -1},
    ],
    ids=["ends-before-start", "no-capacity", "negative-guest-limit"],
)
def test_event_constraints(model_event, values):
    with pytest.raises(IntegrityError):
        model_event(**values)


def test_event_publish_and_cancel(model_event):
    event = model_event()
    event.publish()
    assert event.is_published
    assert event.ical_sequence == 0
    event.cancel()
    assert event.is_cancelled
    assert event.ical_sequence == 1
    event.cancel()
    assert event.ical_sequence == 1
    with pytest.raises(DomainError) as error:
        event.publish()
    assert error.value.code == "event_cancelled"


def test_rsvp_window(model_event):
    event = model_event(rsvp_opens_dt=NOW, rsvp_closes_dt=NOW + timedelta(days=6), guest_limit=3)
    assert not event.rsvp_is_open(NOW + timedelta(hours=1))  # still a draft
    event.publish()
    assert not event.rsvp_is_open(NOW - timedelta(minutes=1))
    assert event.rsvp_is_open(NOW)
    assert not event.rsvp_is_open(NOW + timedelta(days=6))
    event.rsvp_closes_dt = None
    assert event.rsvp_is_open(event.end_dt - timedelta(minutes=1))
    assert not event.rsvp_is_open(event.end_dt)
    assert event.max_party_size == 4
