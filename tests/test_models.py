"""State transitions and constraints of the models (no services involved)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

import eventsvc.models  # noqa: F401  (every table for create_all)
from eventsvc import create_app
from eventsvc.auth.models import Role, StaffUser
from eventsvc.checkin.models import CheckIn, DoorPass
from eventsvc.core.models import AuditLog
from eventsvc.errors import DomainError
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.membership.models import Member, MemberStatus
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

NOW = datetime(2024, 6, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def model_app(tmp_path):
    """Yield an app on a fresh in-memory database (not the shared test database of conftest)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_event(model_app):
    """Return a function that adds an event (and its series) with sensible defaults."""
    counter = iter(range(1, 1000))

    def make(**kwargs):
        n = next(counter)
        series = Series(slug=f"series-{n}", title_en="15 Years")
        values = {
            "series": series,
            "slug": f"event-{n}",
            "title_en": "Anniversary picnic",
            "start_dt": NOW + timedelta(days=7),
            "end_dt": NOW + timedelta(days=7, hours=3),
            "capacity": 100,
        }
        values.update(kwargs)
        event = Event(**values)
        db.session.add(event)
        db.session.flush()
        return event

    return make


@pytest.fixture
def make_rsvp(make_event):
    """Return a function that adds an RSVP with one ticket per person."""
    counter = iter(range(1, 1000))

    def make(event=None, party_size=1, **kwargs):
        n = next(counter)
        values = {
            "name": "Ana",
            "email": f"ana{n}@example.org",
            "manage_token_hash": f"{n:064x}",
            "manage_token_salt": f"{n:032x}",
            "feed_token_hash": f"f{n:063x}",
            "feed_token_salt": f"f{n:031x}",
        }
        values.update(kwargs)
        rsvp = Rsvp(event=event or make_event(), party_size=party_size, **values)
        for position in range(1, party_size + 1):
            rsvp.tickets.append(
                Ticket(event=rsvp.event, position=position, secret=f"s{n}-{position}")
            )
        db.session.add(rsvp)
        db.session.flush()
        return rsvp

    return make


def test_event_title_falls_back_to_english(make_event):
    event = make_event(title_en="Picnic", title_es=None, description_en="Bring food")
    assert event.title("es") == "Picnic"
    assert event.description("es") == "Bring food"
    event.title_es = ""
    assert event.title("es") == "Picnic"
    event.title_es = "Picnic de aniversario"
    assert event.title("es") == "Picnic de aniversario"
    assert event.title("es_MX") == "Picnic de aniversario"
    assert event.title("en") == "Picnic"


def test_event_defaults_and_utc_round_trip(make_event):
    event = make_event()
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
def test_event_constraints(make_event, values):
    with pytest.raises(IntegrityError):
        make_event(**values)


def test_event_publish_and_cancel(make_event):
    event = make_event()
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


def test_rsvp_window(make_event):
    event = make_event(rsvp_opens_dt=NOW, rsvp_closes_dt=NOW + timedelta(days=6), guest_limit=3)
    assert not event.rsvp_is_open(NOW + timedelta(hours=1))  # still a draft
    event.publish()
    assert not event.rsvp_is_open(NOW - timedelta(minutes=1))
    assert event.rsvp_is_open(NOW)
    assert not event.rsvp_is_open(NOW + timedelta(days=6))
    event.rsvp_closes_dt = None
    assert event.rsvp_is_open(event.end_dt - timedelta(minutes=1))
    assert not event.rsvp_is_open(event.end_dt)
    assert event.max_party_size == 4


def test_rsvp_cancel_voids_tickets(make_rsvp):
    rsvp = make_rsvp(party_size=3)
    rsvp.cancel(NOW)
    db.session.flush()
    assert rsvp.status == RsvpStatus.cancelled
    assert rsvp.cancelled_dt == NOW
    assert {t.status for t in rsvp.tickets} == {TicketStatus.void}
    with pytest.raises(DomainError):
        rsvp.confirm()


def test_rsvp_waitlist_then_confirm(make_rsvp):
    rsvp = make_rsvp()
    rsvp.waitlist(NOW)
    assert rsvp.is_waitlisted
    assert rsvp.waitlisted_dt == NOW
    rsvp.confirm()
    assert rsvp.is_confirmed


