"""Fixtures of the back-office tests: a logged-in organiser, an event, RSVPs by the service."""

import pytest

from eventsvc.auth.models import Role
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.services import RsvpData, submit_rsvp


@pytest.fixture
def organiser(client, auth, create_staff_user):
    """Log in an organiser, Olga Organiser; return her account (id, email, password)."""
    user = create_staff_user(role=Role.organiser, name="Olga Organiser")
    auth.login(user["email"], user["password"])
    return user


@pytest.fixture
def event_id(make_event):
    """Return the id of a published event, "gala": 10 seats, up to 3 guests a party."""
    return make_event(capacity=10, guest_limit=3, slug="gala")


@pytest.fixture
def add(app):
    """Return add(event_id, name, email=…, phone=… (E.164), party_size=…, **extra) -> its id."""
    counter = iter(range(1, 10_000))

    def factory(event_id, name, *, email=None, phone=None, party_size=1, **extra):
        n = next(counter)
        if email is None and phone is None:
            email = f"person{n}@example.org"
        with app.app_context():
            event = db.session.get(Event, event_id)
            outcome = submit_rsvp(
                event,
                RsvpData(
                    name=name,
                    email=email,
                    phone=phone,
                    language=extra.pop("language", "en"),
                    party_size=party_size,
                    **extra,
                ),
            )
            db.session.commit()
            return outcome.rsvp.id

    return factory
