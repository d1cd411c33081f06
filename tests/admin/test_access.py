"""Who may open what in the back office: one matrix over every route, role and method.

ACCESS names the least role of every back-office route (and the staff routes outside /admin).
A route without a line here fails `test_every_back_office_route_has_a_rule`, so a new page
cannot ship without a decision. Each route is then called with every method it answers, as
anonymous, volunteer, organiser and admin: anonymous visitors are sent to the login page (or get
401 from JSON), staff below the route's role get 403, and staff at or above it get through
(any answer but 401/403 and 5xx). Object-level checks at the end: no URL reaches one event's
door link or attendee through another event.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventsvc.auth.models import Role
from eventsvc.extensions import db

VOL, ORG, ADM = Role.volunteer, Role.organiser, Role.admin

#: The least role of each route, by its rule (every method of the route).
ACCESS = {
    "/admin/": VOL,
    "/admin/events": ORG,
    "/admin/events/new": ORG,
    "/admin/events/<int:event_id>": ORG,
    "/admin/events/<int:event_id>/edit": ORG,
    "/admin/events/<int:event_id>/duplicate": ORG,
    "/admin/events/<int:event_id>/publish": ORG,
    "/admin/events/<int:event_id>/cancel": ORG,
    "/admin/events/<int:event_id>/live.json": ORG,
    "/admin/events/<int:event_id>/attendees": ORG,
    "/admin/events/<int:event_id>/attendees/new": ORG,
    "/admin/events/<int:event_id>/attendees/print": ORG,
    "/admin/events/<int:event_id>/attendees.csv": ORG,
    "/admin/events/<int:event_id>/checkins.csv": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>/cancel": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>/checkin": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>/promote": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>/resend": ORG,
    "/admin/events/<int:event_id>/attendees/<int:rsvp_id>/undo": ORG,
    "/admin/events/<int:event_id>/doors": ORG,
    "/admin/events/<int:event_id>/doors/<int:door_id>/qr.svg": ORG,
    "/admin/events/<int:event_id>/doors/<int:door_id>/revoke": ORG,
    "/admin/events/<int:event_id>/messages": ORG,
    "/admin/outbox": ORG,
    "/admin/outbox/<int:message_id>/retry": ORG,
    "/admin/outbox/<int:message_id>/discard": ORG,
    "/admin/outbox/<int:message_id>/correct": ORG,
    "/admin/members": ORG,
    "/admin/members/export.csv": ORG,
    "/admin/members/<int:member_id>/status/<status>": ORG,
    "/admin/organisations": ORG,
    "/admin/organisations/new": ORG,
    "/admin/organisations/<int:organisation_id>": ORG,
    "/admin/organisations/<int:organisation_id>/delete": ORG,
    "/admin/milestones": ORG,
    "/admin/milestones/new": ORG,
    "/admin/milestones/<int:milestone_id>": ORG,
    "/admin/milestones/<int:milestone_id>/delete": ORG,
    "/admin/memorial/": ORG,
    "/admin/memorial/honorees": ORG,
    "/admin/memorial/honorees/new": ORG,
    "/admin/memorial/honorees/<int:honoree_id>/edit": ORG,
    "/admin/memorial/honorees/<int:honoree_id>/move/<direction>": ORG,
    "/admin/memorial/honorees/<int:honoree_id>/visibility": ORG,
    "/admin/memorial/tributes/<int:tribute_id>/approve": ORG,
    "/admin/memorial/tributes/<int:tribute_id>/edit": ORG,
    "/admin/memorial/tributes/<int:tribute_id>/photo": ORG,
    "/admin/memorial/tributes/<int:tribute_id>/reject": ORG,
    "/admin/staff": ADM,
    "/admin/staff/invite": ADM,
    "/admin/staff/<int:staff_id>": ADM,
    "/admin/audit": ADM,
    # Staff pages outside /admin.
    "/door/event/<int:event_id>": VOL,
}

#: Routes outside /admin that ACCESS covers.
STAFF_ROUTES_OUTSIDE_ADMIN = {"/door/event/<int:event_id>"}

ROLES = [None, VOL, ORG, ADM]


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_back_office_route_has_a_rule(app):
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/admin")}
    assert routes | STAFF_ROUTES_OUTSIDE_ADMIN == set(ACCESS), (
        "routes without an access rule: "
        f"{sorted(routes - set(ACCESS))}; rules without a route: "
        f"{sorted(set(ACCESS) - routes - STAFF_ROUTES_OUTSIDE_ADMIN)}"
    )


@pytest.fixture
def world(app, make_event, create_staff_user):
    """Two events with an attendee and a door link each, and one of everything else."""
    from eventsvc.checkin.doors import create_door_pass
    from eventsvc.events.models import Event
    from eventsvc.mail.services import queue_mail
    from eventsvc.membership.models import Member, MemberKind, MemberOrganisation, Milestone
    from eventsvc.memorial.models import Honoree, Tribute
    from eventsvc.rsvps.services import RsvpData, submit_rsvp
    from eventsvc.seed import seed_honorees, seed_milestones

    ids = {}
    for key in ("a", "b"):
        event_id = make_event(starts_in=timedelta(hours=1))
        with app.app_context():
            event = db.session.get(Event, event_id)
            outcome = submit_rsvp(
                event,
                RsvpData(
                    name=f"Guest {key}",
                    email=f"guest-{key}@example.org",
                    phone=None,
                    language="en",
                    party_size=2,
                ),
            )
            door = create_door_pass(event, f"Door {key}")
            db.session.commit()
            ids[key] = {"event_id": event_id, "rsvp_id": outcome.rsvp.id, "door_id": door.id}
    with app.app_context():
        seed_honorees()
        seed_milestones()
        honoree = db.session.scalar(db.select(Honoree))
        tribute = Tribute(
            honoree_id=honoree.id, author_name="Ana", message="Gracias.", content_hash="0" * 64
        )
        member = Member(kind=MemberKind.individual, name="Rosa", email="rosa@example.org")
        organisation = MemberOrganisation(slug="partner", name="Inland Coalition Partner")
        message = queue_mail(to="x@example.org", subject="Hi", body_text="Hi", kind="test")
        db.session.add_all([tribute, member, organisation])
        db.session.commit()
        objects = {
            "honoree_id": honoree.id,
            "tribute_id": tribute.id,
            "member_id": member.id,
            "organisation_id": organisation.id,
            "milestone_id": db.session.scalar(db.select(Milestone.id)),
            "message_id": message.id,
            "staff_id": create_staff_user(role=VOL)["id"],
            "status": "active",
            "direction": "up",
        }
    users = {role: create_staff_user(role=role) for role in (VOL, ORG, ADM)}
    return {"a": ids["a"], "b": ids["b"], "objects": objects, "users": users}


def _url(app, rule, world) -> str:
    values = {**world["objects"], **world["a"]}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(
            rule.endpoint, {k: values[k] for k in rule.arguments}, force_external=False
        )


def _rule(app, path: str):
    return next(r for r in app.url_map.iter_rules() if r.rule == path)


@pytest.mark.parametrize("path", sorted(ACCESS))
def test_access_matrix(app, world, path):
    rule = _rule(app, path)
    url = _url(app, rule, world)
    least = ACCESS[path]
    for role in ROLES:  # lowest first: refused calls must not change what the next role sees
        client = app.test_client()
        if role is not None:
            user = world["users"][role]
            client.post("/login", data={"email": user["email"], "password": user["password"]})
        for method in _methods(rule):
            response = client.open(url, method=method)
            where = f"{method} {url} as {role.value if role else 'anonymous'}"
            if role is None:
                assert response.status_code in (302, 401), where
                if response.status_code == 302:
                    assert "/login" in response.headers["Location"], where
            elif role.rank < least.rank:
                assert response.status_code == 403, where
            else:
                assert response.status_code not in (401, 403), where
                assert response.status_code < 500, where
                if response.status_code == 302:
                    assert "/login" not in response.headers["Location"], where


def test_deactivated_staff_lose_access_at_once(app, world, client):
    from eventsvc.auth.models import StaffUser

    user = world["users"][ADM]
    client.post("/login", data={"email": user["email"], "password": user["password"]})
    assert client.get("/admin/staff").status_code == 200
    with app.app_context():
        db.session.get(StaffUser, user["id"]).is_active = False
        db.session.commit()
    response = client.get("/admin/staff")
    assert response.status_code in (302, 403)


# --- object-level checks: one event's door link or attendee never reached through another ------


OTHER_EVENT_URLS = [
    "/admin/events/{b}/doors/{door_a}/qr.svg",
    "/admin/events/{b}/attendees/{rsvp_a}",
]
OTHER_EVENT_POSTS = [
    "/admin/events/{b}/doors/{door_a}/revoke",
    "/admin/events/{b}/attendees/{rsvp_a}/cancel",
    "/admin/events/{b}/attendees/{rsvp_a}/checkin",
    "/admin/events/{b}/attendees/{rsvp_a}/promote",
    "/admin/events/{b}/attendees/{rsvp_a}/resend",
    "/admin/events/{b}/attendees/{rsvp_a}/undo",
]


@pytest.mark.parametrize(
    ("method", "template"),
    [("GET", u) for u in OTHER_EVENT_URLS] + [("POST", u) for u in OTHER_EVENT_POSTS],
)
def test_another_events_object_is_not_found_and_unchanged(app, world, method, template):
    from eventsvc.checkin.models import DoorPass
    from eventsvc.rsvps.models import Rsvp, Ticket

    def state():
        with app.app_context():
            rsvp = db.session.get(Rsvp, world["a"]["rsvp_id"])
            door = db.session.get(DoorPass, world["a"]["door_id"])
            tickets = db.session.scalars(db.select(Ticket).where(Ticket.rsvp_id == rsvp.id))
            return (
                rsvp.status,
                door.revoked_dt,
                [(t.status, t.checked_in_dt) for t in tickets],
                db.session.scalar(db.select(db.func.count()).select_from(Rsvp)),
            )

    user = world["users"][ADM]
    client = app.test_client()
    client.post("/login", data={"email": user["email"], "password": user["password"]})
    before = state()
    url = template.format(
        b=world["b"]["event_id"], door_a=world["a"]["door_id"], rsvp_a=world["a"]["rsvp_id"]
    )
    assert client.open(url, method=method).status_code == 404
    assert state() == before


def test_a_door_link_opens_only_its_own_event(app, world, client):
    from eventsvc.checkin.doors import door_pass_token
    from eventsvc.checkin.models import DoorPass

    with app.app_context():
        token = door_pass_token(db.session.get(DoorPass, world["a"]["door_id"]))
    headers = {"X-Door-Token": token}
    other = world["b"]["event_id"]
    assert client.get(f"/api/v1/events/{other}/stats", headers=headers).status_code in (403, 404)
    assert client.get(f"/api/v1/events/{other}/search?q=Guest", headers=headers).status_code in (
        403,
        404,
    )
    # A door link is not a back-office login.
    assert client.get("/admin/", headers=headers).status_code == 302
