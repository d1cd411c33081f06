import pytest

from eventsvc.extensions import db
from eventsvc.memorial.models import Honoree, Tribute, TributeStatus
from eventsvc.seed import seed_honorees
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_honorees()
        honoree = db.session.scalar(db.select(Honoree).where(Honoree.slug == "aide-arana"))
        honoree.is_founder = True
        db.session.add(
            Tribute(
                honoree=honoree,
                author_name="Rosa",
                relation="compañera de lucha",
                message="Gracias por tu valentía.\nTe recordamos siempre.",
                language="es",
                status=TributeStatus.approved,
                content_hash="1" * 64,
            )
        )
        db.session.commit()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_memorial_pages_pass_axe_in_both_languages(page, live_server, seeded, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page.goto("/memorial")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.get_by_role("link", name="Aidê Arana").first.is_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Aidê Arana").first.click()
    page.wait_for_url("**/memorial/aide-arana")
    assert page.get_by_text("Te recordamos siempre.").is_visible()
    assert axe_violations(page) == []
    # A form with errors is announced and still passes.
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".form-errors").is_visible()
    assert axe_violations(page) == []


def test_leave_a_tribute_and_light_a_candle(page, seeded):
    page.goto("/memorial/socorro-cisneros")
    page.get_by_role("button", name="Light a candle for Socorro Cisneros").click()
    assert page.get_by_text("Your candle is lit").is_visible()
    assert page.get_by_text("1 candle lit").is_visible()
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("How you knew them (optional)").fill("friend")
    page.get_by_label("Your message").fill("<b>Thank you</b>\nfor everything.")
    page.get_by_role("button", name="Send my tribute").click()
    assert page.get_by_text("once an organiser has reviewed it").is_visible()
    assert page.get_by_text("for everything.").count() == 0  # pending: not shown
    assert axe_violations(page) == []


def test_memorial_fits_a_small_phone(phone_page, seeded):
    phone_page.goto("/memorial/aide-arana")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    assert axe_violations(phone_page) == []
