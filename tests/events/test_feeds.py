"""The calendar feeds over HTTP: what real clients read, and how cheaply they can poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy import update as sa_update

from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import update_event
from eventsvc.extensions import db
from eventsvc.rsvps.event_changes import cancel_event
from eventsvc.rsvps.links import feed_token
from eventsvc.rsvps.models import Rsvp
from eventsvc.rsvps.services import RsvpData, cancel_rsvp, delete_personal_data, submit_rsvp

LA = ZoneInfo("America/Los_Angeles")
#: The night clocks fall back in Los Angeles: 01:30 happens twice; this is the first (PDT).
FALL_BACK = datetime(2026, 11, 1, 1, 30, tzinfo=LA)
#: A summer evening, in daylight time (UTC-7).
SUMMER = datetime(2026, 7, 17, 18, 0, tzinfo=LA)


def parse_both(body: bytes) -> dict[str, tuple]:
    """Return {UID: (icalendar VEVENT, vobject VEVENT)}; both parsers must see the same events."""
    ours = {str(c["UID"]): c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    theirs = {c.uid.value: c for c in vobject.readOne(body.decode()).contents.get("vevent", [])}
    assert ours.keys() == theirs.keys()
    return {uid: (ours[uid], theirs[uid]) for uid in ours}


def uid_of(app, event_id: int) -> str:
    return f"event-{event_id}@{app.config['BASE_URL'].split('://')[1].split(':')[0].split('/')[0]}"


def at(app, event_id: int, local: datetime, hours: int = 2) -> None:
    """Move an event to local wall time (stored in UTC)."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        start = local.astimezone(UTC)
        event.start_dt, event.end_dt = start, start + timedelta(hours=hours)
        # Changed a while ago: a change within the current second has no Last-Modified yet.
        event.updated_dt = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()


def age(app, hours: int = 1) -> None:
    """Make every event and RSVP look last changed hours ago (Last-Modified is then sent)."""
    earlier = datetime.now(UTC) - timedelta(hours=hours)
    with app.app_context():
        db.session.execute(sa_update(Event).values(updated_dt=earlier))
        db.session.execute(sa_update(Rsvp).values(updated_dt=earlier))
        db.session.commit()


def rsvp_tokens(app, event_id: int, *, email=None, phone=None, name="Ana") -> tuple[str, str]:
    """RSVP for an event through the service; return its manage token and its feed token."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        outcome = submit_rsvp(
            event,
            RsvpData(name=name, email=email, phone=phone, language="en", party_size=1),
        )
        db.session.commit()
        return outcome.token, feed_token(outcome.rsvp)


def rsvp(app, event_id: int, **kw) -> str:
    """RSVP for an event through the service; return its personal feed's token."""
    return rsvp_tokens(app, event_id, **kw)[1]


@pytest.fixture
def events(app, make_event):
    """A summer event, one on the fall-back night, a cancelled one and a draft; ids by name.

    All last changed an hour ago.
    """
    ids = {
        "summer": make_event(title_en="Summer gala", title_es="Gala de verano"),
        "fallback": make_event(title_en="Night vigil", title_es="Vigilia nocturna"),
        "cancelled": make_event(title_en="Picnic", status=EventStatus.cancelled),
        "draft": make_event(title_en="Secret plan", status=EventStatus.draft),
    }
    at(app, ids["summer"], SUMMER, hours=3)
    at(app, ids["fallback"], FALL_BACK, hours=1)  # ends at the second 01:30 (PST)
    for other in ("cancelled", "draft"):
        with app.app_context():
            db.session.get(Event, ids[other]).updated_dt = datetime.now(UTC) - timedelta(hours=1)
            db.session.commit()
    return ids


# --- the series feed ------------------------------------------------------------------------


def test_series_feed_is_text_calendar_with_subscription_properties(client, events):
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.data)
    assert cal["X-WR-CALNAME"] == cal["NAME"] == "Series"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in response.data
    assert "METHOD" not in cal
    parsed = vobject.readOne(response.data.decode())
    assert parsed.contents["x-wr-calname"][0].value == "Series"