def test_rsvp_needs_email_or_phone_until_anonymised(make_rsvp):
    with pytest.raises(IntegrityError):
        make_rsvp(email=None, phone=None)
    db.session.rollback()

    rsvp = make_rsvp(phone="+19093614588", access_needs="wheelchair", party_size=2)
    rsvp.anonymise(NOW)
    db.session.flush()
    assert rsvp.is_anonymised
    assert (rsvp.name, rsvp.email, rsvp.phone, rsvp.access_needs) == ("", None, None, "")
    assert rsvp.party_size == 2


def test_ticket_positions_are_unique_per_rsvp(make_rsvp):
    rsvp = make_rsvp()
    db.session.add(Ticket(rsvp=rsvp, event=rsvp.event, position=1, secret="another"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_deleting_an_rsvp_deletes_its_tickets(make_rsvp):
    rsvp = make_rsvp(party_size=2)
    db.session.delete(rsvp)
    db.session.flush()
    assert db.session.scalars(select(Ticket)).all() == []


def test_ticket_check_in_and_undo(make_rsvp):
    rsvp = make_rsvp()
    door = DoorPass(
        event=rsvp.event,
        label="Main entrance",
        token_hash="d" * 64,
        token_salt="s" * 32,
        expires_dt=NOW + timedelta(1),
    )
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


def test_door_pass_validity(make_event):
    door = DoorPass(
        event=make_event(), label="Side door", token_hash="e" * 64, expires_dt=NOW + timedelta(1)
    )
    assert door.is_valid(NOW)
    assert not door.is_valid(NOW + timedelta(days=1))
    door.revoke(NOW)
    assert not door.is_valid(NOW)


def test_tribute_approve_and_reject(model_app):
    organiser = StaffUser(email="org@example.org", name="Org", role=Role.organiser)
    honoree = Honoree(slug="maria", name="María", born_year=1950, died_year=2020)
    tribute = Tribute(honoree=honoree, author_name="Luis", message="Gracias", content_hash="f" * 64)
    db.session.add_all([organiser, tribute])
    db.session.flush()
    assert tribute.status == TributeStatus.pending

    tribute.approve(organiser, NOW)
    db.session.flush()
    assert tribute.is_approved
    assert tribute.moderated_dt == NOW
    assert tribute.moderated_by_id == organiser.id
    assert honoree.years == "1950–2020"

    tribute.reject(organiser, NOW, note="duplicate")
    assert tribute.status == TributeStatus.rejected
    assert tribute.moderation_note == "duplicate"


def test_anonymous_tribute_hides_the_name():
    tribute = Tribute(author_name="Luis", is_anonymous=True, message="…")
    assert tribute.display_name is None


def test_outbox_retry_then_give_up(model_app):
    message = OutboxMessage(
        kind="rsvp_confirmed", to_address="ana@example.org", subject="Hi", body_text="Hi"
    )
    db.session.add(message)
    db.session.flush()
    assert (message.status, message.attempts) == (MailStatus.pending, 0)

    message.mark_failed("timeout", retry_dt=NOW + timedelta(minutes=5))
    assert (message.status, message.attempts) == (MailStatus.pending, 1)
    assert message.next_attempt_dt == NOW + timedelta(minutes=5)
    message.mark_failed("refused", retry_dt=None)
    assert (message.status, message.attempts, message.last_error) == (
        MailStatus.failed,
        2,
        "refused",
    )


def test_member_confirm_clears_the_token(model_app):
    member = Member(name="Ana", email="ana@example.org", confirm_token_hash="a" * 64)
    db.session.add(member)
    db.session.flush()
    assert member.status == MemberStatus.pending
    assert member.help_areas == []
    member.confirm(NOW)
    assert member.is_active
    assert (member.confirmed_dt, member.confirm_token_hash) == (NOW, None)


def test_audit_log_details_round_trip(model_app):
    db.session.add(AuditLog(action="export.attendees", object_type="event", details={"rows": 3}))
    db.session.commit()
    db.session.expire_all()
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.details == {"rows": 3}
    assert entry.actor_label == ""


def test_sqlite_enforces_foreign_keys(tmp_path):
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path}/fk.sqlite")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_state_has_a_translated_title(model_app):
    from flask_babel import force_locale

    from eventsvc.db import TitledEnum

    states = list(all_subclasses(TitledEnum))
    assert len(states) >= 8
    with model_app.test_request_context():
        for state in states:
            for member in state:
                with force_locale("en"):
                    english = member.title
                with force_locale("es"):
                    spanish = member.title
                assert english and spanish and english != spanish, (state, member)
