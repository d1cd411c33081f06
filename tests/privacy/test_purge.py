"""The retention purge, travelling in time: what goes, what stays, and that it runs once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from eventsvc.auth.models import StaffUser
from eventsvc.checkin.doors import create_door_pass, door_pass_token
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.membership.models import Member, MemberKind, MemberStatus
from eventsvc.membership.services import MemberData, confirm_member, join
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.memorial.services import (
    TributeData,
    photo_file,
    reject_tribute,
    submit_tribute,
)
from eventsvc.privacy.services import purge_personal_data
from eventsvc.rsvps.links import manage_token
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code
from tests.memorial.conftest import png_bytes

PERSONAL = ("Ana López", "ana@example.org", "+19095550101", "wheelchair", "Mixteco")


def _rsvp(event, name, email, phone=None, party_size=1, **extra):
    return submit_rsvp(
        event,
        RsvpData(
            name=name,
            email=email,
            phone=phone,
            language="es",
            party_size=party_size,
            **extra,
        ),
    ).rsvp


@pytest.fixture
def world(app, make_event, create_staff_user, client):
    """An event in an hour (full, with a waitlist and a check-in), one in 10 days, sign-ups,
    tributes. Returns ids, the old manage link and the old QR code of the first event."""
    soon_id = make_event(capacity=3, guest_limit=3, starts_in=timedelta(hours=1))
    later_id = make_event(capacity=10, starts_in=timedelta(days=10))
    admin = create_staff_user()
    with app.app_context():
        soon, later = db.session.get(Event, soon_id), db.session.get(Event, later_id)
        ana = _rsvp(
            soon,
            "Ana López",
            "ana@example.org",
            "+19095550101",
            party_size=3,
            access_needs="wheelchair",
            interpretation_request="Mixteco",
            consent_contact=True,
        )
        waiting = _rsvp(soon, "Beto Ruiz", "beto@example.org")
        _rsvp(later, "Carla Díaz", "carla@example.org")
        door = create_door_pass(soon, "Main entrance")
        member_pending = join(
            MemberData(
                kind=MemberKind.individual, name="Dora", email="dora@example.org", phone=None
            )
        ).member
        member_active = join(
            MemberData(kind=MemberKind.individual, name="Eva", email="eva@example.org", phone=None)
        ).member
        confirm_member(member_active)
        honoree = Honoree(slug="h", name="Honoree", summary_en="s", summary_es="s")
        db.session.add(honoree)
        db.session.flush()
        rejected = submit_tribute(
            honoree, TributeData(message="Rejected words", author_name="Fer"), photo=png_bytes()
        ).tribute
        reject_tribute(rejected, actor=db.session.get(StaffUser, admin["id"]))
        db.session.commit()
        world = {
            "soon": soon_id,
            "later": later_id,
            "ana": ana.id,
            "waiting": waiting.id,
            "manage": manage_token(ana),
            "code": ticket_code(ana.tickets[0]),
            "door": door_pass_token(door),
            "door_id": door.id,
            "member_pending": member_pending.id,
            "member_active": member_active.id,
            "tribute": rejected.id,
            "photo": rejected.photo_path,
        }
    answer = client.post(
        f"/api/v1/events/{soon_id}/checkins",
        json={"code": world["code"]},
        headers={"X-Door-Token": world["door"]},
    )
    assert answer.status_code == 200 and answer.get_json()["result"] == "ok"
    return world


def counts(event_id):
    """Return what the purge must keep of an event: seats, waitlist, admissions per door."""
    return {
        "confirmed": db.session.scalar(
            select(func.sum(Rsvp.party_size)).where(
                Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.confirmed
            )
        ),
        "waitlisted": db.session.scalar(
            select(func.count()).where(
                Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.waitlisted
            )
        ),
        "checked_in": db.session.execute(
            select(Ticket.checked_in_door_id, func.count())
            .where(Ticket.event_id == event_id, Ticket.checked_in_dt.is_not(None))
            .group_by(Ticket.checked_in_door_id)
        ).all(),
    }


def personal_rows(event_id):
    """Return every RSVP of the event that still holds any personal data or link."""
    return db.session.scalars(
        select(Rsvp).where(
            Rsvp.event_id == event_id,
            (Rsvp.name != "")
            | Rsvp.email.is_not(None)
            | Rsvp.phone.is_not(None)
            | (Rsvp.access_needs != "")
            | (Rsvp.interpretation_request != "")
            | Rsvp.consent_contact.is_(True),
        )
    ).all()


def test_the_purge_erases_what_is_due_keeps_the_counts_and_runs_once(app, world, runner):
    with app.app_context():
        before = counts(world["soon"])
        old_secrets = set(db.session.scalars(select(Ticket.secret)))
        assert personal_rows(world["soon"]) and personal_rows(world["later"])
        assert db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.rsvp_id.in_([world["ana"], world["waiting"]]))
        )

    # 20 days on: the first event ended 20 days ago (> 14), the second 10 days ago.
    with time_machine.travel(utc_now() + timedelta(days=20), tick=False):
        result = runner.invoke(args=["eventsvc", "purge"])
        assert result.exit_code == 0, result.output
        assert "events 1, rsvps 2, tickets 3, messages 2, members 0, tributes 0" in result.output
        print("purge at +20 days:", result.output.strip())
        again = runner.invoke(args=["eventsvc", "purge"])
        assert "events 0, rsvps 0, tickets 0, messages 0, members 0, tributes 0" in again.output

    with app.app_context():
        assert personal_rows(world["soon"]) == []
        assert personal_rows(world["later"])  # not due yet: untouched
        assert counts(world["soon"]) == before  # 3 seats, 1 waiting, 1 admission at the door
        assert before["checked_in"] == [(world["door_id"], 1)]
        soon = db.session.get(Event, world["soon"])
        assert soon.purged_dt is not None
        rsvps = db.session.scalars(select(Rsvp).where(Rsvp.event_id == world["soon"])).all()
        assert all(r.is_anonymised and r.submission_key is None for r in rsvps)
        assert (
            not set(
                db.session.scalars(select(Ticket.secret).where(Ticket.event_id == world["soon"]))
            )
            & old_secrets
        )
        assert not db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.rsvp_id.in_([world["ana"], world["waiting"]]))
        )
        audits = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "privacy.purge").order_by(AuditLog.id)
        ).all()
        assert [a.details["rsvps"] for a in audits] == [2, 0]  # one row per run
        dumped = json.dumps([a.details for a in audits])
        assert not any(value in dumped for value in PERSONAL)

    # 45 days on: the second event is due too, and so are the unconfirmed sign-up and the
    # tribute rejected on the first day.
    with time_machine.travel(utc_now() + timedelta(days=45), tick=False), app.app_context():
        report = purge_personal_data()
        db.session.commit()
        assert (report.events, report.rsvps, report.members, report.tributes) == (1, 1, 1, 1)
        assert personal_rows(world["later"]) == []
        assert db.session.get(Member, world["member_pending"]) is None
        active = db.session.get(Member, world["member_active"])
        assert active.status == MemberStatus.active and active.email == "eva@example.org"
        assert db.session.get(Tribute, world["tribute"]) is None
        assert photo_file(world["photo"]) is None or not photo_file(world["photo"]).exists()


def test_after_the_purge_old_links_and_tickets_name_nobody(app, world, client):
    with time_machine.travel(utc_now() + timedelta(days=20), tick=False):
        with app.app_context():
            purge_personal_data()
            db.session.commit()
        page = client.get(f"/rsvp/{world['manage']}")
        assert page.status_code == 404
        assert "Ana" not in page.get_data(as_text=True)
        for suffix in ("/qr.svg", "/calendar.ics", "/data.json"):
            assert client.get(f"/rsvp/{world['manage']}{suffix}").status_code == 404
    # The door link of that event has expired by now, so the verdict is asked for at a time
    # when it still opened; the code's event was purged all the same.
    with app.app_context():
        door = create_door_pass(db.session.get(Event, world["soon"]), "Late door")
        door.expires_dt = utc_now() + timedelta(days=1)
        db.session.commit()
        token = door_pass_token(door)
    answer = client.post(
        f"/api/v1/events/{world['soon']}/checkins",
        json={"code": world["code"]},
        headers={"X-Door-Token": token},
    )
    print(answer.status_code, answer.get_json())
    assert answer.status_code == 200
    assert answer.get_json()["result"] == "expired"
    assert "Ana" not in answer.get_data(as_text=True)


def test_an_event_inside_the_window_and_a_rejection_too_recent_are_kept(app, world):
    with time_machine.travel(utc_now() + timedelta(days=5), tick=False), app.app_context():
        report = purge_personal_data()
        db.session.commit()
        assert (report.events, report.rsvps, report.members, report.tributes) == (0, 0, 0, 0)
        assert personal_rows(world["soon"])
        assert db.session.get(Member, world["member_pending"]) is not None
        assert db.session.get(Tribute, world["tribute"]).status == TributeStatus.rejected
