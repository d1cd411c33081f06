"""Wrong door links count against the client's budget of failed look-ups; verdicts never do.

Past TOKEN_LOOKUP_LIMIT the client gets 429 with Retry-After on the door pages and the whole
door API, while a door on another address keeps scanning.
"""

import pytest

LIMIT = 3
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
VENUE = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture
def limited(make_app):
    """Return an app that allows LIMIT failed look-ups per minute and client."""
    return make_app(TOKEN_LOOKUP_LIMIT=f"{LIMIT} per minute")


def wrong_tries(client, event_id):
    """One failed look-up on each door route: the page and the four API calls."""
    bad = {"X-Door-Token": "not-a-door-link-" + "x" * 16}
    base = f"/api/v1/events/{event_id}"
    return [
        lambda: client.get("/door/not-a-door-link", environ_base=ATTACKER),
        lambda: client.post(
            f"{base}/checkins", json={"code": "x"}, headers=bad, environ_base=ATTACKER
        ),
        lambda: client.post(f"{base}/checkins/1/undo", headers=bad, environ_base=ATTACKER),
        lambda: client.get(f"{base}/search?q=jose", headers=bad, environ_base=ATTACKER),
        lambda: client.get(f"{base}/stats", headers=bad, environ_base=ATTACKER),
    ]


def assert_limited(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_wrong_door_links_from_one_client_get_429_and_another_door_still_scans(limited, door):
    attacker, venue = limited.test_client(), limited.test_client()
    tries = wrong_tries(attacker, door["event_id"])
    for attempt in tries[:LIMIT]:
        assert attempt().status_code == 403
    for attempt in tries:  # every door route is now closed to this client
        assert_limited(attempt())
    api = attacker.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        json={"code": "x"},
        headers={"X-Door-Token": "x" * 32, "Accept-Language": "es"},
        environ_base=ATTACKER,
    )
    assert_limited(api)
    assert api.get_json() == {
        "error": "rate_limited",
        "message": "Espera unos minutos antes de volver a intentarlo.",
    }
    # Even a real door link, from the limited address, waits (the budget is per address) …
    assert_limited(
        attacker.post(
            f"/api/v1/events/{door['event_id']}/checkins",
            json={"code": door["codes"][1]},
            headers={"X-Door-Token": door["main"]},
            environ_base=ATTACKER,
        )
    )
    # … while the door at the venue, on another address, scans as always.
    response = venue.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        json={"code": door["codes"][0]},
        headers={"X-Door-Token": door["main"]},
        environ_base=VENUE,
    )
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert venue.get(f"/door/{door['main']}", environ_base=VENUE).status_code == 200


def test_refused_scans_and_bad_requests_never_count(limited, door):
    client = limited.test_client()
    base = f"/api/v1/events/{door['event_id']}"
    good = {"X-Door-Token": door["main"]}
    for _ in range(LIMIT * 3):
        refused = client.post(
            f"{base}/checkins", json={"code": "garbage"}, headers=good, environ_base=ATTACKER
        )
        assert refused.status_code == 200 and refused.get_json()["result"] == "invalid"
        other = client.post(
            f"{base}/checkins",
            json={"code": door["other_code"]},
            headers=good,
            environ_base=ATTACKER,
        )
        assert other.get_json()["result"] == "other_event"
        bad = client.post(f"{base}/checkins", json=[], headers=good, environ_base=ATTACKER)
        assert bad.status_code == 400
        not_undoable = client.post(f"{base}/checkins/999/undo", headers=good, environ_base=ATTACKER)
        assert not_undoable.status_code == 400
    assert client.post(
        f"{base}/checkins", json={"code": door["codes"][0]}, headers=good, environ_base=ATTACKER
    ).get_json()["ok"]
    # The budget is still whole: LIMIT wrong links are answered 403, the next one 429.
    tries = wrong_tries(client, door["event_id"])
    for attempt in tries[:LIMIT]:
        assert attempt().status_code == 403
    assert_limited(tries[LIMIT]())


def test_a_door_link_of_another_event_counts(limited, door):
    client = limited.test_client()
    for _ in range(LIMIT):
        response = client.get(
            f"/api/v1/events/{door['other_event_id']}/stats",
            headers={"X-Door-Token": door["main"]},
            environ_base=ATTACKER,
        )
        assert response.status_code == 403 and response.get_json()["error"] == "wrong_door"
    assert_limited(
        client.get(
            f"/api/v1/events/{door['event_id']}/stats",
            headers={"X-Door-Token": door["main"]},
            environ_base=ATTACKER,
        )
    )


def test_every_door_api_route_checks_the_door_and_counts_failures(app):
    from flask_limiter.util import get_qualified_name

    from eventsvc.extensions import limiter

    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi")
        or rule.endpoint == "checkin.door_page"
    ]
    assert len(routes) >= 5
    with app.app_context():
        for rule in routes:
            view = app.view_functions[rule.endpoint]
            limits = limiter.limit_manager.decorated_limits(get_qualified_name(view))
            assert [str(lim.limit) for lim in limits] == ["30 per 10 minute"], rule.rule
            if rule.endpoint.startswith("api."):
                assert getattr(view, "door_required", False), rule.rule
