"""One test per rule of seats, waitlist, tickets and the private link; codes are asserted."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.checkin.models import CheckInResult
from eventsvc.checkin.services import resolve_ticket
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.rsvps.links import get_rsvp_by_token
from eventsvc.rsvps.mail import queue_reminders
from eventsvc.rsvps.models import Rsvp, RsvpStatus, TicketStatus
from eventsvc.rsvps.qr import encode_ticket, signing_key
from eventsvc.rsvps.seats import seat_summary, waitlist_position
from eventsvc.rsvps.services import (
    RsvpData,
    cancel_rsvp,
    change_party_size,
    delete_personal_data,
    submit_rsvp,
    token_hash,
    update_capacity,
)
from eventsvc.rsvps.tickets import ticket_code

counter = iter(range(1, 100_000))


def rsvp(event_id, party_size=1, **kw):
    n = next(counter)
    data = RsvpData(
        name=kw.pop("name", f"Person {n}"),
        email=kw.pop("email", f"person{n}@example.org"),
        phone=kw.pop("phone", None),
        language=kw.pop("language", "en"),
        party_size=party_size,
        **kw,
    )
    outcome = submit_rsvp(db.session.get(Event, event_id), data)
    db.session.commit()
    return outcome


def mails(kind=None):
    query = select(OutboxMessage)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query.order_by(OutboxMessage.id)).all()


@pytest.fixture
def event_id(make_event, app_ctx):
    return make_event(capacity=5, guest_limit=3)


def test_rsvp_is_confirmed_with_one_ticket_per_person(event_id):
    outcome = rsvp(event_id, party_size=3)
    assert outcome.is_new and outcome.rsvp.status == RsvpStatus.confirmed
    tickets = outcome.rsvp.tickets
    assert [t.position for t in tickets] == [1, 2, 3]
    assert all(t.status == TicketStatus.active and t.event_id == event_id for t in tickets)
    assert len({t.secret for t in tickets}) == 3
    assert [m.kind for m in mails()] == ["rsvp_confirmed"]


def test_party_that_does_not_fit_goes_whole_to_the_waitlist(event_id):
    rsvp(event_id, party_size=4)
    outcome = rsvp(event_id, party_size=2)  # 1 seat left, party of 2
    assert outcome.rsvp.status == RsvpStatus.waitlisted
    assert outcome.rsvp.tickets == []
    assert waitlist_position(outcome.rsvp) == 1
    assert seat_summary(db.session.get(Event, event_id)).taken == 4
    assert mails("rsvp_waitlisted")


def test_nobody_jumps_the_waitlist(event_id):
    rsvp(event_id, party_size=4)
    rsvp(event_id, party_size=2)  # waits: does not fit
    late = rsvp(event_id, party_size=1)  # would fit in the last seat, but someone is waiting
    assert late.rsvp.status == RsvpStatus.waitlisted
    assert waitlist_position(late.rsvp) == 2


def test_cancellation_promotes_the_waitlist_in_order(event_id):
    first = rsvp(event_id, party_size=4)
    waiting = [rsvp(event_id, party_size=n) for n in (2, 1, 3)]
    cancel_rsvp(first.rsvp)
    db.session.commit()
    statuses = [db.session.get(Rsvp, w.rsvp.id).status for w in waiting]
    # 5 free seats: the party of 2 and the party of 1 fit; the party of 3 waits (2 left).
    assert statuses == [RsvpStatus.confirmed, RsvpStatus.confirmed, RsvpStatus.waitlisted]
    assert waitlist_position(waiting[2].rsvp) == 1
    assert len(waiting[0].rsvp.tickets) == 2
    assert [m.rsvp_id for m in mails("rsvp_promoted")] == [waiting[0].rsvp.id, waiting[1].rsvp.id]
    assert seat_summary(db.session.get(Event, event_id)).taken == 3


def test_promotion_stops_at_a_party_that_does_not_fit(event_id):
    holder = rsvp(event_id, party_size=4)
    big = rsvp(event_id, party_size=3)
    small = rsvp(event_id, party_size=1)
    change_party_size(holder.rsvp, 3)  # frees one seat: 2 free now, the head needs 3
    db.session.commit()
    assert big.rsvp.status == RsvpStatus.waitlisted
    assert small.rsvp.status == RsvpStatus.waitlisted  # no queue jumping


def test_smaller_party_frees_seats_for_the_waitlist(event_id):
    holder = rsvp(event_id, party_size=4)
    rsvp(event_id, party_size=1)  # takes the last seat
    waiting = rsvp(event_id, party_size=2)
    change_party_size(holder.rsvp, 2)
    db.session.commit()
    assert waiting.rsvp.status == RsvpStatus.confirmed
    assert [t.status for t in holder.rsvp.tickets] == [
        TicketStatus.active,
        TicketStatus.active,
        TicketStatus.void,
        TicketStatus.void,
    ]


def test_raising_capacity_promotes_the_waitlist(event_id):
    rsvp(event_id, party_size=4)
    waiting = rsvp(event_id, party_size=3)
    update_capacity(db.session.get(Event, event_id), 7)
    db.session.commit()
    assert waiting.rsvp.status == RsvpStatus.confirmed


def test_capacity_cannot_go_below_confirmed_seats(event_id):
    rsvp(event_id, party_size=4)
    with pytest.raises(DomainError) as e:
        update_capacity(db.session.get(Event, event_id), 3)
    assert e.value.code == "below_confirmed"


def test_bigger_party_needs_free_seats(event_id):
    holder = rsvp(event_id, party_size=3)
    change_party_size(holder.rsvp, 4)
    assert len([t for t in holder.rsvp.tickets if t.status == TicketStatus.active]) == 4
    rsvp(event_id, party_size=1)
    with pytest.raises(DomainError) as e:
        change_party_size(holder.rsvp, 5)
    assert e.value.code == "party_too_large"  # guest limit 3: at most 4 people


def test_bigger_party_refused_when_full(make_event, app_ctx):
    event_id = make_event(capacity=5, guest_limit=5)
    holder = rsvp(event_id, party_size=4)
    rsvp(event_id, party_size=1)
    with pytest.raises(DomainError) as e:
        change_party_size(holder.rsvp, 5)
    assert e.value.code == "no_seats"
    db.session.rollback()
    assert db.session.get(Rsvp, holder.rsvp.id).party_size == 4


def test_party_over_the_guest_limit_is_refused(event_id):
    with pytest.raises(DomainError) as e:
        rsvp(event_id, party_size=5)  # guest limit 3: at most 4 people
    assert e.value.code == "party_too_large"


def test_same_email_makes_a_new_party_and_leaves_the_first_alone(event_id):
    first = rsvp(event_id, party_size=1, email="ana@example.org", name="Ana")
    again = rsvp(event_id, party_size=2, email="ana@example.org", name="Ana María")
    assert again.is_new and again.rsvp.id != first.rsvp.id
    assert again.token != first.token
    assert db.session.get(Rsvp, first.rsvp.id).name == "Ana"
    assert db.session.get(Rsvp, first.rsvp.id).party_size == 1
    assert again.rsvp.shared_contact == "email"
    # Nothing of the new RSVP goes to the address: its holder is told instead.
    assert [m.kind for m in mails()] == ["rsvp_confirmed", "rsvp_shared_address"]


def test_same_phone_makes_a_new_party(event_id):
    first = rsvp(event_id, email=None, phone="+19095550123")
    again = rsvp(event_id, email=None, phone="+19095550123", party_size=2)
    assert again.is_new and again.rsvp.id != first.rsvp.id
    assert again.rsvp.shared_contact == "phone" and first.rsvp.party_size == 1
    assert mails() == []  # no email on either: nobody can be told


def test_double_submit_of_the_same_form_changes_nothing(event_id):
    first = rsvp(event_id, email="b@example.org", submission_key="form-1")
    again = rsvp(event_id, email="b@example.org", submission_key="form-1")
    assert again.is_repeat and again.rsvp.id == first.rsvp.id
    assert again.token == first.token
    assert len(mails()) == 1


def test_submission_key_is_stored_only_as_a_hash(event_id):
    outcome = rsvp(event_id, submission_key="form-2")
    assert db.session.get(Rsvp, outcome.rsvp.id).submission_key == token_hash("form-2")


def test_rsvp_after_cancelling_is_a_new_rsvp(event_id):
    first = rsvp(event_id, email="c@example.org")
    cancel_rsvp(first.rsvp)
    db.session.commit()
    again = rsvp(event_id, email="c@example.org")
    assert again.is_new and again.rsvp.id != first.rsvp.id


@pytest.mark.parametrize(
    ("columns", "code"),
    [
        ({"status": EventStatus.draft}, "not_published"),
        ({"status": EventStatus.cancelled}, "event_cancelled"),
        ({"rsvp_opens_dt": utc_now() + timedelta(days=1)}, "not_open_yet"),
        ({"rsvp_closes_dt": utc_now() - timedelta(minutes=1)}, "closed"),
        ({"starts_in": timedelta(hours=-3)}, "closed"),  # over
    ],
)
def test_rsvp_window_and_states_refuse(make_event, app_ctx, columns, code):
    if "rsvp_closes_dt" in columns:
        columns["rsvp_opens_dt"] = utc_now() - timedelta(days=2)
    event_id = make_event(**columns)
    with pytest.raises(DomainError) as e:
        rsvp(event_id)
    assert e.value.code == code
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_link_token_is_stored_only_as_a_hash(event_id):
    outcome = rsvp(event_id)
    stored = db.session.get(Rsvp, outcome.rsvp.id)
    assert stored.manage_token_hash == token_hash(outcome.token)
    assert outcome.token not in stored.manage_token_hash
    assert len(outcome.token) >= 32
    assert get_rsvp_by_token(outcome.token) == stored
    altered = outcome.token[:-1] + ("B" if outcome.token.endswith("A") else "A")
    assert get_rsvp_by_token(altered) is None
    assert get_rsvp_by_token("") is None


def test_ticket_code_resolves_to_its_ticket(event_id):
    outcome = rsvp(event_id, party_size=2)
    second = outcome.rsvp.tickets[1]
    assert resolve_ticket(ticket_code(second)) == second
    assert resolve_ticket(" " + ticket_code(second).lower() + "\n") == second


def test_cancelled_ticket_is_refused(event_id):
    outcome = rsvp(event_id)
    code = ticket_code(outcome.rsvp.tickets[0])
    cancel_rsvp(outcome.rsvp)
    db.session.commit()
    with pytest.raises(DomainError) as e:
        resolve_ticket(code)
    assert e.value.code == CheckInResult.cancelled


def test_replaced_ticket_code_is_refused(event_id):
    ticket = rsvp(event_id).rsvp.tickets[0]
    old = ticket_code(ticket)
    ticket.secret = "00" * 6  # re-issued with a new seed
    db.session.commit()
    with pytest.raises(DomainError) as e:
        resolve_ticket(old)
    assert e.value.code == "replaced"


def test_forged_and_foreign_codes_are_refused(app, event_id):
    ticket = rsvp(event_id).rsvp.tickets[0]
    code = ticket_code(ticket)
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    with pytest.raises(DomainError) as e:
        resolve_ticket(forged)
    assert e.value.code == "invalid"
    # Signed by us, but for a ticket id that does not exist.
    unknown = encode_ticket(
        event_id=event_id,
        ticket_id=ticket.id + 999,
        seed=bytes.fromhex(ticket.secret),
        private_key=signing_key(app.config),
    )
    with pytest.raises(DomainError) as e:
        resolve_ticket(unknown)
    assert e.value.code == "unknown"


def test_delete_my_data_erases_at_once_and_frees_seats(event_id):
    gone = rsvp(
        event_id,
        party_size=4,
        name="Aidê",
        email="aide@example.org",
        access_needs="wheelchair",
        phone="+19095550100",
    )
    waiting = rsvp(event_id, party_size=3)
    delete_personal_data(gone.rsvp)
    db.session.commit()
    row = db.session.get(Rsvp, gone.rsvp.id)
    assert row.is_anonymised and row.status == RsvpStatus.cancelled
    assert (row.name, row.email, row.phone, row.access_needs) == ("", None, None, "")
    assert row.party_size == 4  # the anonymous count stays
    assert (
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.rsvp_id == row.id)).all() == []
    )
    assert waiting.rsvp.status == RsvpStatus.confirmed
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "rsvp.delete"))
    assert audit.object_id == str(row.id) and "aide" not in str(audit.details).lower()


def test_reminders_are_queued_once_and_only_with_consent(make_event, app_ctx):
    event_id = make_event(starts_in=timedelta(hours=20))
    with_consent = rsvp(event_id, consent_contact=True)
    rsvp(event_id, consent_contact=False)
    # RSVPs made more than a day before the event get a reminder.
    db.session.execute(Rsvp.__table__.update().values(created_dt=utc_now() - timedelta(days=3)))
    db.session.commit()
    assert queue_reminders() == 1
    db.session.commit()
    assert queue_reminders() == 0
    db.session.commit()
    assert [m.rsvp_id for m in mails("rsvp_reminder")] == [with_consent.rsvp.id]


def test_no_reminder_for_events_further_away(make_event, app_ctx):
    event_id = make_event(starts_in=timedelta(days=3))
    rsvp(event_id, consent_contact=True)
    assert queue_reminders() == 0
