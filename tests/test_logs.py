"""No name, email, phone or token in a log line; client addresses truncated (issue 12, item 7).

The suite-wide check is the autouse fixture ``_no_personal_data_in_logs`` in conftest.py; these
tests trigger the known leaks one by one and read what was logged.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from urllib.error import HTTPError

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.logs import RedactingFilter, looks_like_token, redact_path, scrub, truncate_ip
from tests.conftest import personal_data_in

TOKEN = "Zq3xV8kLmN0pQrStUvWx12AbCdEfGhIj"


@pytest.mark.parametrize(
    ("address", "truncated"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("198.51.100.255", "198.51.100.0"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::"),
        ("2001:db8:abcd:12::7", "2001:db8:abcd::"),
        ("::ffff:203.0.113.77", "203.0.113.0"),
        ("fe80::1%eth0", "fe80::"),
        ("127.0.0.1", "127.0.0.1"),  # loopback: nobody's address
        ("::1", "::1"),
        ("not an address", "-"),
        ("", "-"),
    ],
)
def test_client_addresses_are_truncated(address, truncated):
    assert truncate_ip(address) == truncated


@pytest.mark.parametrize(
    ("path", "redacted"),
    [
        (f"/rsvp/{TOKEN}", "/rsvp/[token]"),
        (f"/rsvp/{TOKEN}/qr.svg", "/rsvp/[token]/qr.svg"),
        ("/rsvp/Short-1", "/rsvp/[token]"),  # a guess is redacted too
        ("/rsvp/lost", "/rsvp/lost"),  # a page, not a token
        ("/door/event/7", "/door/event/7"),
        (f"/door/{TOKEN}", "/door/[token]"),
        (f"/join/confirm/{TOKEN}", "/join/confirm/[token]"),
        (f"/leave/{TOKEN}", "/leave/[token]"),
        (f"/invite/{TOKEN}", "/invite/[token]"),
        (f"/memorial/tributes/{TOKEN}/delete", "/memorial/tributes/[token]/delete"),
        ("/events/know-your-rights-2026", "/events/know-your-rights-2026"),
        ("/admin/members?q=Ana+Souza&status=active", "/admin/members?q=…&status=…"),
        ("/calendar.ics", "/calendar.ics"),
    ],
)
def test_secrets_in_paths_are_redacted(path, redacted):
    assert redact_path(path) == redacted


def test_token_like_words_are_told_from_names():
    assert looks_like_token(TOKEN)
    assert looks_like_token("0123456789abcdef0123456789abcdef")  # a hex digest
    for word in ("rsvp_promoted_shared_notice", "know-your-rights-2026", "SMTPRecipientsRefused"):
        assert not looks_like_token(word)


def test_scrub_removes_emails_phones_tokens_full_addresses_and_refused_values():
    line = scrub(
        "ana.souza+rsvp@example.org called +19095550123 from 203.0.113.77 and 2001:db8:1:2::7 "
        f"with {TOKEN} at 12:30:45; DETAIL:  Key (event_id, email)=(3, ana@example.org) already "
        "exists; Failing row contains (7, Ana Souza, ana@example.org, wheelchair)."
    )
    assert line == (
        "[email] called [phone] from 203.0.113.0 and 2001:db8:1:: with [token] at 12:30:45; "
        "DETAIL:  Key (event_id, email)=(…) already exists; Failing row contains (…)."
    )


def record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_scrubs_message_arguments_and_the_traceback():
    try:
        raise ValueError("value ana@example.org refused for +19095550123")
    except ValueError:
        import sys

        rec = record("lookup of %s from %s failed", TOKEN, "198.51.100.23", exc_info=sys.exc_info())
    assert personal_data_in(rec)  # the check sees the raw record
    assert RedactingFilter().filter(rec) is True  # never drops a line
    assert rec.getMessage() == "lookup of [token] from 198.51.100.0 failed"
    assert "ValueError: value [email] refused for [phone]" in rec.exc_text
    assert personal_data_in(rec) == []
    formatted = logging.Formatter().format(rec)
    assert "ana@" not in formatted and "+1909" not in formatted


def test_the_engine_hides_statement_parameters_even_with_options_of_ones_own(make_app):
    assert make_app().config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    own = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    assert own.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    with own.app_context():
        assert db.engine.hide_parameters is True


@pytest.fixture
def failing_rsvp_insert(app):
    """Make the database refuse an RSVP named "Ana Boom" (a trigger), as a real fault would."""
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            if postgres:
                conn.execute(
                    text(
                        "CREATE FUNCTION refuse_rsvp() RETURNS trigger AS $$ BEGIN "
                        "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER refuse_rsvp BEFORE INSERT ON rsvps FOR EACH ROW "
                        "WHEN (NEW.name = 'Ana Boom') EXECUTE FUNCTION refuse_rsvp()"
                    )
                )
            else:
                conn.execute(
                    text(
                        "CREATE TRIGGER refuse_rsvp BEFORE INSERT ON rsvps "
                        "WHEN NEW.name = 'Ana Boom' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                    )
                )
    yield
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_rsvp" + (" ON rsvps" if postgres else "")))
        if postgres:
            conn.execute(text("DROP FUNCTION refuse_rsvp()"))


def test_a_database_error_during_an_rsvp_logs_no_personal_data(
    make_app, make_event, failing_rsvp_insert, caplog
):
    app = make_app(WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    event_id = make_event()
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    caplog.set_level(logging.INFO)
    response = app.test_client().post(
        f"/events/{slug}",
        data={
            "name": "Ana Boom",
            "email": "ana.boom@example.org",
            "phone": "+19095550123",
            "language": "es",
            "party_size": "1",
            "access_needs": "Silla de ruedas",
            "submission_key": "k" * 22,
        },
    )
    assert response.status_code == 500
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.getMessage() == f"Exception on /events/{slug} [POST]"
    assert "INSERT INTO rsvps" in error.exc_text  # the statement, for the operator
    assert "[SQL parameters hidden due to hide_parameters=True]" in error.exc_text
    for secret in ("Ana Boom", "ana.boom", "+1909", "Silla", "k" * 22):
        assert secret not in caplog.text
        assert secret not in error.exc_text


def test_a_login_throttle_breach_logs_neither_the_email_nor_the_address(make_app, caplog):
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_THROTTLE="2 per minute")
    caplog.set_level(logging.INFO)
    client = app.test_client()
    for _ in range(3):
        response = client.post(
            "/login",
            data={"email": "Staff.Person@Example.org", "password": "wrong"},
            environ_base={"REMOTE_ADDR": "2001:db8:1:2::7"},
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"].isdigit()
    [breach] = [r.getMessage() for r in caplog.records if r.name == "flask-limiter"]
    assert breach.startswith("ratelimit 2 per 1 minute (login:")
    assert breach.endswith(") exceeded at endpoint: auth.login")
    assert "staff.person" not in caplog.text.lower() and "example.org" not in caplog.text
    assert "2001:db8:1:2" not in caplog.text

    # Still per account: another address of the same person's office is throttled as well.
    again = client.post(
        "/login",
        data={"email": "staff.person@example.org", "password": "wrong"},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    assert again.status_code == 429


def test_the_per_address_throttle_stays_per_full_address_and_logs_it_truncated(make_app, caplog):
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_THROTTLE="1 per minute")  # 4 per address
    caplog.set_level(logging.INFO)
    client = app.test_client()

    def attempt(n, address):
        return client.post(
            "/login",
            data={"email": f"s{n}@example.org", "password": "wrong"},
            environ_base={"REMOTE_ADDR": address},
        ).status_code

    assert [attempt(n, "203.0.113.77") for n in range(5)] == [400, 400, 400, 400, 429]
    assert attempt(9, "203.0.113.78") == 400  # a neighbour in the same /24 is not throttled
    [breach] = [r.getMessage() for r in caplog.records if r.name == "flask-limiter"]
    assert "(203.0.113.0)" in breach and "203.0.113.77" not in caplog.text


def test_the_request_log_of_flask_run_redacts_tokens_and_truncates_addresses(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        for path in (f"/rsvp/{TOKEN}", f"/door/{TOKEN}?x=ana@example.org", "/calendar.ics"):
            try:
                urllib.request.urlopen(url + path, timeout=10).close()
            except HTTPError:
                pass
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 3
    assert all(line.startswith("127.0.0.1 - - [") for line in lines)  # loopback stays
    assert '"GET /rsvp/[token] HTTP/1.1" 404' in lines[0]
    assert '"GET /door/[token]?x=… HTTP/1.1"' in lines[1]
    assert '"GET /calendar.ics HTTP/1.1" 200' in lines[2]
    assert TOKEN not in caplog.text and "ana@" not in caplog.text

    # A client on the internet, as werkzeug writes it (serving.py: log_request, then _log).
    caplog.clear()
    logging.getLogger("werkzeug").info(
        "203.0.113.77 - - [28/Nov/2026 20:05:01] %s", f'"GET /rsvp/{TOKEN} HTTP/1.1" 200 -'
    )
    [line] = [r.getMessage() for r in caplog.records]
    assert line == '203.0.113.0 - - [28/Nov/2026 20:05:01] "GET /rsvp/[token] HTTP/1.1" 200 -'


def test_outside_tests_every_root_handler_scrubs_what_any_library_logs(tmp_path):
    from eventsvc import create_app

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = logging.FileHandler(tmp_path / "log.txt")
    root.handlers = [stream]
    eventsvc_level = logging.getLogger("eventsvc").level
    try:
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        logging.getLogger("some.library").warning("mail to ana@example.org from 203.0.113.77")
    finally:
        root.handlers, root.level = saved_handlers, saved_level
        logging.getLogger("eventsvc").setLevel(eventsvc_level)
        stream.close()
    assert any(isinstance(f, RedactingFilter) for f in stream.filters)
    assert (tmp_path / "log.txt").read_text() == "mail to [email] from 203.0.113.0\n"
