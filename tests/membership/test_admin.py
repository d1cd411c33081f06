"""The back office's membership pages: access, search, CSV export and its audit, status, CRUD."""

import csv
import io

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.core.models import AuditLog
from eventsvc.extensions import db
from eventsvc.membership.models import Member, MemberOrganisation, MemberStatus, Milestone

GETS = [
    "/admin/members",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/milestones",
    "/admin/milestones/new",
]
POSTS = [
    "/admin/members/export.csv",
    "/admin/members/1/status/active",
    "/admin/organisations/1/delete",
    "/admin/milestones/1/delete",
]


@pytest.fixture
def organiser(client, auth, create_staff_user):
    user = create_staff_user(role=Role.organiser)
    auth.login(user["email"], user["password"])
    return user


@pytest.mark.parametrize("path", GETS + POSTS)
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.post(path) if path in POSTS else client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", GETS + POSTS)
def test_volunteers_may_not_see_membership_pages(client, auth, create_staff_user, path):
    user = create_staff_user(role=Role.volunteer)
    auth.login(user["email"], user["password"])
    response = client.post(path) if path in POSTS else client.get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("path", GETS)
@pytest.mark.parametrize("role", [Role.organiser, Role.admin])
def test_organisers_and_admins_see_the_pages(client, auth, create_staff_user, path, role):
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_search_and_filters(client, organiser, sign_up, help_areas):
    sign_up(name="Ana", email="ana@example.org", help_areas="events")
    sign_up(name="Luis", email="luis@example.org", city="Fontana", help_areas="translation")
    page = client.get("/admin/members?q=fontana").get_data(as_text=True)
    assert "Luis" in page and "ana@example.org" not in page
    page = client.get("/admin/members?help_area=events").get_data(as_text=True)
    assert "ana@example.org" in page and "luis@example.org" not in page
    page = client.get("/admin/members?status=active").get_data(as_text=True)
    assert "No members match." in page
    page = client.get("/admin/members?status=bogus&kind=bogus").get_data(as_text=True)
    assert "ana@example.org" in page and "luis@example.org" in page


def export(client, **filters):
    response = client.post("/admin/members/export.csv", data=filters)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_export_of_a_formula_name_opens_as_text_and_is_audited(app, client, organiser, sign_up):
    sign_up(name='=HYPERLINK("http://x","y")', email="x@example.org")
    sign_up(name="Rosa", email="rosa@example.org", phone="909-555-0123")
    rows = export(client)
    names = {row["email"]: row["name"] for row in rows}
    assert names["x@example.org"] == '\'=HYPERLINK("http://x","y")'
    phones = {row["email"]: row["phone"] for row in rows}
    assert phones["rosa@example.org"] == "'+19095550123"  # text, never a formula
    with app.app_context():
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "export.members"))
        assert entry.actor_id == organiser["id"]
        assert entry.created_dt is not None
        assert entry.details["rows"] == 2
        flat = repr(entry.details)
        for personal in ("HYPERLINK", "Rosa", "rosa@example.org", "555"):
            assert personal not in flat


def test_export_follows_the_filters_and_never_includes_those_who_left(
    app, client, organiser, sign_up, tokens
):
    sign_up(name="Ana", email="ana@example.org")
    luis = sign_up(name="Luis", email="luis@example.org")
    _, leave = tokens(luis)
    client.post(f"/leave/{leave}")
    assert [r["email"] for r in export(client)] == ["ana@example.org"]
    assert export(client, q="nobody") == []
    with app.app_context():
        audit = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "export.members").order_by(AuditLog.id)
        ).all()
        assert [a.details["rows"] for a in audit] == [1, 0]
        assert audit[1].details["filters"]["search"] is True  # whether, never what


def test_mark_active_and_inactive(app, client, organiser, sign_up):
    member_id = sign_up(email=None, phone="909-555-0123")  # phone only: an organiser confirms
    response = client.post(f"/admin/members/{member_id}/status/active?q=909")
    assert response.status_code == 303 and response.headers["Location"].endswith("?q=909")
    with app.app_context():
        assert db.session.get(Member, member_id).status == MemberStatus.active
    client.post(f"/admin/members/{member_id}/status/inactive")
    with app.app_context():
        assert db.session.get(Member, member_id).status == MemberStatus.inactive
        entries = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "member.status").order_by(AuditLog.id)
        )
        assert [e.details["to"] for e in entries] == ["active", "inactive"]
    assert client.post(f"/admin/members/{member_id}/status/left").status_code == 404
    assert client.post("/admin/members/999/status/active").status_code == 404


def test_organisations_can_be_added_edited_and_removed(app, client, organiser):
    form = {"name": "Clínica del Valle", "slug": "clinica", "city": "Riverside", "is_listed": "y"}
    assert client.post("/admin/organisations/new", data=form).status_code == 303
    assert "Clínica del Valle" in client.get("/members").get_data(as_text=True)
    assert client.post("/admin/organisations/new", data=form).status_code == 400  # slug taken
    with app.app_context():
        org_id = db.session.scalar(select(MemberOrganisation.id))
    bad = client.post(f"/admin/organisations/{org_id}", data={**form, "website": "ftp://x"})
    assert bad.status_code == 400
    client.post(f"/admin/organisations/{org_id}", data={**form, "is_listed": ""})
    assert "Clínica del Valle" not in client.get("/members").get_data(as_text=True)
    assert client.post(f"/admin/organisations/{org_id}/delete").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(MemberOrganisation.id)) is None


def test_milestones_can_be_added_edited_and_removed(app, client, organiser):
    form = {"year": "2009", "title_en": "A first campaign", "title_es": "Una primera campaña"}
    assert client.post("/admin/milestones/new", data=form).status_code == 303
    assert "A first campaign" in client.get("/timeline").get_data(as_text=True)
    bad = client.post("/admin/milestones/new", data={**form, "image_path": "../secret.png"})
    assert bad.status_code == 400
    with app.app_context():
        milestone_id = db.session.scalar(select(Milestone.id))
    client.post(f"/admin/milestones/{milestone_id}", data={**form, "title_en": "Renamed"})
    assert "Renamed" in client.get("/timeline").get_data(as_text=True)
    client.post(f"/admin/milestones/{milestone_id}/delete")
    with app.app_context():
        assert db.session.scalar(select(Milestone.id)) is None
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["milestone.create", "milestone.update", "milestone.delete"]