def test_series_feed_times_read_back_in_utc_by_both_parsers(app, client, events):
    body = client.get("/calendar.ics").data
    vevents = parse_both(body)
    summer = vevents[uid_of(app, events["summer"])]
    fallback = vevents[uid_of(app, events["fallback"])]
    # Summer: daylight time, 18:00 PDT is 01:00 UTC the next day.
    for start, end in (
        (summer[0].start, summer[0].end),
        (summer[1].dtstart.value, summer[1].dtend.value),
    ):
        assert start.astimezone(UTC) == datetime(2026, 7, 18, 1, 0, tzinfo=UTC)
        assert end.astimezone(UTC) == datetime(2026, 7, 18, 4, 0, tzinfo=UTC)
        assert start.utcoffset() == timedelta(hours=-7)
    # Fall-back night: the first 01:30 (PDT, 08:30 UTC) to the second 01:30 (PST, 09:30 UTC).
    for start, end in (
        (fallback[0].start, fallback[0].end),
        (fallback[1].dtstart.value, fallback[1].dtend.value),
    ):
        assert start.astimezone(UTC) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
        assert end.astimezone(UTC) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert b"DTSTART;TZID=America/Los_Angeles:20261101T013000\r\n" in body
    assert b"BEGIN:VTIMEZONE\r\nTZID:America/Los_Angeles\r\n" in body


def test_series_feed_has_published_and_cancelled_never_drafts(app, client, events):
    body = client.get("/calendar.ics").data
    vevents = parse_both(body)
    assert set(vevents) == {uid_of(app, events[k]) for k in ("summer", "fallback", "cancelled")}
    assert b"Secret plan" not in body
    cancelled, _ = vevents[uid_of(app, events["cancelled"])]
    assert cancelled["STATUS"] == "CANCELLED"
    assert vevents[uid_of(app, events["summer"])][0]["STATUS"] == "CONFIRMED"


def test_each_event_has_url_location_and_the_hotline(app, client, events):
    body = client.get("/calendar.ics?lang=en").data
    vevent, theirs = parse_both(body)[uid_of(app, events["summer"])]
    with app.app_context():
        slug = db.session.get(Event, events["summer"]).slug
    assert str(vevent["URL"]) == f"{app.config['BASE_URL']}/events/{slug}"
    assert str(vevent["LOCATION"]) == "Hall, Riverside, CA"
    assert str(vevent["DESCRIPTION"]).endswith("Emergency Response Network hotline: 909-361-4588")
    assert theirs.description.value.endswith("hotline: 909-361-4588")
    assert "DTSTAMP" in vevent and "LAST-MODIFIED" in vevent


def test_spanish_feed_with_lang_es(app, client, events):
    body = client.get("/calendar.ics?lang=es").data
    vevent, theirs = parse_both(body)[uid_of(app, events["summer"])]
    assert str(vevent["SUMMARY"]) == theirs.summary.value == "Gala de verano"
    assert str(vevent["DESCRIPTION"]).endswith("Línea de la Red de Respuesta Rápida: 909-361-4588")
    assert icalendar.Calendar.from_ical(body)["X-WR-CALNAME"] == "Serie"


def test_visitor_language_without_lang(client, events):
    body = client.get("/calendar.ics", headers={"Accept-Language": "es-MX"}).data
    assert b"SUMMARY:Gala de verano" in body
    response = client.get("/calendar.ics", headers={"Accept-Language": "es-MX"})
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert "Accept-Language" not in client.get("/calendar.ics?lang=es").vary


def test_bad_lang_falls_back_to_the_visitor(client, events):
    assert b"SUMMARY:Summer gala" in client.get("/calendar.ics?lang=xx").data


def test_editing_the_time_bumps_sequence_and_keeps_uid(app, client, events):
    uid = uid_of(app, events["summer"])
    before, _ = parse_both(client.get("/calendar.ics").data)[uid]
    with app.app_context():
        event = db.session.get(Event, events["summer"])
        update_event(event, start_dt=event.start_dt + timedelta(hours=1))
        db.session.commit()
    after, theirs = parse_both(client.get("/calendar.ics").data)[uid]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1 == int(theirs.sequence.value)
    assert after.start.astimezone(UTC) == datetime(2026, 7, 18, 2, 0, tzinfo=UTC)


def test_fixing_a_typo_keeps_the_sequence(app, client, events):
    uid = uid_of(app, events["summer"])
    before, _ = parse_both(client.get("/calendar.ics").data)[uid]
    with app.app_context():
        update_event(db.session.get(Event, events["summer"]), description_en="Fixed typo.")
        db.session.commit()
    after, _ = parse_both(client.get("/calendar.ics").data)[uid]
    assert after["SEQUENCE"] == before["SEQUENCE"]
    assert str(after["DESCRIPTION"]).startswith("Fixed typo.")


