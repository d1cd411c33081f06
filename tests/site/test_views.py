import pytest
from sqlalchemy.exc import OperationalError

from eventsvc import create_app
from eventsvc.extensions import db


def test_healthz_reports_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(tmp_path):
    # A SQLite file in a folder that does not exist cannot be opened.
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
        }
    )
    with app.app_context(), pytest.raises(OperationalError):
        db.session.connection()  # proves the database really is unreachable
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en-US,en;q=0.9", 'lang="en"'), ("es-MX,es;q=0.9", 'lang="es"'), ("fr", 'lang="en"')],
)
def test_language_falls_back_to_accept_language(client, accept, expected):
    response = client.get("/", headers={"Accept-Language": accept})
    assert expected in response.get_data(as_text=True)


def test_language_switch_is_remembered_over_accept_language(client):
    response = client.post("/language", data={"lang": "es", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "lang=es" in response.headers["Set-Cookie"]
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Acceso para el personal" in page


def test_language_switch_ignores_unknown_language_and_foreign_next(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page"])
def test_hotline_is_a_tel_link_on_every_page(client, path):
    page = client.get(path).get_data(as_text=True)
    assert 'href="tel:+19093614588"' in page
    assert "909-361-4588" in page


def test_hotline_comes_from_configuration(make_app):
    app = make_app(HOTLINE="(951) 555-0100")
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'href="tel:+19515550100"' in page


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "Page not found"), ("es", "No encontramos esta página")]
)
def test_404_page_in_both_languages(client, lang, text):
    response = client.get("/nowhere", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_404_is_json_under_the_api(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize(("lang", "text"), [("en", "form has expired"), ("es", "formulario")])
def test_csrf_failure_page_in_both_languages(make_app, lang, text):
    app = make_app()  # CSRF on, as in production
    response = app.test_client().post(
        "/login",
        data={"email": "a@example.org", "password": "x" * 12},
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 400
    assert text in response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "text"), [("en", "Not allowed"), ("es", "No tienes permiso")])
def test_403_page_in_both_languages(make_app, lang, text):
    from flask import abort

    app = make_app()

    @app.get("/forbidden")
    def forbidden():
        abort(403)

    response = app.test_client().get("/forbidden", headers={"Accept-Language": lang})
    assert response.status_code == 403
    assert text in response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "text"), [("en", "Too many attempts"), ("es", "Demasiados")])
def test_rate_limited_page_in_both_languages(make_app, lang, text):
    from eventsvc.extensions import limiter

    app = make_app()

    @app.get("/limited")
    @limiter.limit("1 per day")
    def limited():
        return "ok"

    client = app.test_client()
    assert client.get("/limited").status_code == 200
    response = client.get("/limited", headers={"Accept-Language": lang})
    assert response.status_code == 429
    assert text in response.get_data(as_text=True)


def test_500_page_rolls_back_and_is_translated(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom", headers={"Accept-Language": "es"})
    assert response.status_code == 500
    assert "Algo salió mal" in response.get_data(as_text=True)
