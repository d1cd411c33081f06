"""After the retention purge an old QR code is "expired" at any door, and search finds nobody.

The purge (privacy) sets Event.purged_dt, anonymises the RSVPs and gives every ticket a new
secret; these tests do the same by hand, so they do not depend on the purge's code.
"""

import secrets

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.checkin.doors import Door
from eventsvc.checkin.models import CheckIn, CheckInResult
from eventsvc.checkin.services import check_in
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, Ticket


def purge_by_hand(app, event_id):
    """Do what the purge does to an event's door data: purged_dt, new secrets, no names."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.purged_dt = utc_now()
        for ticket in db.session.scalars(select(Ticket).where(Ticket.event_id == event_id)):
            ticket.secret = secrets.token_hex(6)
        for rsvp in db.session.scalars(select(Rsvp).where(Rsvp.event_id == event_id)):
            rsvp.is_anonymised = True
        db.session.commit()


def log(app):
    with app.app_context():
        return [(c.event_id, c.result, c.ticket_id) for c in db.session.scalars(select(CheckIn))]


def test_old_code_of_a_purged_event_is_expired_at_another_events_door(app, door, scan):
    purge_by_hand(app, door["other_event_id"])
    response = scan(code=door["other_code"])
    body = response.get_json()
    assert response.status_code == 200
    assert body["result"] == "expired" and body["ok"] is False
    assert body["message"] == "This ticket has expired."
    assert body["attendee"] is None and body["ticket_id"] is None
    assert "Otra" not in response.get_data(as_text=True)
    assert log(app) == [(door["event_id"], "expired", None)]


def test_expired_is_said_in_spanish(app, door, scan):
    purge_by_hand(app, door["other_event_id"])
    body = scan(code=door["other_code"], headers={"Accept-Language": "es"}).get_json()
    assert body["message"] == "Este boleto ya venció."


def test_old_code_at_the_purged_events_own_door_is_expired_not_replaced(app, door, scan):
    # The door link still works in this test (in life it expires long before the purge).
    purge_by_hand(app, door["event_id"])
    for code in door["codes"]:
        body = scan(code=code).get_json()
        assert body["result"] == "expired" and body["attendee"] is None
    assert scan(ticket_id=door["tickets"][0]).get_json()["result"] == "expired"
    assert scan(code="garbage").get_json()["result"] == "expired"
    with app.app_context():
        assert db.session.scalars(select(Ticket.checked_in_dt)).all() == [None] * 4
    assert {r for _, r, _ in log(app)} == {"expired"}
    assert {t for _, _, t in log(app)} == {None}


def test_staff_scanning_a_purged_event_get_expired(app, door, create_staff_user):
    purge_by_hand(app, door["event_id"])
    staff = create_staff_user(role=Role.volunteer)
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        at_door = Door(event=event, staff=db.session.get(StaffUser, staff["id"]))
        verdict = check_in(at_door, code=door["codes"][0])
        assert verdict.result == CheckInResult.expired and verdict.name is None
        db.session.rollback()


def test_a_purged_event_has_nobody_to_find(app, client, door):
    purge_by_hand(app, door["event_id"])
    response = client.get(
        f"/api/v1/events/{door['event_id']}/search?q=jose",
        headers={"X-Door-Token": door["main"]},
    )
    assert response.status_code == 200 and response.get_json() == {"results": []}


def test_search_finds_nobody_whose_data_was_deleted(app, client, door):
    with app.app_context():
        db.session.get(Rsvp, door["rsvp_id"]).is_anonymised = True  # name kept in this test
        db.session.commit()
    response = client.get(
        f"/api/v1/events/{door['event_id']}/search?q=jose",
        headers={"X-Door-Token": door["main"]},
    )
    assert response.get_json() == {"results": []}


@pytest.mark.parametrize("purged", [False, True])
def test_another_events_code_is_other_event_until_that_event_is_purged(app, door, scan, purged):
    if purged:
        purge_by_hand(app, door["other_event_id"])
    assert scan(code=door["other_code"]).get_json()["result"] == (
        "expired" if purged else "other_event"
    )


def test_the_back_office_labels_expired_scans(app, client, door, scan, auth, create_staff_user):
    purge_by_hand(app, door["other_event_id"])
    scan(code=door["other_code"])
    user = create_staff_user(role=Role.organiser)
    auth.login(user["email"], user["password"])
    recent = client.get(f"/admin/events/{door['event_id']}/live.json").get_json()["recent"]
    assert [(s["result"], s["name"]) for s in recent] == [("expired", "")]
    assert recent[0]["label"] == "Expired ticket (the event's data was purged)"
