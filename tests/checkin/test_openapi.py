"""The OpenAPI document is the door API: it validates the requests, and real answers match it.

Every documented path is routed and every API route is documented; each answer below (each
verdict, undo, search, stats, and the errors 400, 401, 403, 404, 429) is validated against the
schema the document declares for its path, method and status; and the limits the API enforces
on a check-in are read from the document, so changing the document changes the API.
"""

import re

import pytest
from jsonschema import Draft202012Validator

from eventsvc.checkin.models import CheckInResult
from eventsvc.checkin.openapi import OPENAPI, request_errors, resolved
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.rsvps.qr import encode_ticket, signing_key
from eventsvc.rsvps.services import cancel_rsvp

API = "/api/v1"
CHECKIN = "/events/{event_id}/checkins"
UNDO = "/events/{event_id}/checkins/{scan_id}/undo"
SEARCH = "/events/{event_id}/search"
STATS = "/events/{event_id}/stats"


def conforms(response, path: str, method: str) -> dict:
    """Assert the status is documented for the operation and the body matches; return the body."""
    operation = OPENAPI["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}"
    schema = resolved(operation["responses"][status]["content"]["application/json"]["schema"])
    body = response.get_json()
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
    assert errors == [], f"{method.upper()} {path} {status}: {errors} in {body}"
    return body


def test_every_documented_path_is_routed_and_every_api_route_is_documented(app):
    def as_flask(path: str) -> str:
        return API + re.sub(r"\{(\w+)\}", r"<int:\1>", path)

    routed = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API) and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (as_flask(path), method) for path, item in OPENAPI["paths"].items() for method in item
    }
    assert routed == documented


def test_the_served_document_is_the_document(client):
    assert client.get(f"{API}/openapi.json").get_json() == OPENAPI


def test_every_check_in_result_is_in_the_document():
    schema = OPENAPI["components"]["schemas"]["Verdict"]["properties"]["result"]
    assert schema["enum"] == [result.value for result in CheckInResult]


def test_each_verdict_matches_the_document(app, door, scan):
    answers = {}
    answers["ok"] = scan(code=door["codes"][0])
    answers["already_checked_in"] = scan(code=door["codes"][0])
    answers["other_event"] = scan(code=door["other_code"])
    answers["invalid"] = scan(code="not a ticket")
    with app.app_context():
        ticket = db.session.get(Ticket, door["tickets"][1])
        unknown = encode_ticket(
            event_id=door["event_id"],
            ticket_id=ticket.id + 999,
            seed=bytes.fromhex(ticket.secret),
            private_key=signing_key(app.config),
        )
        ticket.secret = "00" * 6  # re-issued: the printed code is an old one
        db.session.commit()
    answers["unknown"] = scan(code=unknown)
    answers["replaced"] = scan(code=door["codes"][1])
    with app.app_context():
        cancel_rsvp(db.session.get(Rsvp, door["rsvp_id"]))
        db.session.commit()
    answers["cancelled"] = scan(code=door["codes"][2])
    for expected, response in answers.items():
        assert response.status_code == 200
        assert conforms(response, CHECKIN, "post")["result"] == expected


def test_undo_search_and_stats_match_the_document(client, door, scan):
    headers = {"X-Door-Token": door["main"]}
    base = f"{API}/events/{door['event_id']}"
    admitted = scan(code=door["codes"][0]).get_json()
    found = conforms(client.get(f"{base}/search?q=jose", headers=headers), SEARCH, "get")
    assert [t["checked_in"] for t in found["results"][0]["tickets"]] == [True, False, False]
    assert conforms(client.get(f"{base}/stats", headers=headers), STATS, "get") == {
        "checked_in": 1,
        "confirmed": 3,
    }
    undone = client.post(f"{base}/checkins/{admitted['scan_id']}/undo", headers=headers)
    assert conforms(undone, UNDO, "post")["result"] == "undone"
    assert conforms(client.get(f"{base}/search", headers=headers), SEARCH, "get") == {"results": []}


