"""Walk-ins at the door: added with no email or phone, admitted at once, counted, sent once."""

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.auth.models import Role
from eventsvc.checkin.models import CheckIn
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from tests.served import burst


@pytest.fixture
def walk_in(client, door):
    """Return walk_in(token=door["main"] | staff=True, headers=…, **body) -> response."""

    def do(token=None, headers=None, staff=False, **body):
        body.setdefault("client_scan_id", "walk-in-0001")
        door_header = {} if staff else {"X-Door-Token": token or door["main"]}
        return client.post(
            f"/api/v1/events/{door['event_id']}/walkins",
            json=body,
            headers={**door_header, **(headers or {})},
        )

    return do


def walk_ins(app, event_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.added_by_staff).order_by(Rsvp.id)
            )
        )


def test_a_walk_in_party_is_added_without_contact_and_admitted_at_once(app, client, door, walk_in):
    answer = walk_in(party_size=3, first_name="  Aidê   María ", scanned_at="2026-01-01T00:00:00Z")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body == {
        "result": "ok",
        "ok": True,
        "message": "Welcome, Aidê María — walk-in party of 3",
        "scan_id": body["scan_id"],
        "party_size": 3,
        "replay": False,
    }
    with app.app_context():
        [rsvp] = db.session.scalars(select(Rsvp).where(Rsvp.added_by_staff)).all()
        assert (rsvp.name, rsvp.email, rsvp.phone) == ("Aidê María", None, None)
        assert rsvp.status == RsvpStatus.confirmed and rsvp.party_size == 3
        assert all(t.checked_in_dt is not None for t in rsvp.tickets)
        assert {t.checked_in_door_id for t in rsvp.tickets} == {door["main_id"]}
        scans = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [(s.result, s.door_pass_id, s.staff_id) for s in scans] == [
            ("ok", door["main_id"], None)
        ] * 3
        assert scans[0].id == body["scan_id"]
        assert {s.ticket_id for s in scans} == {t.id for t in rsvp.tickets}
        # The log keeps keyed digests of the walk-in's id, never the text the phone sent.
        assert all(len(s.client_scan_id) == 64 for s in scans)
        assert "walk-in-0001" not in str([s.client_scan_id for s in scans])
        audit = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        actions = {e.action: e for e in audit}
        assert set(actions) >= {"door_pass.create", "rsvp.create", "checkin.walkin"}
        walked = actions["checkin.walkin"]
        assert (walked.actor_id, walked.actor_label) == (None, "door link")
        assert walked.object_id == str(rsvp.id)
        assert walked.details == {
            "event_id": door["event_id"],
            "party_size": 3,
            "door_pass_id": door["main_id"],
            "door": "Main entrance",
        }
        assert "Aidê" not in str([e.details for e in audit])  # no names in the audit log
    stats = client.get(
        f"/api/v1/events/{door['event_id']}/stats", headers={"X-Door-Token": door["main"]}
    ).get_json()
    assert stats == {"checked_in": 3, "confirmed": 6}  # counted with the RSVPs' people


def test_a_walk_in_without_a_name_is_added_as_walk_in_in_the_volunteers_language(
    app, door, walk_in
):
    one = walk_in(party_size=1, first_name="   ").get_json()
    assert one["message"] == "Walk-in: 1 person admitted"
    two = walk_in(party_size=2, client_scan_id="walk-in-0002", headers={"Accept-Language": "es"})
    assert two.get_json()["message"] == "Sin registro: 2 personas admitidas"
    assert [r.name for r in walk_ins(app, door["event_id"])] == ["Walk-in", "Sin registro"]


def test_a_walk_in_sent_again_is_the_same_walk_in(app, door, walk_in):
    first = walk_in(party_size=2, first_name="Rosa").get_json()
    again = walk_in(party_size=2, first_name="Rosa").get_json()
    assert again["replay"] is True and first["replay"] is False
    assert again["scan_id"] == first["scan_id"] and again["party_size"] == 2
    assert again["message"] == first["message"]
    assert len(walk_ins(app, door["event_id"])) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 2


