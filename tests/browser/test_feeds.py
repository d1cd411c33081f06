"""The events page offers the series feed; accessible in both languages."""

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def event_id(make_event):
    return make_event(title_en="Know Your Rights", title_es="Conoce tus derechos")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_events_page_with_the_webcal_link_passes_axe(page, live_server, event_id, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page.goto("/events/")
    assert page.locator("html").get_attribute("lang") == lang
    link = page.locator("a[href^='webcal://']")
    assert link.count() == 1
    assert link.get_attribute("href").endswith(f"/calendar.ics?lang={lang}")
    assert link.is_visible()
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_event_page_with_add_to_calendar_links_passes_axe(page, live_server, event_id, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page.goto("/events/")
    page.locator(".event-card h2 a").first.click()
    assert page.locator("a[href^='https://calendar.google.com/']").count() == 1
    assert page.locator("a[href^='https://outlook.live.com/']").count() == 1
    assert axe_violations(page) == []


def test_small_phone_has_no_horizontal_scroll_on_the_events_page(phone_page, event_id):
    phone_page.goto("/events/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= phone_page.viewport_size["width"]
