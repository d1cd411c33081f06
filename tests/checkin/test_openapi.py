"""The OpenAPI document is the door API's contract: real answers match it, its rules are the API's.

Every documented operation is routed and every API route is documented. For every answer the
document lists (each status of each operation, and each verdict of a check-in) a real request
through the test client gets that answer, and its body and headers must match what the
document, as /api/v1/openapi.json serves it, declares for that path, method and status: an
answer that drifts from the document fails here. The API's request rules are read from the
document: a tighter document refuses more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from eventsvc.auth.models import Role
from eventsvc.checkin import api_schema
from eventsvc.checkin.models import CheckInResult
from eventsvc.checkin.openapi import OPENAPI
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.event_changes import cancel_event
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.rsvps.services import RsvpData, cancel_rsvp, submit_rsvp

API = "/api/v1"
CHECKIN = "/events/{event_id}/checkins"
UNDO = "/events/{event_id}/checkins/{scan_id}/undo"
SEARCH = "/events/{event_id}/search"
STATS = "/events/{event_id}/stats"
SNAPSHOT = "/events/{event_id}/snapshot"
WALKINS = "/events/{event_id}/walkins"
OPERATIONS = [(path, method) for path, item in OPENAPI["paths"].items() for method in item]
UNKNOWN_DOOR = "not-a-door-link-" + "x" * 16
SERVED = "urn:test:served-door-api"

#: RFC 3339 date-time (jsonschema checks the format only with a package we do not install).
FORMATS = FormatChecker()
RFC_3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if isinstance(value, str):
        if not RFC_3339.fullmatch(value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@pytest.fixture
def document(client) -> dict:
    """Return the document as a client reads it."""
    return client.get(f"{API}/openapi.json").get_json()


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def documented_error_codes(document: dict) -> dict[str, set[str]]:
    """Return the error codes the Error schema lists, by status: {"400": {"bad_request", …}}."""
    text = document["components"]["schemas"]["Error"]["properties"]["error"]["description"]
    return {
        status: set(re.findall(r"[a-z_]+", codes))
        for codes, status in re.findall(r"([a-z_, ]+) \((\d{3})\)", text)
    }


def conforms(document: dict, response, path: str, method: str) -> dict:
    """Assert the answer is one the document lists for the operation and matches it; return it."""
    where = f"{method.upper()} {path} {response.status_code}"
    status = str(response.status_code)
    answers = document["paths"][path][method]["responses"]
    assert status in answers, f"{where}: the document lists only {sorted(answers)}"
    answer = answers[status]
    if status == "304":
        assert response.get_data() == b"", f"{where}: a body"
        return {}
    for name, header in answer.get("headers", {}).items():
        value = response.headers.get(name)
        assert value is not None or not header.get("required"), f"{where}: no {name} header"
        if value is not None and header["schema"]["type"] == "integer":
            assert value.isdigit(), f"{where}: {name}: {value!r} is not an integer"
    assert response.mimetype in answer["content"], f"{where}: {response.mimetype}"
    schema = _pointer("paths", path, method, "responses", status, "content", "application/json")
    registry = Registry().with_resource(SERVED, DRAFT202012.create_resource(document))
    validator = Draft202012Validator(
        {"$ref": f"{SERVED}#{schema}/schema"}, registry=registry, format_checker=FORMATS
    )
    body = response.get_json()
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
    assert errors == [], f"{where}: {errors} in {body}"
    if status != "200":
        assert body["error"] in documented_error_codes(document)[status], f"{where}: {body}"
    return body


# --- the document and the routes -----------------------------------------------------------------


def test_every_documented_operation_is_routed_and_every_api_route_is_documented(app):
    def as_flask(path: str) -> str:
        return API + re.sub(r"\{(\w+)\}", r"<int:\1>", path)

    routed = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{API}/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == {(as_flask(path), method) for path, method in OPERATIONS}


def test_the_served_document_is_the_document_and_openapi_3_1(document):
    assert document == OPENAPI and document["openapi"].startswith("3.1.")


def _schemas(node):
    """Yield every schema the document holds (components, parameters, bodies, answers)."""
    if isinstance(node, dict):
        if isinstance(node.get("schema"), dict):
            yield node["schema"]
        for key, value in node.items():
            if key != "schema":
                yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_every_schema_in_the_document_is_json_schema_2020_12(document):
    schemas = [*document["components"]["schemas"].values(), *_schemas(document["paths"])]
    assert len(schemas) > 20
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


# --- every answer the document lists is real and matches it --------------------------------------


class Caller:
    """Make real requests to the operations of the document, from a door or a staff session."""

    def __init__(self, app, client, door, make_app, create_staff_user):
        self.app, self.client, self.door = app, client, door
        self.make_app, self.create_staff_user = make_app, create_staff_user

    def request(self, path, method, *, token="main", client=None, event_id=None, scan_id=1, **kw):
        """Call an operation with the door link named token (a key of door, a raw token, None).

        A check-in sends the party's first code and a search looks for "jose", unless told.
        """
        url = API + path.format(event_id=event_id or self.door["event_id"], scan_id=scan_id)
        headers = {} if token is None else {"X-Door-Token": self.door.get(token, token)}
        headers |= kw.pop("headers", {})
        if path == CHECKIN and "json" not in kw and "data" not in kw:
            kw["json"] = {"code": self.door["codes"][0]}
        if path == WALKINS and "json" not in kw and "data" not in kw:
            kw["json"] = {"party_size": 2, "client_scan_id": "walk-in-0001"}
        if path == SEARCH:
            kw.setdefault("query_string", {"q": "jose"})
        return (client or self.client).open(url, method=method.upper(), headers=headers, **kw)

    def scan(self, **body):
        """Check in through the main door with body."""
        return self.request(CHECKIN, "post", json=body)

    def staff(self, *, csrf: bool = False):
        """Return a client logged in as a volunteer; with csrf, on an app that checks CSRF."""
        user = self.create_staff_user(role=Role.volunteer, name="Rosa at the door")
        client = self.app.test_client()
        client.post("/login", data={"email": user["email"], "password": user["password"]})
        if not csrf:
            return client
        strict = self.make_app().test_client()  # CSRF on, the same secret key
        strict.set_cookie("session", client.get_cookie("session").value)
        return strict

    def change(self, change: Callable[[], None]) -> None:
        """Run change in an app context and commit it."""
        with self.app.app_context():
            change()
            db.session.commit()


@pytest.fixture
def api(app, client, door, make_app, create_staff_user):
    return Caller(app, client, door, make_app, create_staff_user)


# Answers every operation gives.


def unauthorized(api, path, method):
    return api.request(path, method, token=None)


def unknown_door(api, path, method):
    return api.request(path, method, token=UNKNOWN_DOOR)


def wrong_door(api, path, method):
    return api.request(path, method, token="elsewhere")


def no_such_event(api, path, method):
    return api.request(path, method, token=None, client=api.staff(), event_id=999_999)


def rate_limited(api, path, method):
    limited = api.make_app(TOKEN_LOOKUP_LIMIT="1 per minute").test_client()
    assert api.request(path, method, token=UNKNOWN_DOOR, client=limited).status_code == 403
    return api.request(path, method, token=UNKNOWN_DOOR, client=limited)


# Answers every POST gives.


def staff_without_csrf(api, path, method):
    return api.request(path, method, token=None, client=api.staff(csrf=True))


def form_too_large(api, path, method):
    return api.request(path, method, data={f"field{n}": "x" for n in range(301)})


# Answers of one operation.


def code_not_text(api, path, method):
    return api.request(path, method, json={"code": 5})


def not_json(api, path, method):
    return api.request(path, method, data="[", content_type="application/json")


def scan_id_reused(api, path, method):
    assert api.scan(code=api.door["codes"][0], client_scan_id="scan-0001").status_code == 200
    return api.scan(code=api.door["codes"][1], client_scan_id="scan-0001")


def undone(api, path, method):
    admitted = api.scan(code=api.door["codes"][0]).get_json()
    return api.request(path, method, scan_id=admitted["scan_id"])


def not_undoable(api, path, method):
    return api.request(path, method, scan_id=999_999)


def found_confirmed_and_waitlisted(api, path, method):
    assert api.scan(code=api.door["codes"][0]).get_json()["ok"]

    def fill_the_event_and_wait():
        event = db.session.get(Event, api.door["event_id"])
        for n, size in enumerate([4, 4, 4, 4, 1, 2]):  # 3 seats are taken, 20 in all
            party = RsvpData(f"Josefa {n}", f"josefa{n}@example.org", None, "es", size)
            last = submit_rsvp(event, party).rsvp
        assert last.is_waitlisted

    api.change(fill_the_event_and_wait)
    response = api.request(path, method)
    results = response.get_json()["results"]
    assert {r["status"] for r in results} == {"confirmed", "waitlisted"}
    tickets = [t for r in results for t in r["tickets"]]
    assert {t["checked_in_time"] is None for t in tickets} == {True, False}
    return response


def search_too_long(api, path, method):
    return api.request(path, method, query_string={"q": "a" * 101})


def snapshot_of_every_ticket(api, path, method):
    response = api.request(path, method)
    body = response.get_json()
    assert body["full"] is True and len(body["tickets"]) == body["count"] > 0
    return response


def snapshot_changes_since(api, path, method):
    first = api.request(path, method).get_json()
    assert api.scan(code=api.door["codes"][0]).get_json()["ok"]
    response = api.request(path, method, query_string={"since": first["revision"]})
    assert response.get_json()["full"] is False
    return response


def snapshot_unchanged(api, path, method):
    etag = api.request(path, method).headers["ETag"]
    return api.request(path, method, headers={"If-None-Match": etag})


def since_too_long(api, path, method):
    return api.request(path, method, query_string={"since": "x" * 65})


def counted(api, path, method):
    assert api.scan(code=api.door["codes"][0]).get_json()["ok"]
    return api.request(path, method)


def event_cancelled(api, path, method):
    api.change(lambda: cancel_event(db.session.get(Event, api.door["event_id"])))
    return api.request(path, method)


def event_draft(api, path, method):
    api.change(lambda: setattr(db.session.get(Event, api.door["event_id"]), "status", "draft"))
    return api.request(path, method, token=None, client=api.staff())


def walked_in(api, path, method):
    response = api.request(path, method, json={"party_size": 2, "client_scan_id": "walk-0001"})
    assert response.get_json()["replay"] is False
    return response


def walked_in_again(api, path, method):
    body = {"party_size": 1, "client_scan_id": "walk-0002", "first_name": "Rosa"}
    assert api.request(path, method, json=body).status_code == 200
    return api.request(path, method, json=body)


def walk_in_of_nobody(api, path, method):
    return api.request(path, method, json={"party_size": 0, "client_scan_id": "walk-0003"})


def walk_in_too_large(api, path, method):
    return api.request(path, method, json={"party_size": 6, "client_scan_id": "walk-0004"})


def walk_in_after_the_event(api, path, method):
    def end_an_hour_ago():
        event = db.session.get(Event, api.door["event_id"])
        event.start_dt, event.end_dt = (
            utc_now() - timedelta(hours=3),
            utc_now() - timedelta(hours=1),
        )

    api.change(end_an_hour_ago)
    return api.request(path, method)


def walk_in_id_used_elsewhere(api, path, method):
    body = {"party_size": 1, "client_scan_id": "walk-0005"}
    other = api.request(
        path, method, json=body, token="elsewhere", event_id=api.door["other_event_id"]
    )
    assert other.status_code == 200
    return api.request(path, method, json=body)


def walk_in_at_a_full_event(api, path, method):
    api.change(lambda: setattr(db.session.get(Event, api.door["event_id"]), "capacity", 4))
    return api.request(path, method)


EVERY_OPERATION = [
    (401, "unauthorized", unauthorized),
    (403, "door_unknown", unknown_door),
    (403, "wrong_door", wrong_door),
    (403, "event_cancelled", event_cancelled),
    (403, "event_draft", event_draft),
    (404, "not_found", no_such_event),
    (429, "rate_limited", rate_limited),
]
EVERY_POST = [(400, "csrf_failed", staff_without_csrf), (413, "too_large", form_too_large)]
#: Each operation's own answers; a check-in's 200 is each verdict (test_each_verdict…).
OWN = {
    (CHECKIN, "post"): [
        (400, "bad_request", code_not_text),
        (400, "bad_request", not_json),
        (400, "duplicate_scan_id", scan_id_reused),
    ],
    (UNDO, "post"): [(200, None, undone), (400, "not_undoable", not_undoable)],
    (SEARCH, "get"): [
        (200, None, found_confirmed_and_waitlisted),
        (400, "bad_request", search_too_long),
    ],
    (STATS, "get"): [(200, None, counted)],
    (WALKINS, "post"): [
        (200, None, walked_in),
        (200, None, walked_in_again),
        (400, "bad_request", walk_in_of_nobody),
        (400, "party_too_large", walk_in_too_large),
        (400, "closed", walk_in_after_the_event),
        (400, "duplicate_scan_id", walk_in_id_used_elsewhere),
        (409, "full", walk_in_at_a_full_event),
    ],
    (SNAPSHOT, "get"): [
        (200, None, snapshot_of_every_ticket),
        (200, None, snapshot_changes_since),
        (304, None, snapshot_unchanged),
        (400, "bad_request", since_too_long),
    ],
}


def answers():
    for path, method in OPERATIONS:
        every = EVERY_OPERATION + (EVERY_POST if method == "post" else [])
        for status, error, make in OWN[(path, method)] + every:
            name = f"{method.upper()} {path} {status} {make.__name__}"
            yield pytest.param(path, method, status, error, make, id=name)


@pytest.mark.parametrize(("path", "method", "status", "error", "make"), list(answers()))
def test_each_answer_the_document_lists_is_real_and_matches_it(
    api, document, path, method, status, error, make
):
    response = make(api, path, method)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = conforms(document, response, path, method)
    if error is not None:
        assert body["error"] == error


# Each verdict of a check-in.


def _first_code(api):
    return api.scan(code=api.door["codes"][0])


def _scanned_again(api):
    assert _first_code(api).get_json()["ok"]
    return _first_code(api)


def _scanned_twice(api, **body):
    first = api.scan(**body, client_scan_id="scan-0002")
    assert first.get_json()["replay"] is False
    again = api.scan(**body, client_scan_id="scan-0002")
    assert again.get_json()["replay"] is True
    return again


def _after(change, scan):
    """Return a verdict maker that changes the database, then scans."""

    def make(api):
        api.change(lambda: change(api))
        return scan(api)

    return make


def _cancel(api):
    cancel_rsvp(db.session.get(Rsvp, api.door["rsvp_id"]))


def _reissue(api):
    db.session.get(Ticket, api.door["tickets"][0]).secret = "ab" * 6


def _next_week(api):
    event = db.session.get(Event, api.door["event_id"])
    event.start_dt += timedelta(days=7)
    event.end_dt += timedelta(days=7)


def _purge_other_event(api):
    db.session.get(Event, api.door["other_event_id"]).purged_dt = utc_now()


VERDICTS = {
    "ok": ("ok", _first_code),
    "ok by ticket id": ("ok", lambda api: api.scan(ticket_id=api.door["tickets"][1])),
    "ok sent again": ("ok", lambda api: _scanned_twice(api, code=api.door["codes"][0])),
    "ok to a staff member": (
        "ok",
        lambda api: api.request(CHECKIN, "post", token=None, client=api.staff()),
    ),
    "already_checked_in": ("already_checked_in", _scanned_again),
    "invalid": ("invalid", lambda api: api.scan(code="not a ticket")),
    "invalid sent again": ("invalid", lambda api: _scanned_twice(api, code="not a ticket")),
    "other_event": ("other_event", lambda api: api.scan(code=api.door["other_code"])),
    "unknown": ("unknown", lambda api: api.scan(ticket_id=2**31 - 1)),
    "cancelled": ("cancelled", _after(_cancel, _first_code)),
    "replaced": ("replaced", _after(_reissue, _first_code)),
    "wrong_day": ("wrong_day", _after(_next_week, _first_code)),
    "expired": (
        "expired",
        _after(_purge_other_event, lambda api: api.scan(code=api.door["other_code"])),
    ),
}
#: A waitlisted party has no tickets yet, so no scan finds one: check_in() never answers it.
NEVER_ANSWERED = {CheckInResult.waitlisted}


@pytest.mark.parametrize(("result", "make"), list(VERDICTS.values()), ids=list(VERDICTS))
def test_each_verdict_is_real_and_matches_the_document(api, document, result, make):
    response = make(api)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert conforms(document, response, CHECKIN, "post")["result"] == result


def test_the_tests_above_make_every_answer_and_verdict_the_document_lists(document):
    made = {
        (path, method, str(status)) for path, method, status, *_ in (p.values for p in answers())
    }
    made.add((CHECKIN, "post", "200"))  # the verdicts
    listed = {
        (path, method, status)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status in operation["responses"]
    }
    assert made == listed
    verdicts = {result for result, _make in VERDICTS.values()}
    assert verdicts == set(CheckInResult) - NEVER_ANSWERED
    assert set(document["components"]["schemas"]["Verdict"]["properties"]["result"]["enum"]) == {
        result.value for result in CheckInResult
    }


# --- the document's request rules are the API's -----------------------------------------------


CHECK_IN_FIELDS = OPENAPI["components"]["schemas"]["CheckInRequest"]["properties"]


def test_bodies_the_document_allows_get_a_verdict(api, document):
    request = document["components"]["schemas"]["CheckInRequest"]
    bodies = [
        {"code": api.door["codes"][0], "ticket_id": None, "client_scan_id": None},
        {"ticket_id": api.door["tickets"][1], "code": None, "scanned_at": None, "other": [1]},
        {"code": "x" * 512, "client_scan_id": "a" * 8, "scanned_at": "2026-07-04T19:30:00Z"},
        {"ticket_id": 2**31 - 1, "client_scan_id": "A-z_0.9:" * 8},
    ]
    for body in bodies:
        assert list(Draft202012Validator(request).iter_errors(body)) == []
        answer = api.scan(**body)
        assert answer.status_code == 200, (body, answer.get_json())


def test_a_body_breaking_several_rules_is_told_the_first_the_document_writes(api):
    told = {
        "Send a JSON object.": [[{"code": 5}]],
        "Send either a code or a ticket_id.": [
            {"code": "x", "ticket_id": 0, "client_scan_id": 5},
            {"code": None, "ticket_id": None, "scanned_at": 5},
        ],
        "The code must be text.": [{"code": 5, "client_scan_id": "bad", "scanned_at": 5}],
        "This is not a ticket code: it is too long.": [{"code": "x" * 513, "scanned_at": 5}],
        "ticket_id must be a whole number from 1 to 2147483647.": [
            {"ticket_id": 0, "client_scan_id": "bad", "scanned_at": 5}
        ],
        "client_scan_id must be 8 to 64 letters, digits or - _ . : (a UUID).": [
            {"ticket_id": 1, "client_scan_id": "abcdefgh\n", "scanned_at": "yesterday"}
        ],
    }
    for message, bodies in told.items():
        for body in bodies:
            answer = api.request(CHECKIN, "post", json=body)
            assert answer.status_code == 400
            assert answer.get_json() == {"error": "bad_request", "message": message}, body


def test_each_field_of_a_check_in_has_a_message_of_its_own(api):
    messages = set()
    for field in CHECK_IN_FIELDS:
        # An object is no field's type; the other of code and ticket_id keeps the body whole.
        body = {field: {}} if field in ("code", "ticket_id") else {"code": "x", field: {}}
        answer = api.request(CHECKIN, "post", json=body)
        assert answer.status_code == 400, field
        messages.add(answer.get_json()["message"])
    assert len(messages) == len(CHECK_IN_FIELDS)
    assert messages.isdisjoint({"Send a JSON object.", "Send either a code or a ticket_id."})


@pytest.fixture
def changed_document(monkeypatch):
    """Let a test change the document; the validators are made from it again, then after it."""
    api_schema._schema.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    api_schema._schema.cache_clear()


def test_the_api_reads_its_limits_from_the_document(api, changed_document):
    search_q = OPENAPI["paths"][SEARCH]["get"]["parameters"][1]
    assert search_q["name"] == "q"
    changed_document.setitem(CHECK_IN_FIELDS["code"], "maxLength", 10)
    changed_document.setitem(CHECK_IN_FIELDS["client_scan_id"], "maxLength", 20)
    changed_document.setitem(CHECK_IN_FIELDS["ticket_id"], "maximum", 1000)
    changed_document.setitem(search_q["schema"], "maxLength", 5)
    assert api.scan(code="x" * 10).get_json()["result"] == "invalid"
    assert api.scan(code="x" * 11).get_json()["message"].endswith("it is too long.")
    assert api.scan(code="x", client_scan_id="a" * 21).get_json()["error"] == "bad_request"
    assert api.scan(ticket_id=1001).get_json()["error"] == "bad_request"
    assert api.request(SEARCH, "get", query_string={"q": "josef"}).status_code == 200
    assert api.request(SEARCH, "get", query_string={"q": "josefa"}).status_code == 400


def test_a_device_time_the_document_allows_is_still_checked_as_a_time(api):
    # The document says printable ASCII of at most 64 characters; a time it must also be.
    for scanned_at in ("yesterday", "2026-07-04T19:30:00", "0000-01-01T00:00:00Z"):
        answer = api.scan(code="x", scanned_at=scanned_at)
        assert answer.status_code == 400 and "scanned_at" in answer.get_json()["message"]
    later = (utc_now() + timedelta(days=2)).isoformat()  # a clock far off: the server's time
    assert api.scan(code=api.door["codes"][0], scanned_at=later).get_json()["ok"]
