"""The door API fuzzed from outside, as a broken or hostile scanner would call it.

Check-in, undo, name search, stats and walk-ins, through a door link made in the test: any JSON
value in any field, wrong types, huge integers, lone surrogates (as \\ud800 escapes), NUL, 10 kB
strings, 1,000 keys, nesting 100,000 deep, raw invalid UTF-8. Never a 5xx; every error is JSON
with a code and a message, in Spanish when the caller asks for it.
"""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ, HOSTILE, hostile_bytes

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31 - 1, 2**31, 2**63, 10**30, -(2**63) - 1, 0, -1])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["\x00", "\ud800", "A" * 10_000, "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
FIELDS = ["code", "ticket_id", "client_scan_id", "scanned_at"]
bodies = (
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, json_values))
    | json_values
    | st.sampled_from(
        [
            "[" * 100_000 + "]" * 100_000,
            '{"a":' * 100_000 + "1" + "}" * 100_000,
            json.dumps({f"k{n}": n for n in range(1_000)}),
            '{"ticket_id": 1e400}',
            '{"ticket_id": NaN}',
            '{"ticket_id": 99999999999999999999999999999999999999}',
        ]
    )
)
languages = st.sampled_from(["en", "es"])


def assert_json_answer(response, language: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:1500]
    body = response.get_json(silent=True)
    assert isinstance(body, dict), text[:300]
    if response.status_code >= 400:
        assert body.get("error") and body.get("message"), body
        if language == "es" and body["error"] in ("bad_request", "not_found"):
            assert body["message"] != SPANISH_NOT.get(body["error"]), body


#: English messages that must not be what a Spanish caller reads.
SPANISH_NOT = {
    "not_found": "We could not find that page. It may have moved or the link may be incomplete."
}


def _raw(body) -> bytes:
    return (body if isinstance(body, str) else json.dumps(body)).encode("utf-8", "surrogatepass")


@FUZZ
@given(body=bodies, language=languages)
def test_check_in_answers_any_json(fuzz_app, world, body, language):
    response = fuzz_app.test_client().post(
        f"/api/v1/events/{world['event_id']}/checkins",
        data=_raw(body),
        content_type="application/json",
        headers={"X-Door-Token": world["door_token"], "Accept-Language": language},
    )
    assert_json_answer(response, language)


WALK_IN_FIELDS = ["party_size", "client_scan_id", "first_name", "scanned_at", "sent_at"]
walk_in_bodies = (
    st.fixed_dictionaries({}, optional=dict.fromkeys(WALK_IN_FIELDS, json_values))
    | st.fixed_dictionaries(  # a well-formed walk-in with any first name: it may get in
        {
            "party_size": st.integers(1, 3),
            "client_scan_id": st.text("abcdef0123456789-", min_size=8, max_size=16),
        },
        optional={"first_name": json_values},
    )
    | bodies
)


@FUZZ
@given(body=walk_in_bodies, language=languages)
def test_walk_in_answers_any_json(fuzz_app, world, body, language):
    response = fuzz_app.test_client().post(
        f"/api/v1/events/{world['event_id']}/walkins",
        data=_raw(body),
        content_type="application/json",
        headers={"X-Door-Token": world["door_token"], "Accept-Language": language},
    )
    assert_json_answer(response, language)


@FUZZ
@given(data=st.binary(max_size=300) | st.sampled_from(HOSTILE), language=languages)
def test_check_in_answers_any_bytes(fuzz_app, world, data, language):
    response = fuzz_app.test_client().post(
        f"/api/v1/events/{world['event_id']}/checkins",
        data=data,
        content_type="application/json",
        headers={"X-Door-Token": world["door_token"], "Accept-Language": language},
    )
    assert_json_answer(response, language)


@FUZZ
@given(
    scan_id=st.sampled_from(["1", "0", "-1", str(2**31), str(2**63), str(10**30), "%00", "%FF"]),
    body=bodies,
    language=languages,
)
def test_undo_answers_any_id_and_body(fuzz_app, world, scan_id, body, language):
    client = fuzz_app.test_client()
    headers = {"X-Door-Token": world["door_token"], "Accept-Language": language}
    client.post(
        f"/api/v1/events/{world['event_id']}/checkins",
        json={"ticket_id": world["ticket_ids"][0]},
        headers=headers,
    )
    response = client.post(
        f"/api/v1/events/{world['event_id']}/checkins/{scan_id}/undo",
        data=_raw(body),
        content_type="application/json",
        headers=headers,
    )
    assert_json_answer(response, language)


@FUZZ
@given(q=hostile_bytes, extra=st.sampled_from(["", "&limit=99999999999", "&q=x&q=y", "&page=-1"]))
def test_search_answers_any_query(fuzz_app, world, q, extra):
    response = fuzz_app.test_client().get(
        f"/api/v1/events/{world['event_id']}/search?q={quote_from_bytes(q, safe='')}{extra}",
        headers={"X-Door-Token": world["door_token"], "Accept-Language": "es"},
    )
    assert_json_answer(response, "es")


@FUZZ
@given(
    event_id=st.sampled_from(["0", str(2**31), str(2**63), str(10**30), "%00", "%FF", "-1"]),
    token=st.sampled_from(["", "\x7f", "A" * 5000, "%00", "é"])
    | st.text(st.characters(exclude_characters="\r\n"), max_size=20),  # headers have no breaks
    endpoint=st.sampled_from(["checkins", "search?q=a", "stats", "checkins/1/undo", "walkins"]),
)
def test_any_event_id_and_door_token_get_a_json_answer(fuzz_app, world, event_id, token, endpoint):
    method = "post" if "checkins" in endpoint or endpoint == "walkins" else "get"
    try:
        header = token.encode("latin-1").decode("latin-1")
    except UnicodeEncodeError:
        # What a client's raw UTF-8 bytes look like (a lone surrogate as its three bytes).
        header = token.encode("utf-8", "surrogatepass").decode("latin-1")
    response = getattr(fuzz_app.test_client(), method)(
        f"/api/v1/events/{event_id}/{endpoint}",
        json={"code": "x"},
        headers={"X-Door-Token": header},
    )
    assert_json_answer(response, "en")
