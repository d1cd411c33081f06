"""The public membership pages: join, confirm, leave, the directory and the timeline."""

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.membership.models import Member, MemberOrganisation, MemberStatus, Milestone
from tests.membership.conftest import join_form


def members(app):
    with app.app_context():
        return db.session.scalars(select(Member).order_by(Member.id)).all()


def test_join_page_offers_the_help_areas_and_the_consent(client, help_areas):
    page = client.get("/join", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Volunteer at events" in page and "Translation" in page
    assert "never asks about immigration status" in page
    for absent in ('date of birth" ', 'address" ', 'immigration status" '):
        assert absent not in page  # no field asks for them
    assert 'name="consent"' in page


def test_sign_up_then_confirm_through_the_link(app, client, sign_up, tokens):
    member_id = sign_up()
    confirm, _ = tokens(member_id)
    page = client.get(f"/join/confirm/{confirm}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    with app.app_context():  # a GET (a mail scanner's visit) changes nothing
        assert db.session.get(Member, member_id).status == MemberStatus.pending
    response = client.post(f"/join/confirm/{confirm}")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Member, member_id).status == MemberStatus.active
    assert client.get(f"/join/confirm/{confirm}").status_code == 404  # used up
    assert client.post(f"/join/confirm/{confirm}").status_code == 404


def test_join_thanks_page_says_what_happens_next(client, sign_up):
    sign_up()
    page = client.get("/join/thanks?by=email", headers={"Accept-Language": "en"})
    assert "We sent you an email" in page.get_data(as_text=True)


def test_duplicate_sign_up_through_the_form_changes_nothing(app, client, sign_up):
    first = sign_up()
    second = sign_up(name="Ana María", email="ANA@example.org ", city="Fontana")
    assert first == second
    [member] = members(app)
    assert (member.name, member.city, member.email) == ("Ana Pérez", "Riverside", "ana@example.org")


def test_organisation_sign_up_needs_the_organisations_name(app, client):
    response = client.post("/join", data=join_form(kind="organisation"))
    assert response.status_code == 400
    assert members(app) == []
    ok = client.post(
        "/join",
        data=join_form(
            kind="organisation",
            organisation_name="Clínica del Valle",
            website="https://clinica.example.org",
            contact_person="Rosa",
        ),
    )
    assert ok.status_code == 303
    [member] = members(app)
    assert member.display_name == "Clínica del Valle" and member.contact_person == "Rosa"


@pytest.mark.parametrize(
    "overrides",
    [
        {"consent": None},
        {"email": None, "phone": None},
        {"email": "not-an-email"},
        {"phone": "123"},
        {"name": ""},
        {"name": "<script>"},
        {"website": "javascript:alert(1)", "kind": "organisation", "organisation_name": "X"},
        {"help_areas": "not-offered"},
    ],
)
def test_bad_sign_ups_are_refused_and_store_nothing(app, client, help_areas, overrides):
    response = client.post("/join", data=join_form(**overrides))
    assert response.status_code == 400
    assert members(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_leave_link_erases_the_member(app, client, sign_up, tokens):
    member_id = sign_up()
    _, leave = tokens(member_id)
    assert client.get(f"/leave/{leave}").status_code == 200
    assert members(app)[0].status == MemberStatus.pending  # GET changed nothing
    response = client.post(f"/leave/{leave}")
    assert response.status_code == 303 and response.headers["Location"] == "/leave/done"
    [member] = members(app)
    assert member.status == MemberStatus.left and member.email is None and member.name == ""
    assert client.post(f"/leave/{leave}").status_code == 404


def test_the_leave_link_of_one_member_cannot_touch_another(app, client, sign_up, tokens):
    ana = sign_up()
    luis = sign_up(name="Luis", email="luis@example.org")
    _, ana_leave = tokens(ana)
    luis_confirm, luis_leave = tokens(luis)
    tampered = ana_leave[:-2] + ("AA" if not ana_leave.endswith("AA") else "BB")
    assert client.post(f"/leave/{tampered}").status_code == 404
    assert client.post(f"/leave/{luis_confirm}").status_code == 404  # wrong purpose
    assert client.post(f"/leave/{ana_leave}").status_code == 303
    by_id = {m.id: m for m in members(app)}
    assert by_id[ana].status == MemberStatus.left
    assert by_id[luis].status == MemberStatus.pending and by_id[luis].email == "luis@example.org"
    assert client.post(f"/leave/{luis_leave}").status_code == 303


def test_members_page_lists_only_organisations_that_agreed(app, client):
    with app.app_context():
        db.session.add_all(
            [
                MemberOrganisation(slug="listed", name="Listed Org", city="Ontario"),
                MemberOrganisation(slug="hidden", name="Hidden Org", is_listed=False),
            ]
        )
        db.session.commit()
    page = client.get("/members").get_data(as_text=True)
    assert "Listed Org" in page and "Hidden Org" not in page


def test_timeline_is_in_order_and_bilingual(app, client, runner):
    runner.invoke(args=["eventsvc", "seed"])
    en = client.get("/timeline", headers={"Accept-Language": "en"}).get_data(as_text=True)
    es = client.get("/timeline", headers={"Accept-Language": "es"}).get_data(as_text=True)
    with app.app_context():
        milestones = db.session.scalars(select(Milestone).order_by(Milestone.year)).all()
    positions = [en.index(str(escape(m.title_en))) for m in milestones]
    assert positions == sorted(positions)
    for m in milestones:
        assert str(escape(m.title_es)) in es
    assert '<html lang="es">' in es


@pytest.mark.parametrize("path", ["/join", "/members", "/timeline", "/join/thanks", "/leave/done"])
@pytest.mark.parametrize(("lang", "text"), [("en", "Join"), ("es", "Únete")])
def test_pages_render_in_both_languages(client, path, lang, text):
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert text in page  # the navigation's call to join, translated
    assert 'href="tel:+19093614588"' in page


def test_home_page_has_the_message_events_join_memorial_and_hotline(client, runner):
    runner.invoke(args=["eventsvc", "seed"])
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Become a member today" in page
    assert 'href="/join"' in page and 'href="/memorial"' in page and 'href="/timeline"' in page
    assert "Know Your Rights Workshop" in page and "seats left" in page
    assert 'href="tel:+19093614588"' in page
    # Nothing from another host: every src and stylesheet is on this site.
    assert 'src="http' not in page and 'href="//' not in page
    assert "https://" not in page.split("</head>")[0]


def test_home_counts_only_confirmed_members(app, client, sign_up, tokens):
    member_id = sign_up()
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "has joined so far" not in page
    confirm, _ = tokens(member_id)
    client.post(f"/join/confirm/{confirm}")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 member has joined so far." in page


def test_no_static_image_is_over_200_kb():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "static"
    images = [
        p
        for p in root.rglob("*")
        if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".gif", ".svg"}
    ]
    assert [p.name for p in images if p.stat().st_size > 200 * 1024] == []


def test_a_sign_up_with_a_members_address_is_answered_like_any_other(app, client, sign_up):
    member_id = sign_up(email="ana@example.org", name="Ana Pérez", city="Riverside")
    with app.app_context():
        member = db.session.get(Member, member_id)
        member.status = MemberStatus.active
        db.session.commit()

    def answer(email):
        response = client.post("/join", data=join_form(email=email, name="Someone", city="Hemet"))
        page = client.get(response.headers["Location"])
        return response.status_code, response.headers["Location"], page.get_data(as_text=True)

    assert answer("ana@example.org") == answer("nobody-yet@example.org")
    with app.app_context():
        member = db.session.get(Member, member_id)
        assert (member.name, member.city) == ("Ana Pérez", "Riverside")
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.member_id == member_id)
        ).all()
        assert kinds[-1] == "member_exists"
