"""The door API and door pages answer any input with their documented JSON error, never a 5xx.

Each input here once gave (or could give) a 500 on SQLite or PostgreSQL: integers past what
the id columns hold, times out of range, over-long and non-text fields, NUL bytes and lone
surrogates, JSON of the wrong shape, size or depth. Every one is answered in the caller's
language and leaves the scan log empty.
"""

import json

import pytest
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.checkin.models import CheckIn
from eventsvc.db import utc_now
from eventsvc.extensions import db

SEND_EITHER = "Send either a code or a ticket_id."
NOT_TEXT = "The code must be text."
TOO_LONG_CODE = "This is not a ticket code: it is too long."
BAD_TICKET_ID = "ticket_id must be a whole number from 1 to 2147483647."
BAD_SCAN_ID = "client_scan_id must be 8 to 64 letters, digits or - _ . : (a UUID)."
BAD_TIME = "scanned_at must be an ISO 8601 time with its offset, like 2026-07-04T19:30:00Z."
NOT_JSON = "Send a JSON object."
TOO_LARGE = "The request is too large."


def log(app):
    with app.app_context():
        return [(c.result, c.ticket_id) for c in db.session.scalars(select(CheckIn))]


def post_raw(client, door, data, *, content_type="application/json", headers=None):
    return client.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        data=data,
        content_type=content_type,
        headers={"X-Door-Token": door["main"], **(headers or {})},
    )


def assert_bad_request(response, message):
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json() == {"error": "bad_request", "message": message}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ticket_id": 10**30}, BAD_TICKET_ID),  # OverflowError on SQLite
        ({"ticket_id": 2**31}, BAD_TICKET_ID),  # past PostgreSQL's integer
        ({"ticket_id": -(2**63)}, BAD_TICKET_ID),
        ({"ticket_id": 0}, BAD_TICKET_ID),
        ({"ticket_id": -1}, BAD_TICKET_ID),
        ({"ticket_id": True}, BAD_TICKET_ID),  # a bool is an int in Python
        ({"ticket_id": False}, BAD_TICKET_ID),
        ({"ticket_id": 1.0}, BAD_TICKET_ID),
        ({"ticket_id": "1"}, BAD_TICKET_ID),
        ({"ticket_id": [1]}, BAD_TICKET_ID),
        ({"ticket_id": {"id": 1}}, BAD_TICKET_ID),
        ({"code": "A" * 5000}, TOO_LONG_CODE),
        ({"code": "A" * 513}, TOO_LONG_CODE),
        ({"code": 5}, NOT_TEXT),
        ({"code": True}, NOT_TEXT),
        ({"code": ["A"]}, NOT_TEXT),
        ({"code": {"A": 1}}, NOT_TEXT),
        ({"code": None, "ticket_id": None}, SEND_EITHER),
        ({"code": "x", "ticket_id": 1}, SEND_EITHER),
        ({}, SEND_EITHER),
        ({"code": "x", "client_scan_id": "\0" * 16}, BAD_SCAN_ID),  # NUL: PostgreSQL refuses it
        ({"code": "x", "client_scan_id": "José Ñúñez 2026"}, BAD_SCAN_ID),
        ({"code": "x", "client_scan_id": "a" * 65}, BAD_SCAN_ID),
        ({"code": "x", "client_scan_id": "short"}, BAD_SCAN_ID),
        ({"code": "x", "client_scan_id": 12345678}, BAD_SCAN_ID),
        ({"code": "x", "client_scan_id": ["a" * 16]}, BAD_SCAN_ID),
        ({"code": "x", "scanned_at": "0000-01-01T00:00:00Z"}, BAD_TIME),  # year 0
        ({"code": "x", "scanned_at": "99999-01-01T00:00:00Z"}, BAD_TIME),  # year 99999
        ({"code": "x", "scanned_at": "0001-01-01T00:00:00+14:00"}, BAD_TIME),  # year 0 in UTC
        ({"code": "x", "scanned_at": "9999-12-31T23:59:59-14:00"}, BAD_TIME),  # year 10000
        ({"code": "x", "scanned_at": "2026-07-04T19:30:00" + "0" * 10_000}, BAD_TIME),
        ({"code": "x", "scanned_at": "2026-07-04T19:30:00"}, BAD_TIME),  # no offset
        ({"code": "x", "scanned_at": "yesterday"}, BAD_TIME),
        ({"code": "x", "scanned_at": 20260704}, BAD_TIME),  # a number
        ({"code": "x", "scanned_at": 1.5e300}, BAD_TIME),
        ({"code": "x", "scanned_at": True}, BAD_TIME),
        ({"code": "x", "scanned_at": ["2026-07-04T19:30:00Z"]}, BAD_TIME),
        ({"code": "x", "scanned_at": "2026-07-04T19:30:00\0Z"}, BAD_TIME),
    ],
)
def test_wrong_fields_are_400_with_a_message_and_log_nothing(app, scan, body, message):
    assert_bad_request(scan(**body), message)
    assert log(app) == []


