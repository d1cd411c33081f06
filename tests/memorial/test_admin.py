import io

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.core.models import AuditLog
from eventsvc.extensions import db
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from tests.memorial.conftest import NOT_AN_IMAGE, png_with_gps

PAGES = [
    ("get", "/admin/memorial/"),
    ("get", "/admin/memorial/honorees"),
    ("get", "/admin/memorial/honorees/new"),
    ("get", "/admin/memorial/honorees/{honoree}/edit"),
    ("get", "/admin/memorial/tributes/{tribute}/edit"),
    ("get", "/admin/memorial/tributes/{tribute}/photo"),
    ("post", "/admin/memorial/tributes/{tribute}/approve"),
    ("post", "/admin/memorial/tributes/{tribute}/reject"),
    ("post", "/admin/memorial/honorees/{honoree}/move/up"),
    ("post", "/admin/memorial/honorees/{honoree}/visibility"),
]


@pytest.fixture
def ids(app, make_honoree):
    slug = make_honoree(name="Aidê Arana")
    with app.app_context():
        honoree = db.session.scalar(select(Honoree).where(Honoree.slug == slug))
        tribute = Tribute(
            honoree=honoree,
            author_name="Rosa",
            contact="rosa@example.org",
            message="We mis you.",
            content_hash="0" * 64,
        )
        db.session.add(tribute)
        db.session.commit()
        return {"honoree": honoree.id, "tribute": tribute.id, "slug": slug}


def login(auth, create_staff_user, role):
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    return user


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_anonymous_visitors_are_sent_to_login(client, ids, method, url):
    response = getattr(client, method)(url.format(**ids))
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_volunteers_may_not_moderate(client, auth, create_staff_user, ids, method, url):
    login(auth, create_staff_user, Role.volunteer)
    assert getattr(client, method)(url.format(**ids)).status_code == 403


def test_organiser_sees_the_queue_with_counts_and_the_private_contact(
    client, auth, create_staff_user, ids
):
    login(auth, create_staff_user, Role.organiser)
    page = client.get("/admin/memorial/").get_data(as_text=True)
    assert "We mis you." in page and "rosa@example.org" in page
    assert 'Awaiting review <span class="count">(1)</span>' in page


def test_organiser_approves_and_rejects(app, client, auth, create_staff_user, ids):
    login(auth, create_staff_user, Role.organiser)
    url = f"/admin/memorial/tributes/{ids['tribute']}"
    assert client.post(f"{url}/approve").status_code == 303
    assert "We mis you." in client.get(f"/memorial/{ids['slug']}").get_data(as_text=True)
    response = client.post(f"{url}/reject", data={"note": "family asked"})
    assert response.status_code == 303
    assert "We mis you." not in client.get(f"/memorial/{ids['slug']}").get_data(as_text=True)
    with app.app_context():
        tribute = db.session.get(Tribute, ids["tribute"])
        assert tribute.status == TributeStatus.rejected
        assert tribute.moderation_note == "family asked"


def test_organiser_edit_is_logged(app, client, auth, create_staff_user, ids):
    user = login(auth, create_staff_user, Role.organiser)
    url = f"/admin/memorial/tributes/{ids['tribute']}/edit"
    assert "We mis you." in client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"author_name": "Rosa", "relation": "friend", "message": "We miss you."}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Tribute, ids["tribute"]).message == "We miss you."
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "tribute.edit"))
        assert entry.actor_id == user["id"]
        assert entry.details["fields"] == ["relation", "message"]


def test_organiser_adds_an_honoree_with_a_clean_portrait(app, client, auth, create_staff_user):
    login(auth, create_staff_user, Role.organiser)
    response = client.post(
        "/admin/memorial/honorees/new",
        data={
            "name": "Socorro Cisneros",
            "summary_en": "Tirelessly advocated for immigrant justice in the Inland Empire.",
            "summary_es": "Luchó incansablemente por la justicia para las personas inmigrantes.",
            "is_founder": "y",
            "portrait": (io.BytesIO(png_with_gps()), "socorro.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        honoree = db.session.scalar(select(Honoree))
        assert honoree.slug == "socorro-cisneros" and honoree.is_founder
        assert honoree.portrait_path.startswith("memorial/")
    page = client.get("/memorial").get_data(as_text=True)
    assert "Honour roll of our founders" in page
    photo = client.get("/memorial/photos/" + honoree.portrait_path.removeprefix("memorial/"))
    assert photo.status_code == 200
    photo.close()


def test_a_bad_portrait_is_refused_clearly(client, auth, create_staff_user):
    login(auth, create_staff_user, Role.organiser)
    response = client.post(
        "/admin/memorial/honorees/new",
        data={
            "name": "Ana",
            "summary_en": "Text.",
            "portrait": (io.BytesIO(NOT_AN_IMAGE), "ana.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "This file is not a photo we can use." in response.get_data(as_text=True)


def test_organiser_edits_reorders_and_hides(app, client, auth, create_staff_user, make_honoree):
    login(auth, create_staff_user, Role.organiser)
    make_honoree(name="First")
    second = make_honoree(name="Second")
    with app.app_context():
        second_id = db.session.scalar(select(Honoree.id).where(Honoree.slug == second))
    response = client.post(
        f"/admin/memorial/honorees/{second_id}/edit",
        data={"name": "Second", "slug": second, "summary_en": "English.", "summary_es": "Español."},
    )
    assert response.status_code == 303
    es = client.get(f"/memorial/{second}", headers={"Accept-Language": "es"})
    assert "Español." in es.get_data(as_text=True)
    client.post(f"/admin/memorial/honorees/{second_id}/move/up")
    page = client.get("/memorial").get_data(as_text=True)
    assert page.index("Second") < page.index("First")
    client.post(f"/admin/memorial/honorees/{second_id}/visibility", data={"show": "0"})
    assert client.get(f"/memorial/{second}").status_code == 404
    assert "Second" in client.get("/admin/memorial/honorees").get_data(as_text=True)
