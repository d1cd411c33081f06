"""Every form endpoint survives any input: never a 5xx, and answers in the caller's language.

The back-office endpoints are enumerated from the app's url_map (every POST rule under /admin/),
so a new form is fuzzed without anybody remembering to add it. Each form's fields are read from
the page that shows it; Hypothesis replaces a few of them (or adds unknown ones) with hostile
bytes, sends the body as raw application/x-www-form-urlencoded, and checks the answer.
"""

from __future__ import annotations

import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsvc import create_app
from eventsvc.inputs import MAX_FORM_PARTS
from tests.fuzz.conftest import (
    FUZZ,
    PLAUSIBLE,
    assert_answered,
    encode_form,
    form_fields,
    hostile_bytes,
)

#: What the URL converters of the back office need, by argument name.
URL_VALUES = {
    "status": "active",
    "direction": "up",
}


def _rules():
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="fuzz-rules-"),
        }
    )
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)
    admin_posts = [rule.rule for rule in rules if "/admin/" in rule.rule and "POST" in rule.methods]
    admin_gets = [
        rule.rule
        for rule in rules
        if rule.rule.startswith("/admin/") and "GET" in rule.methods and "csv" not in rule.rule
    ]
    gets = [rule.rule for rule in rules if "GET" in rule.methods]
    return admin_posts, admin_gets, gets


ADMIN_POSTS, ADMIN_GETS, ALL_GETS = _rules()

#: The public forms: (where it posts, the page that shows it).
PUBLIC_FORMS = [
    ("/events/<slug>", "/events/<slug>"),
    ("/join", "/join"),
    ("/memorial/<slug>/tributes", "/memorial/<slug>"),
    ("/memorial/<slug>/candle", "/memorial/<slug>"),
    ("/login", "/login"),
    ("/rsvp/lost", "/rsvp/lost"),
    ("/language", "/"),
]


def url_for_rule(rule: str, world: dict) -> str:
    """Fill a rule's <converters> with the world's ids and slugs."""
    url = rule
    for arg in (
        "event_id",
        "rsvp_id",
        "door_id",
        "member_id",
        "honoree_id",
        "tribute_id",
        "milestone_id",
        "organisation_id",
        "message_id",
        "staff_id",
    ):
        url = url.replace(f"<int:{arg}>", str(world.get(arg, 1)))
    for arg, value in URL_VALUES.items():
        url = url.replace(f"<{arg}>", value)
    if "/memorial/" in url:
        return url.replace("<slug>", world["honoree_slug"])
    return url.replace("<slug>", world["slug"])


def form_mutations(fields: list[str]):
    """Return a strategy of {field: hostile bytes}, on known fields and a few unknown ones."""
    names = st.sampled_from([*fields, "unknown", "\x00", "é" * 300]) if fields else st.text()
    return st.dictionaries(names, hostile_bytes, max_size=5)


languages = st.sampled_from(["en", "es"])


def post_form(client, url: str, body: dict, language: str):
    return client.post(
        url,
        data=encode_form(body),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": language},
    )


@pytest.mark.parametrize(("action", "page"), PUBLIC_FORMS, ids=[f[0] for f in PUBLIC_FORMS])
def test_public_forms_never_answer_5xx(fuzz_app, world, action, page):
    client = fuzz_app.test_client()  # a visitor, not the administrator
    url = url_for_rule(action, world)
    forms = form_fields(client.get(url_for_rule(page, world)).get_data(as_text=True))
    defaults = forms.get(url) or {name: PLAUSIBLE[name] for name in ("name", "email", "message")}

    @FUZZ
    @given(mutations=form_mutations(list(defaults)), language=languages)
    def fuzz(mutations, language):
        response = post_form(client, url, {**defaults, **mutations}, language)
        assert_answered(response, language)

    fuzz()


@pytest.mark.parametrize("rule", ADMIN_POSTS)
def test_back_office_forms_never_answer_5xx(fuzz_app, world, rule):
    client = world["client"]
    url = url_for_rule(rule, world)
    forms: dict[str, dict[str, str]] = {}
    for page in {url, url.rsplit("/", 1)[0], *(url_for_rule(r, world) for r in ADMIN_GETS)}:
        response = client.get(page)
        if response.mimetype == "text/html":
            for action, fields in form_fields(response.get_data(as_text=True)).items():
                forms.setdefault(action or page, {}).update(fields)
    defaults = forms.get(url, {})

    @FUZZ
    @given(mutations=form_mutations(list(defaults)), language=languages)
    def fuzz(mutations, language):
        response = post_form(client, url, {**defaults, **mutations}, language)
        assert_answered(response, language)

    fuzz()


