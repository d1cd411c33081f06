"""Use cases of events the back office calls: edits that calendars must see, and cancellation."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.core.models import AuditLog
from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import update_event
from eventsvc.extensions import db
from eventsvc.rsvps.event_changes import cancel_event


@pytest.fixture
def event(app_ctx, make_event):
    return db.session.get(Event, make_event())


@pytest.mark.parametrize(
    "field",
    ["start_dt", "end_dt", "timezone", "venue_name", "venue_address"],
)
def test_time_or_place_change_bumps_the_sequence_once(event, field):
    changes = {
        "start_dt": event.start_dt - timedelta(minutes=30),
        "end_dt": event.end_dt + timedelta(minutes=30),
        "timezone": "America/New_York",
        "venue_name": "Another hall",
        "venue_address": "1 Other St, San Bernardino, CA",
    }
    update_event(event, **{field: changes[field]})
    assert event.ical_sequence == 1
    update_event(event, **changes)  # several at once: one bump
    assert event.ical_sequence == 2


def test_wording_changes_keep_the_sequence(event):
    update_event(event, title_en="Better title", description_es="Arreglado", capacity=50)
    assert event.ical_sequence == 0 and event.capacity == 50


def test_no_change_writes_nothing(event):
    update_event(event, venue_name=event.venue_name)
    assert event.ical_sequence == 0
    assert db.session.scalars(select(AuditLog)).all() == []


def test_status_changes_bump_the_sequence(event):
    update_event(event, status="draft")
    assert event.status == EventStatus.draft and event.ical_sequence == 1
    update_event(event, status=EventStatus.published)
    assert event.ical_sequence == 2
    update_event(event, status=EventStatus.cancelled)
    assert event.is_cancelled and event.ical_sequence == 3  # cancel() bumps, once


def test_unknown_field_is_refused(event):
    with pytest.raises(DomainError) as e:
        update_event(event, ical_sequence=99)
    assert e.value.code == "unknown_field"


def test_end_before_start_is_refused(event):
    with pytest.raises(DomainError) as e:
        update_event(event, end_dt=event.start_dt - timedelta(hours=1))
    assert e.value.code == "ends_before_start"
    db.session.rollback()


def test_update_is_audited_and_logged_without_committing(event, caplog, create_staff_user):
    staff = create_staff_user()
    caplog.set_level(logging.INFO, logger="eventsvc.events.services")
    update_event(event, actor=type("Actor", (), {"id": staff["id"]})(), venue_name="New hall")
    (entry,) = db.session.scalars(select(AuditLog)).all()
    assert entry.action == "event.update" and entry.object_id == str(event.id)
    assert entry.actor_id == staff["id"]
    assert entry.details == {"fields": ["venue_name"], "ical_sequence": 1}
    assert f"Event {event.id} updated (venue_name)" in caplog.text
    db.session.rollback()  # the service only flushed
    assert db.session.get(Event, event.id).venue_name == "Hall"


def test_cancel_event_keeps_it_public_and_bumps_once(event, caplog):
    caplog.set_level(logging.INFO, logger="eventsvc.events.services")
    cancel_event(event)
    cancel_event(event)  # again: nothing more
    assert event.is_cancelled and event.ical_sequence == 1
    assert [e.action for e in db.session.scalars(select(AuditLog))] == ["event.cancel"]
    assert f"Event {event.id} cancelled" in caplog.text
