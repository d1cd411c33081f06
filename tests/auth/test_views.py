import pytest

from eventsvc.auth.models import Role, StaffUser
from eventsvc.extensions import db


def test_admin_requires_login_and_keeps_next(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_then_back_office_then_logout(client, auth, create_staff_user):
    user = create_staff_user(role=Role.organiser)
    response = auth.login(user["email"], user["password"])
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert auth.logout().status_code == 303
    assert client.get("/admin/").status_code == 302


def test_login_follows_a_safe_next_only(client, create_staff_user):
    user = create_staff_user()
    data = {"email": user["email"], "password": user["password"], "next": "https://evil.example/"}
    assert client.post("/login", data=data).headers["Location"] == "/admin/"


def test_login_email_is_case_insensitive(auth, create_staff_user):
    user = create_staff_user(email="Maria@Example.org")
    assert auth.login("  MARIA@example.org ", user["password"]).status_code == 303


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "Wrong email or password"), ("es", "incorrectos")]
)
def test_wrong_password_is_refused_in_the_visitors_language(client, create_staff_user, lang, text):
    user = create_staff_user()
    response = client.post(
        "/login",
        data={"email": user["email"], "password": "not the password"},
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert text in page
    assert user["email"] in page  # what was typed is kept
    assert "not the password" not in page  # except the password


def test_deactivated_account_cannot_log_in(app, auth, create_staff_user):
    user = create_staff_user()
    with app.app_context():
        db.session.get(StaffUser, user["id"]).is_active = False
        db.session.commit()
    assert auth.login(user["email"], user["password"]).status_code == 400


def test_deactivation_ends_an_open_session(app, client, auth, create_staff_user):
    user = create_staff_user()
    auth.login(user["email"], user["password"])
    with app.app_context():
        db.session.get(StaffUser, user["id"]).is_active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_login_is_throttled_per_account_after_repeated_failures(client, auth, create_staff_user):
    user = create_staff_user()
    for _ in range(5):
        assert auth.login(user["email"], "wrong password!").status_code == 400
    # Even the right password is refused until the window passes.
    response = auth.login(user["email"], user["password"])
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_logins_do_not_count_towards_the_throttle(client, auth, create_staff_user):
    user = create_staff_user()
    for _ in range(7):
        assert auth.login(user["email"], user["password"]).status_code == 303
        auth.logout()


def test_throttle_of_one_account_leaves_another_alone(auth, create_staff_user):
    victim, other = create_staff_user(), create_staff_user()
    for _ in range(5):
        auth.login(victim["email"], "wrong password!")
    assert auth.login(other["email"], other["password"]).status_code == 303


def test_login_form_requires_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Enter your email." in page
    assert "Enter your password." in page


def test_session_cookie_is_httponly_samesite_and_secure_over_https(make_app, create_staff_user):
    user = create_staff_user()
    app = make_app(BASE_URL="https://events.example.org", WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": user["email"], "password": user["password"]},
        base_url="https://events.example.org",
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_form_carries_a_csrf_token(make_app):
    page = make_app().test_client().get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_one_address_guessing_many_accounts_is_throttled(auth, create_staff_user):
    # Four failures on each of five accounts stays under every per-account limit…
    for n in range(5):
        for _ in range(4):
            assert auth.login(f"guess{n}@example.org", "wrong password!").status_code == 400
    # …but twenty from one address is the address's limit, even for a real account.
    user = create_staff_user()
    assert auth.login(user["email"], user["password"]).status_code == 429
