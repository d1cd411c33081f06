"""State transitions of check-ins and door passes (no services involved)."""

from datetime import timedelta

from eventsvc.checkin.models import CheckIn
from eventsvc.extensions import db
from tests.factories import NOW, make_door_pass


def test_ticket_check_in_and_undo(model_rsvp):
    rsvp = model_rsvp()
    door = make_door_pass(rsvp.event, label="Main entrance", expires_dt=NOW + timedelta(1))
    ticket = rsvp.tickets[0]
    ticket.check_in(NOW, door=door)
    scan = CheckIn(event=rsvp.event, ticket=ticket, door_pass=door, result="ok", scanned_dt=NOW)
    db.session.add(scan)
    db.session.flush()
    assert ticket.is_checked_in
    assert ticket.checked_in_door_id == door.id
    assert scan.is_admission

    scan.undo(NOW)
    ticket.undo_check_in()
    assert not scan.is_admission
    assert (ticket.checked_in_dt, ticket.checked_in_door) == (None, None)


def test_door_pass_validity(model_event):
    door = make_door_pass(model_event(), label="Side door", expires_dt=NOW + timedelta(1))
    assert door.is_valid(NOW)
    assert not door.is_valid(NOW + timedelta(days=1))
    door.revoke(NOW)
    assert not door.is_valid(NOW)