def odd_segments():
    return st.sampled_from([b"\x00", b"%00", b"a\x00", b"\xff", b"\xc0\x80", b"\xed\xa0\x80"]) | (
        st.binary(min_size=1, max_size=30)
    )


@FUZZ
@given(segment=odd_segments(), rule=st.sampled_from(ALL_GETS), language=languages)
def test_paths_with_odd_bytes_never_answer_5xx(fuzz_app, world, segment, rule, language):
    from urllib.parse import quote_from_bytes

    url = url_for_rule(rule, world)
    odd = quote_from_bytes(segment, safe="")
    target = url.rstrip("/") + "/" + odd if "<" not in url else url.split("<")[0] + odd
    response = world["client"].get(target, headers={"Accept-Language": language})
    assert_answered(response, language)


@FUZZ
@given(
    rule=st.sampled_from(ALL_GETS),
    query=st.dictionaries(
        st.sampled_from(["q", "page", "status", "kind", "area", "lang", "door", "\x00"]),
        hostile_bytes,
        min_size=1,
        max_size=4,
    ),
    language=languages,
)
def test_query_strings_never_answer_5xx(fuzz_app, world, rule, query, language):
    url = url_for_rule(rule, world)
    if "<" in url:  # static files, photos, private links: their paths are fuzzed above
        url = url.split("<")[0] + "x"
    response = world["client"].get(
        url + "?" + encode_form(query).decode(), headers={"Accept-Language": language}
    )
    assert_answered(response, language)


def test_get_events_nul_is_a_404_in_spanish(fuzz_app, world):
    response = world["client"].get("/events/%00", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "No encontramos esta página." in text
    assert '<html lang="es"' in text


def test_a_nul_in_an_unknown_path_is_a_json_404_under_the_api(fuzz_app, world):
    response = world["client"].get("/api/v1/%00", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_a_nul_in_a_back_office_search_is_a_400_in_spanish(fuzz_app, world):
    response = world["client"].get("/admin/members?q=%00", headers={"Accept-Language": "es"})
    assert response.status_code == 400
    assert "tiene caracteres que no podemos leer" in response.get_data(as_text=True)


def test_a_nul_in_a_form_field_is_refused_in_the_language_cookie(fuzz_app, world):
    client = fuzz_app.test_client()
    client.set_cookie("lang", "es")
    response = post_form(client, "/login", {"email": "a\x00@example.org", "password": "x"}, "en")
    assert response.status_code == 400
    assert "tiene caracteres que no podemos leer" in response.get_data(as_text=True)


def test_a_nul_in_a_json_answered_query_string_is_a_json_400_in_spanish(fuzz_app, world):
    response = world["client"].get(
        f"/admin/events/{world['event_id']}/live.json?since=%00",
        headers={"Accept-Language": "es", "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_request",
        "message": "Parte de lo que mandaste tiene caracteres que no podemos leer. "
        "Quítalos e inténtalo otra vez.",
    }


def test_a_thousand_fields_are_refused_with_413_in_spanish(fuzz_app, world):
    body = {f"field{n}": "x" for n in range(1_000)}
    assert MAX_FORM_PARTS < 1_000
    response = post_form(fuzz_app.test_client(), "/join", body, "es")
    assert response.status_code == 413
    assert "demasiados campos" in response.get_data(as_text=True)


def test_a_thousand_fields_are_refused_on_the_private_links_too(fuzz_app, world):
    body = {f"field{n}": "x" for n in range(1_000)}
    response = post_form(fuzz_app.test_client(), "/rsvp/lost", body, "en")
    assert response.status_code == 413


def test_invalid_utf8_in_a_form_is_read_as_text(fuzz_app, world):
    client = fuzz_app.test_client()
    response = post_form(
        client, "/login", {"email": b"\xff\xfe@example.org", "password": b"\xc3("}, "en"
    )
    assert response.status_code == 400  # the login form again, with its own message
    assert "Wrong email or password." in response.get_data(as_text=True)
