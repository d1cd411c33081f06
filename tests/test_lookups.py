"""Failed look-ups of private links count per client: 429 with Retry-After past the threshold.

Tested through a real route, the manage page /rsvp/<token>, with TOKEN_LOOKUP_LIMIT lowered.
"""

from __future__ import annotations

import logging

import pytest

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.services import RsvpData, submit_rsvp

BAD = "/rsvp/NotARealTokenAtAll1234567890abcd"
CLIENT = {"REMOTE_ADDR": "203.0.113.77"}


@pytest.fixture
def limited(make_app):
    """An app allowing 3 failed look-ups per minute and client."""
    return make_app(WTF_CSRF_ENABLED=False, TOKEN_LOOKUP_LIMIT="3 per minute")


@pytest.fixture
def own_link(limited, make_event):
    """The manage link of a real RSVP."""
    event_id = make_event()
    with limited.app_context():
        data = RsvpData(
            name="Ana", email="ana@example.org", phone=None, language="en", party_size=1
        )
        outcome = submit_rsvp(db.session.get(Event, event_id), data)
        db.session.commit()
        return f"/rsvp/{outcome.token}"


def get(client, url, environ=CLIENT, **headers):
    return client.get(url, environ_base=environ, headers=headers)


def test_past_the_threshold_every_lookup_gets_429_with_retry_after(limited, own_link):
    client = limited.test_client()
    assert [get(client, f"{BAD}{n}").status_code for n in range(3)] == [404, 404, 404]
    refused = get(client, BAD, **{"Accept-Language": "es"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Demasiados intentos" in refused.get_data(as_text=True)
    # Even the owner's own link waits now: the budget is per client, not per token.
    assert get(client, own_link).status_code == 429
    # Another client is not affected.
    assert get(client, BAD, {"REMOTE_ADDR": "198.51.100.9"}).status_code == 404


def test_opening_ones_own_link_never_counts(limited, own_link):
    client = limited.test_client()
    assert {get(client, own_link).status_code for _ in range(10)} == {200}
    assert [get(client, BAD).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_every_kind_of_rsvp_link_shares_one_budget(limited):
    client = limited.test_client()
    urls = [BAD, f"{BAD}/calendar.ics", f"{BAD}/qr.svg"]
    assert [get(client, url).status_code for url in urls] == [404, 404, 404]
    assert get(client, f"{BAD}/qr.png").status_code == 429


def test_the_default_threshold_is_documented_and_counts_30_in_10_minutes(app):
    from eventsvc.config import Defaults

    assert Defaults.TOKEN_LOOKUP_LIMIT == "30 per 10 minutes"
    assert Defaults.RATELIMIT_HEADERS_ENABLED is True
    client = app.test_client()
    statuses = [get(client, f"{BAD}{n}").status_code for n in range(31)]
    assert statuses == [404] * 30 + [429]
    assert 540 < int(get(client, BAD).headers["Retry-After"]) <= 600


def test_a_breach_is_logged_with_a_truncated_address_and_never_the_token(limited, caplog):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    client = limited.test_client()
    for _ in range(4):
        get(client, BAD)
    [breach] = [r for r in caplog.records if r.name == "flask-limiter"]
    line = breach.getMessage()
    assert line == "ratelimit 3 per 1 minute (203.0.113.0) exceeded at endpoint: token-lookup"
    assert "203.0.113.77" not in caplog.text
    assert BAD.rsplit("/", 1)[1] not in caplog.text