def test_error_answers_match_the_document(client, door, scan, create_staff_user, auth):
    base = f"{API}/events/{door['event_id']}"
    assert conforms(scan(code=1), CHECKIN, "post")["error"] == "bad_request"
    assert client.post(f"{base}/checkins", json={"code": "x"}).status_code == 401
    assert conforms(client.post(f"{base}/checkins", json={"code": "x"}), CHECKIN, "post")
    refused = scan(code="x", token="not-a-door-link-" + "x" * 16)
    assert conforms(refused, CHECKIN, "post")["error"] == "door_unknown"
    wrong = client.get(f"{base}/stats", headers={"X-Door-Token": door["elsewhere"]})
    assert conforms(wrong, STATS, "get")["error"] == "wrong_door"
    too_long = client.get(f"{base}/search?q=" + "a" * 101, headers={"X-Door-Token": door["main"]})
    assert conforms(too_long, SEARCH, "get")["error"] == "bad_request"
    not_undoable = client.post(
        f"{base}/checkins/999999/undo", headers={"X-Door-Token": door["main"]}
    )
    assert not_undoable.status_code in (400, 404)
    conforms(not_undoable, UNDO, "post")
    create_staff_user(email="door@example.org")
    auth.login("door@example.org", "correct horse battery")
    missing = client.get(f"{API}/events/999999/stats")
    assert missing.status_code == 404
    assert conforms(missing, STATS, "get")["error"] == "not_found"


def test_a_rate_limited_answer_matches_the_document(make_app, door):
    limited = make_app(TOKEN_LOOKUP_LIMIT="1 per minute").test_client()
    base = f"{API}/events/{door['event_id']}"
    bad = {"X-Door-Token": "not-a-door-link-" + "x" * 16}
    assert limited.get(f"{base}/stats", headers=bad).status_code == 403
    answer = limited.get(f"{base}/stats", headers=bad)
    assert answer.status_code == 429
    assert conforms(answer, STATS, "get")["error"] == "rate_limited"


# --- the document's request rules are the API's ---------------------------------------------


SCHEMA = OPENAPI["components"]["schemas"]["CheckInRequest"]["properties"]


def test_the_longest_code_the_document_allows_is_read_and_one_more_is_refused(door, scan):
    longest = SCHEMA["code"]["maxLength"]
    assert scan(code="x" * longest).get_json()["result"] == "invalid"
    refused = scan(code="x" * (longest + 1))
    assert refused.status_code == 400
    assert refused.get_json()["message"] == "This is not a ticket code: it is too long."


def test_scan_ids_follow_the_documents_length_and_characters(door, scan):
    shortest, longest = SCHEMA["client_scan_id"]["minLength"], SCHEMA["client_scan_id"]["maxLength"]
    assert scan(code="x", client_scan_id="a" * shortest).status_code == 200
    assert scan(code="x", client_scan_id="b" * longest).status_code == 200
    for wrong in ("a" * (shortest - 1), "c" * (longest + 1), "abcdefgh\n", "abcdefgh ijk"):
        answer = scan(code="x", client_scan_id=wrong)
        assert answer.status_code == 400, repr(wrong)
        assert "client_scan_id" in answer.get_json()["message"]


def test_ticket_ids_follow_the_documents_range(door, scan):
    largest = SCHEMA["ticket_id"]["maximum"]
    assert scan(ticket_id=largest).get_json()["result"] == "unknown"
    for wrong in (0, largest + 1, 5.0, True, "5"):
        assert scan(ticket_id=wrong).status_code == 400, repr(wrong)


def test_a_field_sent_as_null_counts_as_absent(door, scan):
    answer = scan(code=door["codes"][0], ticket_id=None, client_scan_id=None, scanned_at=None)
    assert answer.get_json()["result"] == "ok"


def test_request_errors_name_the_field_and_the_rule():
    assert request_errors("CheckInRequest", {"code": 5}) == [("code", "type")]
    assert request_errors("CheckInRequest", {}) == [(None, "oneOf")]
    assert request_errors("CheckInRequest", {"code": "x", "ticket_id": 1}) == [(None, "oneOf")]
    assert request_errors("CheckInRequest", {"ticket_id": 7, "client_scan_id": "a" * 8}) == []


def test_the_api_follows_a_changed_document(app, door, scan, monkeypatch):
    # The view asks the document, not a copy of its numbers: a tighter document refuses more.
    from eventsvc.checkin import openapi

    monkeypatch.setitem(SCHEMA["code"], "maxLength", 10)
    openapi.request_validator.cache_clear()
    try:
        assert scan(code="x" * 11).status_code == 400
    finally:
        monkeypatch.undo()
        openapi.request_validator.cache_clear()
    assert scan(code="x" * 11).status_code == 200


@pytest.mark.parametrize("path", sorted(OPENAPI["paths"]))
def test_every_answer_the_document_lists_has_a_schema(path):
    for operation in OPENAPI["paths"][path].values():
        for status, answer in operation["responses"].items():
            assert "schema" in answer["content"]["application/json"], (path, status)