@pytest.mark.parametrize(
    "data",
    [
        "",
        "null",
        "true",
        "1",
        '"code"',
        "[]",
        '[{"code": "x"}]',
        "{",
        '{"code": "x"',
        '{"ticket_id": NaN}',
        '{"ticket_id": Infinity}',
        '{"ticket_id": 1' + "0" * 5000 + "}",  # past Python's digit limit for int()
        b'{"code": "\xff\xfe"}',  # not UTF-8
        b"\xff\xfe{\x00}\x00",
        "[" * 7000 + "]" * 7000,  # deeper than Python's json recurses (RecursionError)
        '{"code": ' + "[" * 7000 + "]" * 7000 + "}",
    ],
    ids=lambda d: repr(d[:20]) + f"…{len(d)}",
)
def test_bodies_that_are_not_a_json_object_are_400(app, client, door, data):
    assert_bad_request(post_raw(client, door, data), NOT_JSON)
    assert log(app) == []


def test_json_nested_100_000_deep_is_400(app, client, door):
    response = post_raw(client, door, "[" * 100_000 + "]" * 100_000)
    assert_bad_request(response, TOO_LARGE)
    response = post_raw(client, door, '{"code": ' + "{" * 100_000)
    assert_bad_request(response, TOO_LARGE)
    assert log(app) == []


def test_a_body_over_16_kb_is_400(app, client, door):
    body = json.dumps({"code": door["codes"][0], "padding": "x" * 20_000})
    assert_bad_request(post_raw(client, door, body), TOO_LARGE)
    assert log(app) == []


def test_a_body_that_is_not_json_typed_is_400(app, client, door):
    response = post_raw(
        client, door, json.dumps({"code": door["codes"][0]}), content_type="text/plain"
    )
    assert_bad_request(response, NOT_JSON)
    assert log(app) == []


def test_a_thousand_keys_are_read_like_any_other_object(app, client, door):
    body = {f"key{n}": n for n in range(1000)} | {"code": door["codes"][0]}
    response = post_raw(client, door, json.dumps(body))
    assert response.status_code == 200 and response.get_json()["ok"] is True
    only_keys = post_raw(client, door, json.dumps({f"key{n}": n for n in range(1000)}))
    assert_bad_request(only_keys, SEND_EITHER)


def test_largest_integer_id_is_an_unknown_ticket_not_an_error(app, scan):
    body = scan(ticket_id=2**31 - 1).get_json()
    assert body["result"] == "unknown" and body["ok"] is False
    assert log(app) == [("unknown", None)]


@pytest.mark.parametrize(
    "code",
    [
        "\0" * 127,  # NUL bytes, the length of a real code
        "A" * 60 + "\0" + "A" * 66,
        "\ud800" * 127,  # lone surrogates
        "\udfff",
        "\u202e" + "A" * 126,  # a right-to-left override
        " " * 512,
    ],
    ids=["nuls", "one-nul", "surrogates", "one-surrogate", "rtl", "spaces"],
)
def test_strange_text_in_a_code_is_a_not_valid_verdict(app, client, door, code):
    # Sent as raw JSON text: a lone surrogate cannot even be encoded to UTF-8 by the client.
    response = post_raw(client, door, json.dumps({"code": code}))
    body = response.get_json()
    assert response.status_code == 200 and body["result"] == "invalid"
    assert body["message"] == "Not valid"
    assert log(app) == [("invalid", None)]


def test_lone_surrogate_in_a_scan_id_is_400(app, client, door):
    response = post_raw(client, door, json.dumps({"code": "x", "client_scan_id": "\ud800" * 8}))
    assert_bad_request(response, BAD_SCAN_ID)


def test_errors_are_in_the_callers_language(app, scan, client, door):
    spanish = {"Accept-Language": "es"}
    response = scan(ticket_id=10**30, headers=spanish)
    assert response.status_code == 400
    assert response.get_json()["message"] == (
        "ticket_id debe ser un número entero del 1 al 2147483647."
    )
    response = scan(code="A" * 5000, headers=spanish)
    assert response.get_json()["message"] == "Esto no es un código de boleto: es demasiado largo."
    response = post_raw(client, door, "[" * 100_000, headers=spanish)
    assert response.get_json()["message"] == "La solicitud es demasiado grande."
    response = scan(code="x", scanned_at="0000-01-01T00:00:00Z", headers=spanish)
    assert response.get_json()["message"].startswith("scanned_at debe ser una hora ISO 8601")


