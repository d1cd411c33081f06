"""An event with a party of three, door links, and a helper to scan through the API."""

from datetime import timedelta

import pytest

from eventsvc.checkin.doors import create_door_pass, door_pass_token
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code


@pytest.fixture
def door(app, make_event):
    """Return a dict: event id, door tokens, the party's ticket ids and codes, another event."""
    event_id = make_event(capacity=20, guest_limit=4, starts_in=timedelta(hours=1))
    other_id = make_event(capacity=20, guest_limit=4, starts_in=timedelta(hours=1))
    with app.app_context():
        event, other = db.session.get(Event, event_id), db.session.get(Event, other_id)
        party = submit_rsvp(
            event,
            RsvpData(
                name="José Ñúñez", email="jose@example.org", phone=None, language="es", party_size=3
            ),
        ).rsvp
        stranger = submit_rsvp(
            other,
            RsvpData(
                name="Otra Persona",
                email="otra@example.org",
                phone=None,
                language="es",
                party_size=1,
            ),
        ).rsvp
        main = create_door_pass(event, "Main entrance")
        side = create_door_pass(event, "Side door")
        elsewhere = create_door_pass(other, "Main entrance")
        db.session.commit()
        return {
            "event_id": event_id,
            "other_event_id": other_id,
            "main": door_pass_token(main),
            "main_id": main.id,
            "side": door_pass_token(side),
            "side_id": side.id,
            "elsewhere": door_pass_token(elsewhere),
            "rsvp_id": party.id,
            "tickets": [t.id for t in party.tickets],
            "codes": [ticket_code(t) for t in party.tickets],
            "other_code": ticket_code(stranger.tickets[0]),
        }


@pytest.fixture
def scan(client, door):
    """Return scan(code=…, ticket_id=…, token=door["main"], **body) -> response."""

    def do(token=None, event_id=None, headers=None, **body):
        return client.post(
            f"/api/v1/events/{event_id or door['event_id']}/checkins",
            json=body,
            headers={"X-Door-Token": token or door["main"], **(headers or {})},
        )

    return do


@pytest.fixture
def later():
    return utc_now() + timedelta(days=30)
