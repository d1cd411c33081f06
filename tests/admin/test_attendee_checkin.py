"""The back office's manual check-in of attendees, and its undo."""

from sqlalchemy import select

from eventsvc.checkin.doors import Door, create_door_pass
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.services import check_in
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp
from tests.admin.attendee_pages import audit, base, get_rsvp

# --- manual check-in and undo -----------------------------------------------------------------


def test_check_in_part_of_a_party_then_undo_one(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "José Ñúñez", party_size=3)
    response = client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "2"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in: 2 people." in page
    assert "1 person of this party is not in yet." in page
    rsvp = get_rsvp(app, rsvp_id)
    assert [t.is_checked_in for t in rsvp.tickets] == [True, True, False]
    assert {t.checked_in_by_staff_id for t in rsvp.tickets[:2]} == {organiser["id"]}
    with app.app_context():
        scans = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [(s.result, s.staff_id, s.ticket_id) for s in scans] == [
            ("ok", organiser["id"], rsvp.tickets[0].id),
            ("ok", organiser["id"], rsvp.tickets[1].id),
        ]
        second_scan = scans[1].id
    # The page offers to undo each admission and shows the scan history.
    assert f'name="scan_id" value="{second_scan}"' in page
    assert "Scan history" in page and "Admitted" in page

    response = client.post(f"{base(event_id)}/{rsvp_id}/undo", data={"scan_id": second_scan})
    assert response.status_code == 303
    rsvp = get_rsvp(app, rsvp_id)
    assert [t.is_checked_in for t in rsvp.tickets] == [True, False, False]
    with app.app_context():
        assert db.session.get(CheckIn, second_scan).is_undone
    # Undoing it again, or checking in more people than are out, is refused.
    response = client.post(f"{base(event_id)}/{rsvp_id}/undo", data={"scan_id": second_scan})
    assert response.status_code == 400
    assert "cannot be undone" in response.get_data(as_text=True)
    response = client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "3"})
    assert response.status_code == 400
    assert "Choose from 1 to 2 people to check in." in response.get_data(as_text=True)
    assert [e.details for e in audit(app, "checkin.manual")] == [
        {"event_id": event_id, "asked": 2, "admitted": 2}
    ]
    [undo] = audit(app, "checkin.undo")
    assert undo.details["scan_id"] == second_scan and undo.actor_id == organiser["id"]


def test_a_scan_of_another_party_cannot_be_undone_through_this_one(
    app, client, organiser, event_id, add
):
    ana = add(event_id, "Ana")
    luis = add(event_id, "Luis")
    client.post(f"{base(event_id)}/{luis}/checkin", data={"count": "1"})
    with app.app_context():
        scan_id = db.session.scalar(select(CheckIn.id))
    response = client.post(f"{base(event_id)}/{ana}/undo", data={"scan_id": scan_id})
    assert response.status_code == 400
    assert get_rsvp(app, luis).tickets[0].is_checked_in


def test_a_waiting_party_cannot_be_checked_in(app, client, organiser, make_event, add):
    event_id = make_event(capacity=1, guest_limit=3)
    add(event_id, "Ana")
    waiting = add(event_id, "Luis")
    response = client.post(f"{base(event_id)}/{waiting}/checkin", data={"count": "1"})
    assert response.status_code == 400
    assert "Only a confirmed party can be checked in." in response.get_data(as_text=True)


def test_the_attendee_page_shows_tickets_with_door_and_time(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "Ana", party_size=2)
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        door = create_door_pass(rsvp.event, "Side door")
        check_in(Door(event=rsvp.event, door_pass=door), ticket_id=rsvp.tickets[0].id)
        db.session.commit()
    html = client.get(f"{base(event_id)}/{rsvp_id}").get_data(as_text=True)
    assert "Side door" in html and "Person 1" in html and "Not yet" in html
