"""State transitions and constraints of the RSVP and ticket models (no services involved)."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.rsvps.models import RsvpStatus, Ticket, TicketStatus
from tests.factories import NOW


def test_rsvp_cancel_voids_tickets(model_rsvp):
    rsvp = model_rsvp(party_size=3)
    rsvp.cancel(NOW)
    db.session.flush()
    assert rsvp.status == RsvpStatus.cancelled
    assert rsvp.cancelled_dt == NOW
    assert {t.status for t in rsvp.tickets} == {TicketStatus.void}
    with pytest.raises(DomainError):
        rsvp.confirm()


def test_rsvp_waitlist_then_confirm(model_rsvp):
    rsvp = model_rsvp()
    rsvp.waitlist(NOW)
    assert rsvp.is_waitlisted
    assert rsvp.waitlisted_dt == NOW
    rsvp.confirm()
    assert rsvp.is_confirmed


def test_rsvp_needs_email_or_phone_until_anonymised(model_rsvp):
    with pytest.raises(IntegrityError):
        model_rsvp(email=None, phone=None)
    db.session.rollback()

    rsvp = model_rsvp(phone="+19093614588", access_needs="wheelchair", party_size=2)
    rsvp.anonymise(NOW)
    db.session.flush()
    assert rsvp.is_anonymised
    assert (rsvp.name, rsvp.email, rsvp.phone, rsvp.access_needs) == ("", None, None, "")
    assert rsvp.party_size == 2


def test_ticket_positions_are_unique_per_rsvp(model_rsvp):
    rsvp = model_rsvp()
    db.session.add(Ticket(rsvp=rsvp, event=rsvp.event, position=1, secret="another"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_deleting_an_rsvp_deletes_its_tickets(model_rsvp):
    rsvp = model_rsvp(party_size=2)
    db.session.delete(rsvp)
    db.session.flush()
    assert db.session.scalars(select(Ticket)).all() == []
