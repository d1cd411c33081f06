import re

import pytest

from eventsvc.auth.models import Role
from tests.browser.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_organiser_logs_in_with_keyboard_and_reaches_back_office(page, create_staff_user):
    user = create_staff_user(role=Role.organiser, name="Rosa Organiser")
    page.goto("/")
    page.get_by_role("link", name="Staff login").click()
    page.get_by_label("Email").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.keyboard.press("Enter")  # submit without the mouse
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.get_by_role("heading", name="Back office").is_visible()
    assert "Rosa Organiser" in page.content()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Staff login").is_visible()


def test_wrong_password_shows_error_next_to_field_in_spanish(page, live_server, create_staff_user):
    user = create_staff_user()
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(user["email"])
    page.get_by_label("Contraseña").fill("not the password")
    page.get_by_role("button", name="Entrar").click()
    error = page.locator("#password-error")
    assert error.inner_text() == "Correo o contraseña incorrectos."
    assert page.get_by_label("Correo electrónico").input_value() == user["email"]
    assert page.get_by_label("Contraseña").get_attribute("aria-describedby") == "password-error"
    assert axe_violations(page) == []
