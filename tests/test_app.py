import stat

import pytest

from eventsvc import create_app


def make_app(tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            **config,
        }
    )


def test_secret_key_is_generated_into_instance_once(tmp_path):
    first = make_app(tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 64
    second = make_app(tmp_path)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_separate_instances_get_different_secret_keys(tmp_path):
    a = make_app(tmp_path / "a")
    b = make_app(tmp_path / "b")
    assert a.config["SECRET_KEY"] != b.config["SECRET_KEY"]


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSVC_HOTLINE", "951-555-0100")
    monkeypatch.setenv("EVENTSVC_RSVP_PURGE_DAYS", "7")
    app = make_app(tmp_path)
    assert app.config["HOTLINE"] == "951-555-0100"
    assert app.config["RSVP_PURGE_DAYS"] == 7


def test_test_config_overrides_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSVC_HOTLINE", "951-555-0100")
    app = make_app(tmp_path, HOTLINE="909-000-0000")
    assert app.config["HOTLINE"] == "909-000-0000"


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSVC_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite"


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("EVENTSVC_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/eventsvc.sqlite"


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://events.example.org", True), ("http://127.0.0.1:5000", False)]
)
def test_session_cookie_flags_follow_base_url(tmp_path, base_url, secure):
    app = make_app(tmp_path, BASE_URL=base_url)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is secure


def test_security_headers_forbid_other_hosts(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "http" not in csp  # no third-party host is allowed anywhere
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_rate_limit_storage_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSVC_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