def test_cancelling_keeps_the_event_as_cancelled_with_a_higher_sequence(app, client, events):
    uid = uid_of(app, events["summer"])
    before, _ = parse_both(client.get("/calendar.ics").data)[uid]
    with app.app_context():
        cancel_event(db.session.get(Event, events["summer"]))
        db.session.commit()
    after, theirs = parse_both(client.get("/calendar.ics").data)[uid]
    assert after["STATUS"] == theirs.status.value == "CANCELLED"
    assert after["SEQUENCE"] > before["SEQUENCE"]


def test_publishing_a_draft_adds_it(app, client, events):
    client.get("/calendar.ics")  # cached before the change
    with app.app_context():
        update_event(db.session.get(Event, events["draft"]), status=EventStatus.published)
        db.session.commit()
    assert uid_of(app, events["draft"]) in parse_both(client.get("/calendar.ics").data)


def test_unpublishing_removes_it_and_last_modified_moves_forward(app, client, events):
    first = client.get("/calendar.ics")
    with app.app_context():
        update_event(db.session.get(Event, events["summer"]), status=EventStatus.draft)
        db.session.commit()
    second = client.get(
        "/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert second.status_code == 200
    assert uid_of(app, events["summer"]) not in parse_both(second.data)
    # Changed within this second: no Last-Modified yet, so If-Modified-Since cannot hide it.
    assert "Last-Modified" not in second.headers


def test_empty_series_feed_is_valid(client, app):
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert parse_both(response.data) == {}


# --- HTTP caching ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/calendar.ics", "/calendar.ics?lang=es", "EVENT"])
def test_conditional_get_answers_304_without_a_body(app, client, events, path):
    if path == "EVENT":
        with app.app_context():
            path = f"/events/{db.session.get(Event, events['summer']).slug}.ics"
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["ETag"].startswith('"') and first.headers["Last-Modified"]
    assert first.cache_control.public and first.cache_control.max_age == 300
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304 and since.data == b""
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_etag_changes_when_an_event_changes(app, client, events):
    first = client.get("/calendar.ics")
    with app.app_context():
        update_event(db.session.get(Event, events["summer"]), title_en="Summer gala!")
        db.session.commit()
    again = client.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and b"Summer gala!" in again.data
    assert again.headers["ETag"] != first.headers["ETag"]


def test_same_events_same_bytes(client, events):
    # DTSTAMP comes from the events, so the body (and its ETag) is stable between requests.
    assert client.get("/calendar.ics").data == client.get("/calendar.ics").data


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": "yesterday-ish"},
        {"If-Modified-Since": "Mon, 99 Foo 20269 25:61:61 GMT"},
        {"If-Modified-Since": "\x00\x01"},
        {"If-None-Match": 'not-quoted, , "half'},
        {"If-None-Match": "W/"},
        {"If-None-Match": '"' * 500},
        {"If-None-Match": "garbage", "If-Modified-Since": "garbage"},
    ],
)
def test_malformed_conditional_headers_are_ignored(client, events, headers):
    response = client.get("/calendar.ics", headers=headers)
    assert response.status_code == 200
    assert response.data.startswith(b"BEGIN:VCALENDAR")


def test_wildcard_if_none_match_is_304(client, events):
    assert client.get("/calendar.ics", headers={"If-None-Match": "*"}).status_code == 304


def test_head_gives_the_headers_only(client, events):
    response = client.head("/calendar.ics")
    assert response.status_code == 200 and response.data == b"" and response.headers["ETag"]


def test_event_ics_is_a_download_with_the_same_caching(app, client, events):
    with app.app_context():
        slug = db.session.get(Event, events["fallback"]).slug
    response = client.get(f"/events/{slug}.ics?lang=es")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{slug}.ics"'
    assert icalendar.Calendar.from_ical(response.data)["METHOD"] == "PUBLISH"
    ((vevent, theirs),) = parse_both(response.data).values()
    assert str(vevent["SUMMARY"]) == "Vigilia nocturna"
    assert theirs.dtstart.value.astimezone(UTC) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert theirs.dtend.value.astimezone(UTC) == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_draft_event_ics_is_404(app, client, events):
    with app.app_context():
        slug = db.session.get(Event, events["draft"]).slug
    assert client.get(f"/events/{slug}.ics").status_code == 404


