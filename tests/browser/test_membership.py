"""Membership pages in a real browser: both languages, axe-core, the join flow on a phone."""

import re

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.extensions import db
from eventsvc.membership.models import HelpArea, Member, MemberStatus
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser

PAGES = ["/", "/join", "/members", "/timeline", "/join/thanks", "/leave/done"]


@pytest.fixture
def seeded(app, runner):
    assert runner.invoke(args=["eventsvc", "seed"]).exit_code == 0


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_membership_pages_pass_axe(page, live_server, seeded, path, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []


def test_join_form_with_errors_passes_axe(page):
    page.goto("/join")
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_load_state()
    assert page.locator("#name-error").is_visible()
    assert axe_violations(page) == []


def test_join_and_confirm_on_a_phone_in_spanish(app, phone_page, seeded):
    with app.app_context():
        label = db.session.scalar(select(HelpArea.label_es).where(HelpArea.key == "translation"))
    p = phone_page
    p.goto("/join")
    p.locator("#name").fill("Rocío Hernández")
    p.locator("#email").fill("rocio@example.org")
    p.locator("#city").fill("San Bernardino")
    p.get_by_label(label).check()
    p.locator("#language-1").check()
    p.locator("#consent").check()
    p.locator("form.join-form button[type=submit]").click()
    p.wait_for_url(re.compile(r"/join/thanks"))
    assert p.evaluate("document.documentElement.scrollWidth") <= 320
    with app.app_context():
        from eventsvc.membership.services import CONFIRM, member_token

        member = db.session.scalar(select(Member).where(Member.email == "rocio@example.org"))
        assert member.help_areas == ["translation"] and member.language == "es"
        token = member_token(member, CONFIRM)
    p.goto(f"/join/confirm/{token}")
    assert axe_violations(p) == []
    p.locator("main form button[type=submit]").click()
    p.wait_for_url(re.compile(r"/join/welcome"))
    with app.app_context():
        assert db.session.get(Member, member.id).status == MemberStatus.active


def test_back_office_members_page_passes_axe(page, live_server, create_staff_user, seeded):
    user = create_staff_user(role=Role.organiser)
    page.goto("/login")
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))
    for path in ["/admin/members", "/admin/organisations", "/admin/milestones/new"]:
        page.goto(path)
        assert axe_violations(page) == [], path
