"""Fixtures: one app per test session on the test database, clean tables for every test."""

from __future__ import annotations

import logging
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from eventsvc import create_app
from eventsvc.auth.models import Role
from eventsvc.extensions import db, limiter
from tests import factories

#: CI sets this to PostgreSQL for its second run; SQLite in a temporary folder otherwise.
TEST_DATABASE_URL = os.environ.get("EVENTSVC_TEST_DATABASE_URL", "")
#: CI sets this to Redis so that rate limits are tested on the storage production uses.
TEST_RATELIMIT_STORAGE_URL = os.environ.get("EVENTSVC_TEST_RATELIMIT_STORAGE_URL", "memory://")


def _reset_schema() -> None:
    """Bring the test database to the migrations' head, whatever an earlier run left in it."""
    inspector = inspect(db.engine)
    if "alembic_version" in inspector.get_table_names():
        downgrade(revision="base")
    db.metadata.drop_all(db.engine)  # leftovers of a run that was killed half-way
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


@pytest.fixture(scope="session")
def app_config(tmp_path_factory) -> dict:
    """Return the configuration every test app shares (database, instance folder)."""
    instance = tmp_path_factory.mktemp("instance")
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{instance}/test.sqlite",
        "RATELIMIT_STORAGE_URI": TEST_RATELIMIT_STORAGE_URL,
        "SERVER_NAME": None,
        # Tests edit events and read the feed at once; test_feeds.py checks the recheck window.
        "FEED_RECHECK_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def app(app_config):
    """Return the app under test, its database migrated to head."""
    app = create_app({**app_config, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        _reset_schema()
        limiter.reset()  # limits left in Redis by an earlier run
    yield app
    dispose(app)


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty every table and the rate limits after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()


def dispose(app) -> None:
    """Close an app's database connections (PostgreSQL warns about connections left open)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_app(app_config):
    """Return a factory of extra apps on the test database, e.g. with CSRF on or other config."""
    apps = []

    def factory(**overrides):
        apps.append(create_app({**app_config, **overrides}))
        return apps[-1]

    yield factory
    for extra in apps:
        with extra.app_context():
            limiter.reset()
        dispose(extra)


@pytest.fixture
def app_ctx(app):
    """Run the test inside an application context."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def create_staff_user(app):
    """Return a factory of staff accounts: create_staff_user(role=…, password=…)."""
    from eventsvc.auth.services import create_staff

    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.organiser, password: str = "correct horse battery", **kw):
        n = next(counter)
        with app.app_context():
            user, _ = create_staff(
                email=kw.get("email", f"staff{n}@example.org"),
                name=kw.get("name", f"Staff {n}"),
                role=role,
                password=password,
            )
            db.session.commit()
            return {"id": user.id, "email": user.email, "password": password}

    return factory


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Return login/logout helpers bound to the test client."""
    return AuthActions(client)


@pytest.fixture
def smtp_server():
    """Yield a real SMTP server on 127.0.0.1 (see tests/mail/smtp_server.py for its use)."""
    from tests.mail.smtp_server import LocalSmtpServer

    server = LocalSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_event(app):
    """Return a factory of published events (in the database, committed); returns the id.

    make_event(capacity=10, guest_limit=3, starts_in=timedelta(days=10), status=…, **columns);
    the events are numbered from 1 in each test (see tests/factories.py).
    """
    from datetime import timedelta

    from eventsvc.db import utc_now
    from eventsvc.events.models import EventStatus

    counter = iter(range(1, 10_000))

    def factory(*, capacity=10, guest_limit=3, starts_in=timedelta(days=10), **columns):
        with app.app_context():
            event = factories.make_event(
                next(counter),
                start_dt=utc_now() + starts_in,
                capacity=capacity,
                guest_limit=guest_limit,
                **{"status": EventStatus.published, **columns},
            )
            db.session.commit()
            return event.id

    return factory


@pytest.fixture
def model_app(tmp_path):
    """Yield an app on a fresh in-memory database (not the shared test database), in its context.

    For the model tests: the tables come from the models (create_all), not the migrations.
    """
    import eventsvc.models  # noqa: F401  (every table for create_all)

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def model_event(model_app):
    """Return model_event(**columns) -> a draft Event in model_app, flushed, a week after NOW."""
    from datetime import timedelta

    counter = iter(range(1, 10_000))

    def factory(**columns):
        return factories.make_event(
            next(counter), **{"start_dt": factories.NOW + timedelta(days=7), **columns}
        )

    return factory


@pytest.fixture
def model_rsvp(model_event):
    """Return model_rsvp(event=None, party_size=1, **columns) -> an Rsvp in model_app, flushed.

    Without an event, the party gets one of its own (from model_event).
    """
    counter = iter(range(1, 10_000))

    def factory(event=None, party_size=1, **columns):
        return factories.make_rsvp(
            event or model_event(), next(counter), party_size=party_size, **columns
        )

    return factory


@pytest.fixture
def served(app, app_config):
    """Serve a second app on the test database from threads, as a web server would; yield its URL.

    CSRF is off and the RSVP rate limit is high: the callers are load tests.
    """
    import threading

    from werkzeug.serving import make_server

    from tests.served import THREADS

    engine = {"pool_pre_ping": True}
    if TEST_DATABASE_URL.startswith("postgresql"):
        engine.update(pool_size=THREADS + 4, max_overflow=4)
    server_app = create_app(
        {
            **app_config,
            "WTF_CSRF_ENABLED": False,
            "RSVP_RATE_LIMIT": "1000000 per minute",
            "SQLALCHEMY_ENGINE_OPTIONS": engine,
        }
    )
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    dispose(server_app)


class _EveryRecord(logging.Handler):
    """Keep every record logged during a test, whatever its logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def personal_data_in(record: logging.LogRecord) -> list[str]:
    """Return the emails, E.164 phones and token-like strings in a record's text and traceback."""
    from eventsvc.logs import EMAIL, PHONE, TOKEN_CANDIDATE, looks_like_token

    try:
        text = record.getMessage()
    except Exception:  # a broken format string is a bug of its own, not a leak
        text = str(record.msg)
    if record.exc_text:
        text += "\n" + record.exc_text
    elif record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    if record.stack_info:
        text += "\n" + record.stack_info
    return (
        EMAIL.findall(text)
        + PHONE.findall(text)
        + [w for w in TOKEN_CANDIDATE.findall(text) if looks_like_token(w)]
    )


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs():
    """Fail any test whose log lines (INFO and up, any logger) carry an email, phone or token.

    Issue 12: no name, email, phone or token in any log line. Names cannot be told from other
    words; the rest can, in the message and in any traceback logged with it.
    """
    root = logging.getLogger()
    level = root.level
    catcher = _EveryRecord()
    root.addHandler(catcher)
    root.setLevel(min(level or logging.WARNING, logging.INFO))
    yield catcher
    root.removeHandler(catcher)
    root.setLevel(level)
    leaks = [
        f"{record.name} {record.levelname}: {found}"
        for record in catcher.records
        if (found := personal_data_in(record))
    ]
    if leaks:
        pytest.fail("personal data in the logs:\n" + "\n".join(leaks), pytrace=False)