# --- statement counts ------------------------------------------------------------------------


def count_statements(app, client, path, headers=None) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=headers or {})
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert response.status_code in {200, 304}
    return len(statements)


def test_feed_statements_do_not_grow_with_the_number_of_events(app, client, make_event):
    make_event()
    cold_few = count_statements(app, client, "/calendar.ics?lang=es")
    warm_few = count_statements(app, client, "/calendar.ics?lang=es")
    for _ in range(20):
        make_event()
    cold_many = count_statements(app, client, "/calendar.ics?lang=es")
    etag = client.get("/calendar.ics?lang=es").headers["ETag"]
    not_modified = count_statements(
        app, client, "/calendar.ics?lang=es", headers={"If-None-Match": etag}
    )
    assert cold_many == cold_few <= 2
    assert warm_few == not_modified == 1  # the version query only


def test_personal_feed_statements_do_not_grow(app, client, make_event):
    token = rsvp(app, make_event(), email="ana@example.org")
    few = count_statements(app, client, f"/rsvp/{token}/calendar.ics")
    for _ in range(10):
        rsvp(app, make_event(), email="ana@example.org")
    assert count_statements(app, client, f"/rsvp/{token}/calendar.ics") == few <= 2


# --- the personal feed -----------------------------------------------------------------------


def test_personal_feed_has_only_its_own_rsvps_event(app, client, make_event):
    first, other, skipped = make_event(), make_event(), make_event()
    ana = rsvp(app, first, email="ana@example.org")
    ben = rsvp(app, other, email="ben@example.org", name="Ben")
    rsvp(app, skipped, email="carla@example.org", name="Carla")
    age(app)
    response = client.get(f"/rsvp/{ana}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.cache_control.private and not response.cache_control.public
    assert response.cache_control.max_age == 300 and not response.cache_control.no_store
    assert response.headers["Last-Modified"]
    assert set(parse_both(response.data)) == {uid_of(app, first)}
    assert set(parse_both(client.get(f"/rsvp/{ben}/calendar.ics").data)) == {uid_of(app, other)}


@pytest.mark.parametrize(
    "contact",
    [{"email": "ana@example.org"}, {"phone": "+19095550100"}],
    ids=["email", "phone"],
)
def test_someone_typing_your_address_never_gets_your_events(app, client, make_event, contact):
    # Anyone can type someone's email or phone into an RSVP form: that proves nothing, so the
    # feed they get lists their own RSVP only, never the other RSVPs with that address.
    private, public = make_event(title_en="Know your rights"), make_event()
    owner = rsvp(app, private, name="Ana", **contact)
    stranger = rsvp(app, public, name="Mallory", **contact)
    assert set(parse_both(client.get(f"/rsvp/{stranger}/calendar.ics").data)) == {
        uid_of(app, public)
    }
    assert set(parse_both(client.get(f"/rsvp/{owner}/calendar.ics").data)) == {uid_of(app, private)}


def test_manage_token_no_longer_opens_the_feed(app, client, make_event):
    manage, feed = rsvp_tokens(app, make_event(), email="ana@example.org")
    assert client.get(f"/rsvp/{manage}/calendar.ics").status_code == 404
    assert client.get(f"/rsvp/{feed}/calendar.ics").status_code == 200


@pytest.mark.parametrize("suffix", ["", "/qr.svg", "/qr.png", "/data.json"])
def test_feed_token_opens_nothing_else(app, client, make_event, suffix):
    _manage, feed = rsvp_tokens(app, make_event(), email="ana@example.org")
    assert client.get(f"/rsvp/{feed}{suffix}").status_code == 404
    for action in ("/cancel", "/delete", "/party", "/feed"):
        assert client.post(f"/rsvp/{feed}{action}", data={"confirm": "y"}).status_code == 404


def test_feed_token_is_stored_only_as_a_hash(app, make_event):
    from eventsvc.security import token_hash

    _manage, feed = rsvp_tokens(app, make_event(), email="ana@example.org")
    with app.app_context():
        stored = db.session.scalar(select(Rsvp))
        assert stored.feed_token_hash == token_hash(feed) and feed not in str(vars(stored))


def test_replacing_the_feed_link_stops_the_old_one(app, client, make_event):
    event_id = make_event()
    manage, old = rsvp_tokens(app, event_id, email="ana@example.org")
    response = client.post(f"/rsvp/{manage}/feed")
    assert response.status_code == 303
    with app.app_context():
        new = feed_token(db.session.scalar(select(Rsvp)))
    assert new != old
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your calendar link is replaced" in page and new in page and old not in page
    assert client.get(f"/rsvp/{old}/calendar.ics").status_code == 404
    assert set(parse_both(client.get(f"/rsvp/{new}/calendar.ics").data)) == {uid_of(app, event_id)}


def test_feed_lists_its_group_and_replacing_moves_the_whole_group(app, client, make_event):
    from eventsvc.security import token_hash

    first, second, stranger = make_event(), make_event(), make_event()
    _m, group_feed = rsvp_tokens(app, first, email="ana@example.org")
    manage_second, _f = rsvp_tokens(app, second, email="ana@example.org")
    rsvp(app, stranger, email="ana@example.org")  # same address, another group
    with app.app_context():
        # A group of two, as its feed salt says (one RSVP holds the link's hash).
        one, two = db.session.scalars(select(Rsvp).order_by(Rsvp.id).limit(2)).all()
        two.feed_token_salt, two.feed_token_hash = one.feed_token_salt, token_hash("nobody's")
        db.session.commit()
    both = {uid_of(app, first), uid_of(app, second)}
    assert set(parse_both(client.get(f"/rsvp/{group_feed}/calendar.ics").data)) == both
    # Replaced from the second RSVP's page: the group's old link stops, the new one has both.
    assert client.post(f"/rsvp/{manage_second}/feed").status_code == 303
    assert client.get(f"/rsvp/{group_feed}/calendar.ics").status_code == 404
    with app.app_context():
        one, two = db.session.scalars(select(Rsvp).order_by(Rsvp.id).limit(2)).all()
        assert one.feed_token_salt == two.feed_token_salt
        new = feed_token(one)
        assert new == feed_token(two) != group_feed
    assert set(parse_both(client.get(f"/rsvp/{new}/calendar.ics").data)) == both


def test_replacing_needs_a_post(app, client, make_event):
    manage, old = rsvp_tokens(app, make_event(), email="ana@example.org")
    assert client.get(f"/rsvp/{manage}/feed").status_code == 405
    assert client.get(f"/rsvp/{old}/calendar.ics").status_code == 200


def test_cancelled_rsvp_disappears_and_the_feed_changes(app, client, make_event):
    event_id = make_event()
    token = rsvp(app, event_id, email="ana@example.org")
    age(app)
    before = client.get(f"/rsvp/{token}/calendar.ics")
    assert set(parse_both(before.data)) == {uid_of(app, event_id)}
    with app.app_context():
        cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.event_id == event_id)), notify=False)
        db.session.commit()
    after = client.get(
        f"/rsvp/{token}/calendar.ics",
        headers={"If-Modified-Since": before.headers["Last-Modified"]},
    )
    assert after.status_code == 200  # Last-Modified moved forward although the event left
    assert parse_both(after.data) == {}


