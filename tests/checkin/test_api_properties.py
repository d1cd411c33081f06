"""Property tests of the door API: whatever a client sends, a documented answer, never a 5xx.

Hypothesis makes the bodies (any JSON value in any field, raw bytes), the ids in the path and
the name searches; every answer must be a verdict (200) or one of the documented errors, with a
message in the caller's language, and a refused scan must never log a ticket.
"""

import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.openapi import OPENAPI
from eventsvc.extensions import db

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no example files in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VERDICTS = set(OPENAPI["components"]["schemas"]["Verdict"]["properties"]["result"]["enum"])
#: Error codes the description of the Error schema documents.
DOCUMENTED_ERRORS = {
    "bad_request",
    "duplicate_scan_id",
    "not_undoable",
    "csrf_failed",
    "unauthorized",
    "door_expired",
    "door_revoked",
    "door_unknown",
    "wrong_door",
    "not_found",
    "method_not_allowed",
    "rate_limited",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**31 - 2, max_value=2**31 + 2)
    | st.integers(min_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(st.characters(codec="utf-8"), min_size=500, max_size=700)
    | st.sampled_from(["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "\0", "\ud800"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["code", "ticket_id", "client_scan_id", "scanned_at"]
languages = st.sampled_from(["en", "es", "es-MX", "fr", "", "*", "xx;q=abc", "\x7f"])


def assert_documented(response, *, verdict=True):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)[:200]
    if response.status_code == 200 and not verdict:
        return
    if response.status_code == 200:
        assert body["result"] in VERDICTS and body["message"]
        if not body["ok"]:
            assert body["scan_id"] is None or body["replay"] is not None
    else:
        assert str(response.status_code) in OPENAPI["paths"]["/events/{event_id}/checkins"]["post"][
            "responses"
        ] or response.status_code in (404, 405)
        assert body["error"] in DOCUMENTED_ERRORS and body["message"]


def refusals_log_no_ticket(app):
    with app.app_context():
        refused = db.session.scalars(select(CheckIn.ticket_id).where(CheckIn.result != "ok")).all()
    assert set(refused) <= {None}


@EXAMPLES
@given(
    body=st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values))
    | st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    language=languages,
    real_code=st.integers(min_value=-1, max_value=3),
)
def test_any_json_body_gets_a_verdict_or_a_documented_error(
    app, client, door, body, language, real_code
):
    if real_code >= 0 and "code" in body:
        body["code"] = (door["codes"] + [door["other_code"]])[real_code]
    response = client.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        data=json.dumps(body),  # ASCII escapes: lone surrogates travel as \ud800
        content_type="application/json",
        headers={"X-Door-Token": door["main"], "Accept-Language": language},
    )
    assert_documented(response)
    refusals_log_no_ticket(app)


@EXAMPLES
@given(data=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_bytes_get_a_documented_error(app, client, door, data):
    response = client.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        data=data,
        content_type="application/json",
        headers={"X-Door-Token": door["main"]},
    )
    assert_documented(response)


@EXAMPLES
@given(
    event_id=st.integers(min_value=0) | st.integers(min_value=2**31 - 1, max_value=2**63),
    scan_id=st.integers(min_value=0) | st.integers(min_value=2**31 - 1, max_value=2**63),
    own_event=st.booleans(),
)
def test_any_ids_in_the_path_are_answered(app, client, door, event_id, scan_id, own_event):
    event_id = door["event_id"] if own_event else event_id
    headers = {"X-Door-Token": door["main"]}
    for response in (
        client.post(f"/api/v1/events/{event_id}/checkins/{scan_id}/undo", headers=headers),
        client.get(f"/api/v1/events/{event_id}/stats", headers=headers),
    ):
        assert_documented(response, verdict=False)


@EXAMPLES
@given(query=st.text(max_size=150), language=languages)
def test_any_search_is_answered(app, client, door, query, language):
    response = client.get(
        f"/api/v1/events/{door['event_id']}/search",
        query_string={"q": query.encode("utf-8", "surrogatepass")},
        headers={"X-Door-Token": door["main"], "Accept-Language": language},
    )
    assert response.status_code in (200, 400), response.status_code
    body = response.get_json()
    assert "results" in body or body["error"] == "bad_request"
    for person in body.get("results", []):
        assert person["rsvp_id"] == door["rsvp_id"]  # never another event's attendee


@EXAMPLES
@given(token=st.text(max_size=100))
def test_any_door_link_is_answered(app, client, token):
    response = client.get("/door/" + quote(token.encode("utf-8", "surrogatepass"), safe=""))
    # 403 (not valid), 404 (an empty token), 308 ("//" merged), 429 (too many failed tries).
    assert response.status_code in (308, 403, 404, 429), response.status_code
