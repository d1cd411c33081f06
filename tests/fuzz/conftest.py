"""A small world to fuzz: an event with a party, a door link, an honoree, a tribute, a member,
and an administrator's client; plus the strategies of hostile values every fuzz test draws from.

Run sizes are constants here so that CI stays stable and the numbers can be quoted: every
property runs EXAMPLES examples (derandomized, no example database) per endpoint.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.extensions import db

#: Examples per endpoint and property (derandomized: the same inputs on every run).
EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Values no form should choke on: NUL, invalid UTF-8, an overlong NUL, lone surrogates (as
#: UTF-8 bytes: Werkzeug replaces them), huge and edge integers, 10 kB strings, RTL overrides.
HOSTILE: list[bytes] = [
    b"\x00",
    b"a\x00b",
    "\ud800".encode("utf-8", "surrogatepass"),
    b"\xff\xfe\xfd",
    b"\xc0\x80",
    b"\xc3(",
    b"A" * 10_000,
    ("é" * 5_000).encode(),
    b"9" * 40,
    str(2**31).encode(),
    str(2**63).encode(),
    str(10**30).encode(),
    b"-1",
    b"-99999999999999999999",
    b"1e309",
    b"NaN",
    b"0",
    b"",
    b" ",
    "\u202eevil\u202c".encode(),
    "Jose\u0301".encode(),
    b"<script>alert(1)</script>",
    b"9999-12-31T23:59",
    b"0000-00-00",
    b"javascript:alert(1)",
]
hostile_bytes = (
    st.sampled_from(HOSTILE)
    | st.binary(max_size=40)
    | st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass"))
)

#: Plausible values by field name, so that the other fields of a form pass its checks.
PLAUSIBLE = {
    "name": "Ana Pérez",
    "email": "ana@example.org",
    "phone": "909-555-0123",
    "party_size": "1",
    "password": "correct horse battery",
    "message": "Gracias por todo.",
    "author_name": "Ana",
    "kind": "individual",
    "city": "Riverside",
    "languages": "Spanish",
    "consent": "y",
    "title_en": "An event",
    "title_es": "Un evento",
    "slug": "an-event",
    "start_local": "2027-03-01T10:00",
    "end_local": "2027-03-01T12:00",
    "capacity": "10",
    "guest_limit": "2",
    "label": "Main door",
    "subject_en": "Hello",
    "subject_es": "Hola",
    "body_en": "Hello",
    "body_es": "Hola",
    "message_en": "Hello",
    "message_es": "Hola",
    "reason": "test",
    "starts": "2027-03-01T10:00",
    "ends": "2027-03-01T12:00",
    "born_year": "1950",
    "died_year": "2020",
    "year": "2020",
    "sort_order": "1",
    "summary_en": "An advocate.",
    "summary_es": "Una defensora.",
    "text_en": "Text",
    "address": "ana@example.org",
    "rsvp_opens": "",
    "rsvp_closes": "",
    "image_path": "",
    "website": "",
}

INPUT_NAME = re.compile(r"<(input|select|textarea)\b[^>]*?\bname=\"([^\"]+)\"[^>]*>", re.S)
OPTION = re.compile(r"<option\b[^>]*?\bvalue=\"([^\"]*)\"")
INPUT_VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
ACTION = re.compile(r"\baction=\"([^\"]*)\"")


def form_fields(page: str) -> dict[str, dict[str, str]]:
    """Return {form action: {field name: default value}} of the POST forms of an HTML page."""
    forms: dict[str, dict[str, str]] = {}
    for attributes, body in FORM.findall(page):
        if "post" not in attributes.lower():
            continue
        action = ACTION.search(attributes)
        target = html.unescape(action.group(1)) if action else ""
        fields = forms.setdefault(target.split("?")[0], {})
        for match in INPUT_NAME.finditer(body):
            tag, name = match.group(1), html.unescape(match.group(2))
            if tag == "select":
                value = OPTION.search(body, match.end())
            else:
                value = INPUT_VALUE.search(match.group(0))
            if name == "csrf_token":
                continue
            default = html.unescape(value.group(1)) if value else ""
            fields.setdefault(name, default or PLAUSIBLE.get(name, "x"))
    return forms


def encode_form(fields: dict[str, bytes | str]) -> bytes:
    """Return an application/x-www-form-urlencoded body of any bytes (invalid UTF-8 too)."""

    def enc(value: bytes | str) -> str:
        raw = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        return quote_from_bytes(raw, safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in fields.items()).encode("ascii")


LANG_OF_HTML = re.compile(r"<html lang=\"([a-z]+)")


def assert_answered(response, language: str = "en") -> None:
    """No 5xx; HTML in the caller's language; a JSON error with a code and a message."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text[:2000]
    if response.mimetype == "application/json" and response.status_code >= 400:
        body = response.get_json()
        assert body["error"] and body["message"], body
    elif response.mimetype == "text/html":
        found = LANG_OF_HTML.search(text)
        if found:  # full pages (not fragments) say their language
            assert found.group(1) == language, (found.group(1), language)