def test_cancelled_event_stays_in_the_personal_feed_as_cancelled(app, client, make_event):
    event_id = make_event()
    token = rsvp(app, event_id, email="ana@example.org")
    with app.app_context():
        cancel_event(db.session.get(Event, event_id))
        db.session.commit()
    ((vevent, _),) = parse_both(client.get(f"/rsvp/{token}/calendar.ics").data).values()
    assert vevent["STATUS"] == "CANCELLED"


def test_deleted_person_gets_an_empty_feed(app, client, make_event):
    first, second = make_event(), make_event()
    token = rsvp(app, first, email="ana@example.org")
    other = rsvp(app, second, email="ana@example.org")
    with app.app_context():
        delete_personal_data(db.session.scalar(select(Rsvp).where(Rsvp.event_id == first)))
        db.session.commit()
    # An empty calendar (not a 404) makes subscribed calendars drop the events.
    response = client.get(f"/rsvp/{token}/calendar.ics")
    assert response.status_code == 200 and parse_both(response.data) == {}
    # Their other RSVP, with its own link, is still theirs until they erase it too.
    assert set(parse_both(client.get(f"/rsvp/{other}/calendar.ics").data)) == {uid_of(app, second)}


def test_draft_never_in_the_personal_feed(app, client, make_event):
    event_id = make_event()
    token = rsvp(app, event_id, email="ana@example.org")
    with app.app_context():
        update_event(db.session.get(Event, event_id), status=EventStatus.draft)
        db.session.commit()
    assert parse_both(client.get(f"/rsvp/{token}/calendar.ics").data) == {}


