"""Factories of saved rows for tests: plain functions that add to the session and flush.

Each takes what a test cares about as arguments and fills in the rest; none commits (its caller
does, usually a fixture in a conftest.py). Anything not given keeps the model's default, so an
event starts as a draft: a test that needs a published one says so.

The RSVPs and door passes made here carry random placeholder tokens: their links do not open. A
test that follows a link goes through the service (``submit_rsvp``, ``create_door_pass``).
Unsaved objects for the pure builders are made where they are used (``build_event`` in
tests/events/test_ical.py and tests/events/test_calendar_links.py).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from eventsvc.checkin.models import DoorPass
from eventsvc.db import utc_now
from eventsvc.events.models import Event, Series
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, Ticket

#: A fixed instant for tests that pass the time in (the model tests).
NOW = datetime(2024, 6, 1, 17, 0, tzinfo=UTC)


def default_series() -> Series:
    """Return the series new events join unless told otherwise, adding it the first time."""
    return db.session.scalar(db.select(Series)) or Series(
        slug="series", title_en="Series", title_es="Serie"
    )


def make_event(
    number: int = 1,
    *,
    series: Series | None = None,
    start_dt: datetime | None = None,
    end_dt: datetime | None = None,
    capacity: int = 10,
    guest_limit: int = 3,
    **columns,
) -> Event:
    """Add event number ``number`` (slug ``event-<n>``, "Event <n>") and flush; return it.

    It starts ten days from now, lasts two hours and is held at "Hall, Riverside, CA" unless the
    arguments say otherwise; ``columns`` set any other column or replace these.
    """
    if start_dt is None:
        start_dt = utc_now() + timedelta(days=10)
    values = {
        "slug": f"event-{number}",
        "title_en": f"Event {number}",
        "title_es": f"Evento {number}",
        "venue_name": "Hall",
        "venue_address": "Riverside, CA",
        **columns,
    }
    event = Event(
        series=series or default_series(),
        start_dt=start_dt,
        end_dt=end_dt or start_dt + timedelta(hours=2),
        capacity=capacity,
        guest_limit=guest_limit,
        **values,
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_rsvp(event: Event, number: int = 1, *, party_size: int = 1, **columns) -> Rsvp:
    """Add party number ``number`` (Ana, ``ana<n>@example.org``) with one ticket a person; flush.

    ``columns`` set any other column of the RSVP or replace these (``email=None``…).
    """
    values = {
        "name": "Ana",
        "email": f"ana{number}@example.org",
        "manage_token_hash": secrets.token_hex(32),
        "manage_token_salt": secrets.token_hex(16),
        "feed_token_hash": secrets.token_hex(32),
        "feed_token_salt": secrets.token_hex(16),
        **columns,
    }
    rsvp = Rsvp(event=event, party_size=party_size, **values)
    for position in range(1, party_size + 1):
        rsvp.tickets.append(Ticket(event=event, position=position, secret=secrets.token_hex(32)))
    db.session.add(rsvp)
    db.session.flush()
    return rsvp


def make_door_pass(
    event: Event,
    *,
    label: str = "Main entrance",
    expires_dt: datetime | None = None,
    **columns,
) -> DoorPass:
    """Add a door pass of an event, open until a day after it ends unless told, and flush."""
    door_pass = DoorPass(
        event=event,
        label=label,
        token_hash=secrets.token_hex(32),
        token_salt=secrets.token_hex(16),
        expires_dt=expires_dt or event.end_dt + timedelta(days=1),
        **columns,
    )
    db.session.add(door_pass)
    db.session.flush()
    return door_pass