@pytest.mark.parametrize(
    "scanned_at", ["0001-01-01T00:00:00Z", "2000-01-01T00:00:00+00:00", "9999-01-01T00:00:00Z"]
)
def test_a_device_clock_far_off_is_replaced_by_the_servers_time(app, scan, door, scanned_at):
    before = utc_now()
    assert scan(code=door["codes"][0], scanned_at=scanned_at).get_json()["ok"]
    with app.app_context():
        entry = db.session.scalar(select(CheckIn))
        assert before <= entry.scanned_dt <= utc_now()


def test_a_believable_device_time_is_kept(app, scan, door):
    assert scan(code=door["codes"][0], scanned_at="2026-01-01T00:00:00Z").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(CheckIn))
    # 2026-01-01 is believable only while it is within 30 days of now; otherwise replaced.
    assert entry.scanned_dt.year in (2026, utc_now().year)
    offline = utc_now().replace(microsecond=0).isoformat().replace("+00:00", "-00:00")
    assert scan(code=door["codes"][1], scanned_at=offline).get_json()["ok"]
    with app.app_context():
        last = db.session.scalars(select(CheckIn).order_by(CheckIn.id.desc())).first()
        assert last.scanned_dt.isoformat().replace("+00:00", "-00:00") == offline


@pytest.mark.parametrize("scan_id", [0, 2**31, 10**30])
def test_undo_of_an_id_past_the_column_is_not_undoable(client, door, scan_id):
    response = client.post(
        f"/api/v1/events/{door['event_id']}/checkins/{scan_id}/undo",
        headers={"X-Door-Token": door["main"]},
    )
    assert response.status_code == 400 and response.get_json()["error"] == "not_undoable"


@pytest.mark.parametrize("path", ["stats", "search?q=jose", "checkins/1/undo", "checkins"])
def test_event_ids_past_the_column_are_wrong_door_for_a_door_link(client, door, path):
    method = client.post if "checkins" in path else client.get
    response = method(
        f"/api/v1/events/{2**31}/{path}",
        json={"ticket_id": 1},
        headers={"X-Door-Token": door["main"]},
    )
    assert response.status_code == 403 and response.get_json()["error"] == "wrong_door"


def test_event_ids_past_the_column_are_404_for_staff(client, auth, create_staff_user):
    user = create_staff_user(role=Role.volunteer)
    auth.login(user["email"], user["password"])
    for event_id in (0, 2**31, 10**30):
        response = client.get(f"/api/v1/events/{event_id}/stats")
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
        assert client.get(f"/door/event/{event_id}").status_code == 404


@pytest.mark.parametrize(
    "query", ["\0\0", "jo\0se", "%ED%A0%80%ED%A0%80", "%FF%FE", "a" * 100, "😀" * 50]
)
def test_strange_searches_find_nobody_and_never_fail(client, door, query):
    response = client.get(
        f"/api/v1/events/{door['event_id']}/search?q={query}",
        headers={"X-Door-Token": door["main"]},
    )
    assert response.status_code == 200 and response.get_json() == {"results": []}


def test_a_search_over_100_characters_is_400(client, door):
    response = client.get(
        f"/api/v1/events/{door['event_id']}/search?q={'a' * 10_000}",
        headers={"X-Door-Token": door["main"], "Accept-Language": "es"},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_request",
        "message": "Busca un nombre de 100 caracteres como máximo.",
    }


@pytest.mark.parametrize(
    "token", ["%00", "%00" * 40, "x" * 65, "x" * 10_000, "%ED%A0%80", "%FF", "..", "é" * 20]
)
def test_strange_door_links_show_the_closed_page(client, token):
    response = client.get(f"/door/{token}")
    assert response.status_code == 403
    assert "This door link is not valid." in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["\x7f" * 32, "é" * 20, "x" * 10_000, "a b c"])
def test_strange_door_tokens_in_the_header_are_403(client, door, token):
    response = client.post(
        f"/api/v1/events/{door['event_id']}/checkins",
        json={"code": door["codes"][0]},
        headers={"X-Door-Token": token},
    )
    assert response.status_code == 403 and response.get_json()["error"] == "door_unknown"


def test_wrong_method_and_unknown_api_paths_are_json(client, door):
    wrong = client.get(
        f"/api/v1/events/{door['event_id']}/checkins", headers={"X-Door-Token": door["main"]}
    )
    assert wrong.status_code == 405 and wrong.get_json()["error"] == "method_not_allowed"
    missing = client.get("/api/v1/events/x/stats", headers={"X-Door-Token": door["main"]})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