@pytest.mark.parametrize("token", ["nope", "x" * 64, "x" * 200, "%00"])
def test_bad_token_is_404(client, app, token):
    assert client.get(f"/rsvp/{token}/calendar.ics").status_code == 404


def test_personal_feed_language_is_the_rsvps_unless_asked(app, client, make_event):
    event_id = make_event(title_en="Vigil", title_es="Vigilia")
    with app.app_context():
        outcome = submit_rsvp(
            db.session.get(Event, event_id),
            RsvpData(name="Ana", email="ana@example.org", phone=None, language="es", party_size=1),
        )
        db.session.commit()
        token = feed_token(outcome.rsvp)
    assert b"SUMMARY:Vigilia\r\n" in client.get(f"/rsvp/{token}/calendar.ics").data
    assert b"SUMMARY:Vigil\r\n" in client.get(f"/rsvp/{token}/calendar.ics?lang=en").data


def test_personal_feed_conditional_get(client, app, make_event):
    token = rsvp(app, make_event(), email="ana@example.org")
    first = client.get(f"/rsvp/{token}/calendar.ics")
    again = client.get(
        f"/rsvp/{token}/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    bad = client.get(f"/rsvp/{token}/calendar.ics", headers={"If-Modified-Since": "soon"})
    assert bad.status_code == 200


# --- pages offer the feeds -------------------------------------------------------------------


def test_events_page_offers_the_webcal_feed_with_instructions(app, client, events):
    page = client.get("/events/").get_data(as_text=True)
    host = app.config["BASE_URL"].split("://", 1)[1]
    assert f'href="webcal://{host}/calendar.ics?lang=en"' in page
    for client_name in ("Google Calendar", "Apple Calendar", "Outlook"):
        assert client_name in page
    page_es = client.get("/events/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert f'href="webcal://{host}/calendar.ics?lang=es"' in page_es


def test_event_page_has_add_to_calendar_links(app, client, events):
    with app.app_context():
        slug = db.session.get(Event, events["summer"]).slug
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert f'href="/events/{slug}.ics"' in page
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert "dates=20260718T010000Z%2F20260718T040000Z" in page
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in page
    assert "startdt=2026-07-18T01%3A00%3A00Z" in page
    assert '<script src="https://' not in page


def test_attendee_page_offers_the_ics_and_the_personal_feed(app, client, make_event):
    event_id = make_event()
    manage, feed = rsvp_tokens(app, event_id, email="ana@example.org")
    page = client.get(f"/rsvp/{manage}").get_data(as_text=True)
    host = app.config["BASE_URL"].split("://", 1)[1]
    assert f'href="webcal://{host}/rsvp/{feed}/calendar.ics"' in page
    assert f'value="{app.config["BASE_URL"]}/rsvp/{feed}/calendar.ics"' in page
    assert f"/rsvp/{manage}/calendar.ics" not in page
    assert "Replace this calendar link" in page
    assert '.ics"' in page
    assert client.get(f"/rsvp/{manage}").headers["Cache-Control"] == "private, no-store"


def test_last_modified_is_withheld_within_the_second_of_a_change(app, client, make_event):
    make_event()
    assert "Last-Modified" not in client.get("/calendar.ics").headers
    assert client.get("/calendar.ics").headers["ETag"]


def test_within_the_recheck_window_a_poll_costs_no_query(app, client, make_event, monkeypatch):
    from eventsvc.events import feeds as event_feeds

    monkeypatch.setitem(app.config, "FEED_RECHECK_SECONDS", 60)
    monkeypatch.setattr(event_feeds, "_series_feeds", {})  # earlier tests' copies
    clock = [1000.0]
    monkeypatch.setattr(event_feeds.time, "monotonic", lambda: clock[0])
    event_id = make_event(title_en="Before")
    etag = client.get("/calendar.ics?lang=en").headers["ETag"]
    assert (
        count_statements(app, client, "/calendar.ics?lang=en", headers={"If-None-Match": etag}) == 0
    )
    with app.app_context():
        db.session.get(Event, event_id).title_en = "After"
        db.session.commit()
    clock[0] += 30  # inside the window: the copy is served as it is
    assert b"After" not in client.get("/calendar.ics?lang=en").data
    clock[0] += 31  # past it: the version query notices the edit
    assert b"After" in client.get("/calendar.ics?lang=en").data