@pytest.fixture
def fuzz_app(app, make_app):
    """Return an app on the test database without CSRF, with limits no fuzz run reaches.

    Not RATELIMIT_ENABLED=False: the limiter is one object for every app of the process, so
    that would switch rate limiting off for the tests that run after these.
    """
    unlimited = "1000000 per minute"
    return make_app(
        WTF_CSRF_ENABLED=False,
        RSVP_RATE_LIMIT=unlimited,
        RSVP_LINK_RESEND_RATE_LIMIT=unlimited,
        MEMORIAL_TRIBUTE_RATE_LIMIT=unlimited,
        MEMORIAL_CANDLE_RATE_LIMIT=unlimited,
        LOGIN_THROTTLE=unlimited,
        TOKEN_LOOKUP_LIMIT=unlimited,
    )


@pytest.fixture
def world(fuzz_app, make_event, create_staff_user):
    """Return the ids, slugs and tokens the fuzzed URLs need, and an admin's client."""
    from eventsvc.checkin.doors import create_door_pass, door_pass_token
    from eventsvc.events.models import Event
    from eventsvc.mail.models import OutboxMessage
    from eventsvc.membership.models import Member, MemberOrganisation, Milestone
    from eventsvc.memorial.models import Honoree, Tribute
    from eventsvc.rsvps.services import RsvpData, submit_rsvp

    event_id = make_event(capacity=50, guest_limit=4, starts_in=timedelta(hours=1))
    with fuzz_app.app_context():
        event = db.session.get(Event, event_id)
        rsvp = submit_rsvp(
            event,
            RsvpData(
                name="Ana Pérez", email="ana@example.org", phone=None, language="es", party_size=2
            ),
        ).rsvp
        door = create_door_pass(event, "Main door")
        honoree = Honoree(
            slug="honoree", name="Honoree", summary_en="Advocate.", summary_es="Defensora."
        )
        db.session.add(honoree)
        db.session.commit()
        world = {
            "event_id": event_id,
            "slug": event.slug,
            "rsvp_id": rsvp.id,
            "ticket_ids": [t.id for t in rsvp.tickets],
            "door_id": door.id,
            "door_token": door_pass_token(door),
            "honoree_id": honoree.id,
            "honoree_slug": honoree.slug,
        }
    admin = create_staff_user(role=Role.admin)
    client = fuzz_app.test_client()
    client.post("/join", data={**PLAUSIBLE, "email": "member@example.org", "language": "es"})
    client.post(
        f"/memorial/{world['honoree_slug']}/tributes",
        data={"author_name": "Ana", "message": "Gracias por todo.", "email": "t@example.org"},
    )
    response = client.post("/login", data={"email": admin["email"], "password": admin["password"]})
    assert response.status_code in (302, 303), response.status_code
    client.post("/admin/milestones/new", data={"year": "2008", "title_en": "Founded"})
    client.post("/admin/organisations/new", data={"name": "Org", "slug": "org", "sort_order": "0"})
    with fuzz_app.app_context():
        world["milestone_id"] = db.session.scalar(select(Milestone.id)) or 1
        world["organisation_id"] = db.session.scalar(select(MemberOrganisation.id)) or 1
        world["member_id"] = db.session.scalar(select(Member.id)) or 1
        world["tribute_id"] = db.session.scalar(select(Tribute.id)) or 1
        world["message_id"] = db.session.scalar(select(OutboxMessage.id)) or 1
    world.update(staff_id=admin["id"], client=client)
    return world
