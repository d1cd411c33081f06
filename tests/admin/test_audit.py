"""The audit log: search by text, actor, action, object and dates; newest first; admins only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.core.audit import record_audit
from eventsvc.core.models import AuditLog
from eventsvc.extensions import db


@pytest.fixture
def admin(client, auth, create_staff_user):
    user = create_staff_user(role=Role.admin, name="Ada Admin", email="ada@example.org")
    assert auth.login(user["email"], user["password"]).status_code == 303
    return user


@pytest.fixture
def entries(app, admin, create_staff_user):
    """Four entries by two people and the CLI, at known times (UTC)."""
    olga = create_staff_user(role=Role.organiser, name="Olga Ortiz")
    with app.app_context():
        ada = db.session.get(StaffUser, admin["id"])
        ortiz = db.session.get(StaffUser, olga["id"])
        rows = [
            ("event.update", ada, "", "event", 7, {"fields": ["title_en"]}, "2026-02-10T18:00"),
            ("export.attendees", ortiz, "", "event", 7, {"rows": 42}, "2026-03-01T07:30"),
            ("tribute.approve", ortiz, "", "tribute", 3, {}, "2026-03-01T09:00"),
            ("rsvp.purge", None, "cli", "event", 9, {"rsvps": 5}, "2026-03-20T12:00"),
        ]
        for action, actor, label, otype, oid, details, when in rows:
            entry = record_audit(
                action,
                actor=actor,
                actor_label=label,
                object_type=otype,
                object_id=oid,
                details=details,
            )
            entry.created_dt = datetime.fromisoformat(when).replace(tzinfo=UTC)
        db.session.commit()
    return {"olga": olga["id"], "ada": admin["id"]}


def actions(client, query: str = "") -> list[str]:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    known = ["event.update", "export.attendees", "tribute.approve", "rsvp.purge"]
    found = [(text.index(f"<code>{a}</code>"), a) for a in known if f"<code>{a}</code>" in text]
    return [a for _i, a in sorted(found)]


def test_newest_first_with_who_when_what_details(client, entries):
    assert actions(client) == ["rsvp.purge", "tribute.approve", "export.attendees", "event.update"]
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Olga Ortiz" in page and "cli" in page
    assert "event #7" in page
    assert "<dt>rows</dt><dd>42</dd>" in page
    assert "4 entries found." in page
    # Shown in the organisers' zone: 07:30 UTC on March 1 is the evening of February 28.
    assert "Feb 28, 2026, 11:30:00" in page


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("export", ["export.attendees"]),  # the action
        ("TRIBUTE", ["tribute.approve"]),  # any case; the object type too
        ("ortiz", ["tribute.approve", "export.attendees"]),  # the actor's name
        ("ada@example", ["event.update"]),  # the actor's email
        ("cli", ["rsvp.purge"]),  # an actor label
        ("title_en", ["event.update"]),  # the details
        ("100%", []),  # wildcards are literal
    ],
)
def test_free_text_search(client, entries, q, expected):
    assert actions(client, f"?q={q.replace('%', '%25')}") == expected


def test_filter_by_actor_action_and_object(client, entries):
    assert actions(client, f"?actor={entries['olga']}") == ["tribute.approve", "export.attendees"]
    assert actions(client, "?action=event.update") == ["event.update"]
    assert actions(client, "?object_type=event") == [
        "rsvp.purge",
        "export.attendees",
        "event.update",
    ]
    assert actions(client, f"?actor={entries['olga']}&object_type=event") == ["export.attendees"]


def test_date_range_is_in_the_organisers_zone(client, entries):
    # 2026-03-01T07:30Z is still February 28 in Los Angeles.
    assert actions(client, "?since=2026-02-28&until=2026-02-28") == ["export.attendees"]
    assert actions(client, "?since=2026-03-01") == ["rsvp.purge", "tribute.approve"]
    assert actions(client, "?until=2026-02-10") == ["event.update"]


def test_a_range_ending_before_it_starts_is_an_error(client, entries):
    response = client.get("/admin/audit?since=2026-03-02&until=2026-03-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_pages_of_fifty(app, client, admin):
    with app.app_context():
        for n in range(60):
            record_audit("test.entry", object_type="thing", object_id=n)
        db.session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in first and "thing #59" in first and "thing #5<" not in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "thing #5<" in second and "thing #59" not in second


@pytest.mark.parametrize("role", [Role.organiser, Role.volunteer])
def test_the_audit_log_is_for_admins_only(client, auth, create_staff_user, role):
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    assert client.get("/admin/audit").status_code == 302


def test_staff_changes_appear_in_the_log(app, client, admin, create_staff_user):
    olga = create_staff_user(role=Role.organiser, name="Olga Ortiz")
    client.post(f"/admin/staff/{olga['id']}", data={"action": "role", "role": "volunteer"})
    page = client.get("/admin/audit?action=staff.role").get_data(as_text=True)
    assert "<code>staff.role</code>" in page
    assert f"staff #{olga['id']}" in page
    assert "Ada Admin" in page
    assert "<dt>to</dt><dd>volunteer</dd>" in page


# --- refused exports are audited like allowed ones --------------------------------------------


EXPORT_URLS = {
    "attendees": "/admin/events/{event}/attendees.csv",
    "checkins": "/admin/events/{event}/checkins.csv",
    "members": "/admin/members/export.csv",
}


def refusals(app) -> list[AuditLog]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditLog).where(AuditLog.action == "export.refused").order_by(AuditLog.id)
            )
        )


@pytest.mark.parametrize("kind", sorted(EXPORT_URLS))
def test_a_volunteer_refused_an_export_is_audited(
    app, client, auth, create_staff_user, make_event, kind
):
    event = make_event()
    volunteer = create_staff_user(role=Role.volunteer, name="Val Volunteer")
    auth.login(volunteer["email"], volunteer["password"])
    url = EXPORT_URLS[kind].format(event=event)
    response = client.post(url, data={"q": "Ana Secret", "show": "all"})
    assert response.status_code == 403
    assert "text/csv" not in response.headers["Content-Type"]
    [entry] = refusals(app)
    assert entry.actor_id == volunteer["id"]
    assert entry.details == {
        "export": kind,
        "event_id": None if kind == "members" else event,
        "reason": "forbidden",
        "role": "volunteer",
    }
    if kind != "members":
        assert (entry.object_type, entry.object_id) == ("event", str(event))
    assert "Ana" not in str(entry.details)  # the search text is never kept


@pytest.mark.parametrize("kind", ["attendees", "checkins"])
def test_an_export_of_an_event_that_does_not_exist_is_audited(
    app, client, auth, create_staff_user, kind
):
    organiser = create_staff_user(role=Role.organiser)
    auth.login(organiser["email"], organiser["password"])
    assert client.post(EXPORT_URLS[kind].format(event=4242)).status_code == 404
    [entry] = refusals(app)
    assert entry.actor_id == organiser["id"]
    assert (entry.object_type, entry.object_id) == ("event", "4242")
    assert entry.details == {
        "export": kind,
        "event_id": 4242,
        "reason": "not_found",
        "role": "organiser",
    }


def test_refused_exports_are_found_in_the_audit_log(app, client, auth, create_staff_user, admin):
    volunteer = create_staff_user(role=Role.volunteer, name="Val Volunteer")
    client.post("/logout")
    auth.login(volunteer["email"], volunteer["password"])
    client.post(EXPORT_URLS["members"])
    client.post("/logout")
    auth.login(admin["email"], admin["password"])
    page = client.get("/admin/audit?q=export").get_data(as_text=True)
    assert "<code>export.refused</code>" in page and "Val Volunteer" in page


def test_an_allowed_export_and_a_visitor_sent_to_login_write_no_refusal(
    app, client, auth, create_staff_user, make_event
):
    event = make_event()
    assert client.post(EXPORT_URLS["attendees"].format(event=event)).status_code in (302, 303)
    organiser = create_staff_user(role=Role.organiser)
    auth.login(organiser["email"], organiser["password"])
    assert client.post(EXPORT_URLS["attendees"].format(event=event)).status_code == 200
    assert refusals(app) == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditLog).where(AuditLog.action == "export.attendees")
            ).actor_id
            == organiser["id"]
        )
