import re

import pytest

from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_home_renders_in_english_with_hotline(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    hotline = page.locator("header a.hotline-number")
    assert hotline.get_attribute("href") == "tel:+19093614588"
    assert hotline.inner_text() == "909-361-4588"
    assert page.get_by_role("heading", level=1).is_visible()


def test_language_switch_changes_and_remembers_language(page):
    page.goto("/login")
    page.get_by_role("button", name="Español").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Acceso para el personal").is_visible()
    page.goto("/")  # the choice sticks on the next page
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_browser_language_is_the_default(phone_page):
    phone_page.goto("/")  # context locale es-MX sends Accept-Language: es-MX
    assert phone_page.locator("html").get_attribute("lang") == "es"
    assert phone_page.locator("header").get_by_text("Red de Respuesta Rápida").is_visible()


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_pages_pass_axe(page, live_server, path, lang):
    page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == lang
    assert axe_violations(page) == []


def test_keyboard_reaches_skip_link_first_and_it_moves_focus(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_small_phone_has_no_horizontal_scroll(phone_page):
    phone_page.goto("/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320
    box = phone_page.locator("header a.hotline-number").bounding_box()
    assert box["height"] >= 20 and box["x"] >= 0


def test_page_loads_nothing_from_other_hosts(page, live_server):
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/")
    page.goto("/login")
    assert requested
    assert all(url.startswith(live_server) or url.startswith("data:") for url in requested)