def test_a_walk_in_id_is_not_a_ticket_scan_id(app, door, scan, walk_in):
    """A check-in and a walk-in with the same client id are two things, each done once."""
    assert scan(code=door["codes"][0], client_scan_id="same-id-0001").get_json()["ok"]
    assert walk_in(party_size=1, client_scan_id="same-id-0001").get_json()["replay"] is False


def test_a_volunteer_logged_in_admits_a_walk_in_as_themselves(
    app, client, create_staff_user, door, walk_in
):
    user = create_staff_user(role=Role.volunteer)
    client.post("/login", data={"email": user["email"], "password": user["password"]})
    answer = walk_in(party_size=1, staff=True)
    assert answer.status_code == 200, answer.get_json()
    with app.app_context():
        [scanned] = db.session.scalars(select(CheckIn)).all()
        assert (scanned.staff_id, scanned.door_pass_id) == (user["id"], None)
        walked = db.session.scalar(select(AuditLog).where(AuditLog.action == "checkin.walkin"))
        assert walked.actor_id == user["id"] and walked.details["door_pass_id"] is None


def test_a_full_event_says_so_and_adds_nobody(app, door, walk_in):
    with app.app_context():
        db.session.get(Event, door["event_id"]).capacity = 5  # 3 seats taken
        db.session.commit()
    too_many = walk_in(party_size=3)
    assert too_many.status_code == 409
    assert too_many.get_json() == {
        "error": "full",
        "message": "Only 2 seats are left: a party of 3 does not fit.",
    }
    assert walk_in(party_size=2, client_scan_id="walk-in-0002").status_code == 200
    full = walk_in(party_size=1, client_scan_id="walk-in-0003")
    assert full.status_code == 409
    assert full.get_json()["message"] == "The event is full: no seat is left for walk-ins."
    assert [r.party_size for r in walk_ins(app, door["event_id"])] == [2]


def test_people_waiting_for_seats_go_first(app, door, walk_in):
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        event.capacity = 4
        waiting = RsvpData("Beto Ruiz", "beto@example.org", None, "es", 2)
        assert submit_rsvp(event, waiting).rsvp.is_waitlisted  # 3 taken, 1 free
        db.session.commit()
    assert walk_in(party_size=1).status_code == 409


def test_a_walk_in_needs_an_open_event(app, door, walk_in):
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        event.start_dt, event.end_dt = (
            utc_now() - timedelta(hours=4),
            utc_now() - timedelta(hours=1),
        )
        db.session.commit()
    answer = walk_in(party_size=1)  # the door link works 6 hours after the end: the event does not
    assert answer.status_code == 400 and answer.get_json()["error"] == "closed"


def test_a_door_link_shared_days_ahead_cannot_fill_the_seats_before_the_doors_open(
    app, door, walk_in
):
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        event.start_dt += timedelta(days=3)
        event.end_dt += timedelta(days=3)
        db.session.commit()
    answer = walk_in(party_size=2, headers={"Accept-Language": "es"})
    assert answer.status_code == 400 and answer.get_json()["error"] == "closed"
    assert answer.get_json()["message"].startswith("Quienes llegan sin registro")
    assert walk_ins(app, door["event_id"]) == []


