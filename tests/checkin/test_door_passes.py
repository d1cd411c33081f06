"""Door links: made by organisers (back office or CLI), shown again as link and QR, revocable."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.checkin.doors import door_pass_token
from eventsvc.checkin.models import DoorPass
from eventsvc.core.models import AuditLog
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.security import token_hash


@pytest.fixture
def event_id(make_event):
    return make_event()


def login(auth, create_staff_user, role):
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    return user


def test_anonymous_is_sent_to_login(client, event_id):
    response = client.get(f"/admin/events/{event_id}/doors")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_volunteers_cannot_make_door_links(client, auth, create_staff_user, event_id):
    login(auth, create_staff_user, Role.volunteer)
    assert client.get(f"/admin/events/{event_id}/doors").status_code == 403
    assert client.post(f"/admin/events/{event_id}/doors", data={"label": "X"}).status_code == 403
    assert client.get("/admin/").status_code == 200  # but they see their start page


def test_organiser_makes_shows_and_revokes_a_door_link(
    app, client, auth, create_staff_user, event_id
):
    login(auth, create_staff_user, Role.organiser)
    response = client.post(f"/admin/events/{event_id}/doors", data={"label": "  Side   door "})
    assert response.status_code == 303
    page = client.get(f"/admin/events/{event_id}/doors").get_data(as_text=True)
    [link] = re.findall(r'href="(http://127\.0\.0\.1:5000/door/[^"]+)"', page)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        door = db.session.scalar(select(DoorPass))
        assert door.label == "Side door"
        assert door.token_hash == token_hash(token) and token not in door.token_hash
        event = db.session.get(Event, event_id)
        assert door.expires_dt == event.end_dt + timedelta(hours=6)
        door_id = door.id
    qr = client.get(f"/admin/events/{event_id}/doors/{door_id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert client.get(f"/door/{token}").status_code == 200
    assert client.post(f"/admin/events/{event_id}/doors/{door_id}/revoke").status_code == 303
    assert client.get(f"/door/{token}").status_code == 403
    with app.app_context():
        entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert [(e.action, e.object_id, e.details["event_id"]) for e in entries] == [
            ("door_pass.create", str(door_id), event_id),
            ("door_pass.revoke", str(door_id), event_id),
        ]
        assert all(e.actor_id is not None for e in entries)


def test_door_link_of_one_event_is_not_reachable_through_another(
    client, auth, create_staff_user, make_event, event_id
):
    login(auth, create_staff_user, Role.organiser)
    client.post(f"/admin/events/{event_id}/doors", data={"label": "Main"})
    other = make_event()
    assert client.get(f"/admin/events/{other}/doors/1/qr.svg").status_code == 404
    assert client.post(f"/admin/events/{other}/doors/1/revoke").status_code == 404


def test_empty_label_is_refused(client, auth, create_staff_user, event_id):
    login(auth, create_staff_user, Role.organiser)
    response = client.post(f"/admin/events/{event_id}/doors", data={"label": "   "})
    assert response.status_code == 400
    assert "Give the door a name." in response.get_data(as_text=True)


def test_door_pass_command_prints_a_working_link(app, runner, client, event_id):
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    result = runner.invoke(args=["eventsvc", "door-pass", slug, "Main entrance"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    token = link.rsplit("/door/", 1)[1]
    assert client.get(f"/door/{token}").status_code == 200
    with app.app_context():
        assert door_pass_token(db.session.scalar(select(DoorPass))) == token
    assert runner.invoke(args=["eventsvc", "door-pass", "nope", "X"]).exit_code != 0


def test_staff_scanner_needs_login(client, auth, create_staff_user, event_id):
    assert client.get(f"/door/event/{event_id}").status_code == 302
    login(auth, create_staff_user, Role.volunteer)
    assert client.get(f"/door/event/{event_id}").status_code == 200