def test_a_party_larger_than_the_event_allows_is_refused(door, walk_in):
    answer = walk_in(party_size=6)  # guest_limit=4
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "party_too_large",
        "message": "A party can have from 1 to 5 people.",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"party_size": 1, "client_scan_id": None}, "client_scan_id must be 8 to 64"),
        ({"party_size": 0}, "party_size must be a whole number from 1 to 20."),
        ({"party_size": 21}, "party_size must be a whole number from 1 to 20."),
        ({"party_size": 2.0}, "party_size must be a whole number from 1 to 20."),
        ({"party_size": True}, "party_size must be a whole number from 1 to 20."),
        ({"party_size": 1, "first_name": "x" * 61}, "first_name must be a name of at most 60"),
        ({"party_size": 1, "first_name": "Ana\u0000"}, "first_name must be a name of at most 60"),
        ({"party_size": 1, "first_name": "Ana\nB"}, "first_name must be a name of at most 60"),
        ({"party_size": 1, "first_name": "\ud800"}, "first_name must be a name of at most 60"),
        ({"party_size": 1, "scanned_at": "yesterday"}, "scanned_at must be an ISO 8601 time"),
        ({"party_size": 1, "sent_at": 5}, "sent_at must be an ISO 8601 time"),
    ],
)
def test_each_broken_rule_is_told(app, door, walk_in, body, message):
    answer = walk_in(**body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "bad_request"
    assert answer.get_json()["message"].startswith(message), answer.get_json()
    assert walk_ins(app, door["event_id"]) == []


def test_a_body_that_is_not_an_object_or_lacks_fields(client, door):
    url = f"/api/v1/events/{door['event_id']}/walkins"
    headers = {"X-Door-Token": door["main"]}
    for body, message in (
        ([1], "Send a JSON object."),
        ({}, "Send a party_size and a client_scan_id."),
        ({"party_size": 1}, "Send a party_size and a client_scan_id."),
    ):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code == 400 and answer.get_json()["message"] == message


def test_a_door_link_of_another_event_adds_nobody(app, door, walk_in):
    answer = walk_in(party_size=1, token=door["elsewhere"])
    assert answer.status_code == 403 and answer.get_json()["error"] == "wrong_door"
    assert walk_ins(app, door["event_id"]) == []


def test_the_walk_in_rules_are_read_from_the_document(app, door, walk_in, monkeypatch):
    from eventsvc.checkin import api_schema
    from eventsvc.checkin.openapi import OPENAPI

    fields = OPENAPI["components"]["schemas"]["WalkInRequest"]["properties"]
    api_schema._schema.cache_clear()
    try:
        monkeypatch.setitem(fields["party_size"], "maximum", 2)
        monkeypatch.setitem(fields["first_name"], "maxLength", 3)
        assert walk_in(party_size=3).get_json()["message"].startswith("party_size must be")
        assert walk_in(party_size=1, first_name="Rosa").get_json()["error"] == "bad_request"
        assert walk_in(party_size=2, first_name="Ana").status_code == 200
    finally:
        monkeypatch.undo()
        api_schema._schema.cache_clear()


# --- many phones at once (a served app, 16 client threads) --------------------------------------


def _walk_in_request(served, door, **body):
    return (
        f"{served}/api/v1/events/{door['event_id']}/walkins",
        None,
        {"json_body": body, "headers": {"X-Door-Token": door["main"]}},
    )


def test_retries_of_one_walk_in_from_many_threads_add_one_party(app, served, door):
    request = _walk_in_request(served, door, party_size=2, client_scan_id=str(uuid.uuid4()))
    answers = [json.loads(body) for _, body in burst([request] * 16)]
    assert {a["result"] for a in answers} == {"ok"}
    assert sum(not a["replay"] for a in answers) == 1
    assert len({a["scan_id"] for a in answers}) == 1
    assert [r.party_size for r in walk_ins(app, door["event_id"])] == [2]


def test_walk_ins_at_many_doors_never_overfill_the_event(app, served, door):
    with app.app_context():
        db.session.get(Event, door["event_id"]).capacity = 10  # 3 taken: 7 free
        db.session.commit()
    requests = [
        _walk_in_request(served, door, party_size=2, client_scan_id=str(uuid.uuid4()))
        for _ in range(16)
    ]
    results = burst(requests)
    assert sorted({status for status, _ in results}) == [200, 409], results[:3]
    assert sum(status == 200 for status, _ in results) == 3  # 3 parties of 2 fit in 7 seats
    with app.app_context():
        seats = db.session.scalar(
            select(func.sum(Rsvp.party_size)).where(
                Rsvp.event_id == door["event_id"], Rsvp.status == RsvpStatus.confirmed
            )
        )
    assert seats == 9
