"""The public RSVP form and the attendee's page: bad input is refused clearly, nothing changes."""

import html
import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.rsvps.models import Rsvp, RsvpStatus


@pytest.fixture
def slug(app, make_event):
    event_id = make_event(capacity=10, guest_limit=2)
    with app.app_context():
        return db.session.get(Event, event_id).slug


def form(**overrides):
    data = {"name": "Ana", "email": "ana@example.org", "language": "en", "party_size": "1"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Rsvp)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        )


def error_of(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def test_event_page_shows_seats_and_time_in_its_zone(client, slug):
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "10 seats left" in page
    assert re.search(r"\d{1,2}:\d\d\W+(AM|PM) – .* P[SD]T", page)
    assert "openstreetmap.org/search?query=Riverside%2C%20CA" in page
    assert "<iframe" not in page


def test_events_index_lists_upcoming_with_seats(client, slug):
    page = client.get("/events/").get_data(as_text=True)
    assert f'href="/events/{slug}"' in page and "10 seats left" in page


def test_draft_event_is_not_public(app, client, make_event):
    from eventsvc.events.models import EventStatus

    event_id = make_event(status=EventStatus.draft)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    assert client.get(f"/events/{slug}").status_code == 404
    assert client.post(f"/events/{slug}", data=form()).status_code == 404


def test_rsvp_then_attendee_page(app, client, slug):
    response = client.post(f"/events/{slug}", data=form(party_size="3", name="José Ñúñez"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "private, no-store"
    text = page.get_data(as_text=True)
    assert "You are confirmed" in text and "José Ñúñez" in text
    assert text.count("qr.svg?ticket=") == 3
    assert client.get(response.headers["Location"] + "/qr.svg?ticket=3").status_code == 200
    assert client.get(response.headers["Location"] + "/qr.svg?ticket=4").status_code == 404


@pytest.mark.parametrize(
    "name", ["Aidê", "José Ñúñez", "Socorro 🌻 Cisneros", "Nguyễn Thị Minh Khai", "O'Brien-Díaz"]
)
def test_accented_and_emoji_names_survive_exactly(app, client, slug, name):
    response = client.post(f"/events/{slug}", data=form(name=name))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Rsvp.name)) == name
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(escape(name)) in page


def test_phone_is_normalised_to_e164(app, client, slug):
    response = client.post(f"/events/{slug}", data=form(email="", phone="(909) 555-0123"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Rsvp.phone)) == "+19095550123"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": "A" * 121}, "name", "Keep your name under 120 characters."),
        ({"name": "<script>alert(1)</script>"}, "name", "A name cannot contain < or >."),
        ({"name": "Ana\x07"}, "name", "Remove the special characters from this field."),
        ({"email": "ana@", "phone": ""}, "email", "Enter a valid email address"),
        ({"email": "", "phone": ""}, "email", "Give an email or a phone number"),
        ({"email": "", "phone": "12"}, "phone", "Enter a valid phone number"),
        ({"party_size": "4"}, "party_size", "Choose how many people are coming."),
        ({"party_size": "-1"}, "party_size", "Choose how many people are coming."),
        ({"party_size": "two"}, "party_size", "Choose how many people are coming."),
        ({"language": "fr"}, "language", ""),
        ({"access_needs": "x" * 501}, "access_needs", "Keep this under 500 characters."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(
    app, client, slug, overrides, field, message
):
    typed = form(**overrides)
    response = client.post(f"/events/{slug}", data=typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = error_of(page, field)
    assert error and message in error
    assert f'aria-describedby="{field}' in page or field == "language"
    if field != "name" and overrides.get("name") is None:
        assert 'value="Ana"' in page  # what was typed is kept
    assert counts(app) == (0, 0)


def test_errors_are_in_the_visitors_language(app, client, slug):
    response = client.post(
        f"/events/{slug}",
        data=form(email="ana@", name="María"),
        headers={"Accept-Language": "es-MX"},
    )
    page = response.get_data(as_text=True)
    assert "correo" in error_of(page, "email").lower()
    assert 'value="María"' in page


def test_tampered_hidden_field_is_refused(app, client, slug):
    response = client.post(f"/events/{slug}", data=form(submission_key="x" * 65))
    assert response.status_code == 400
    assert "This form was changed" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_markup_in_free_text_stays_inert(app, client, slug):
    payload = '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">x</a>'
    response = client.post(f"/events/{slug}", data=form(access_needs=payload))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Rsvp.access_needs)) == payload


def test_double_click_makes_one_rsvp_and_one_email(app, client, slug):
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post(f"/events/{slug}", data=form(submission_key=key))
    second = client.post(f"/events/{slug}", data=form(submission_key=key))
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(app) == (1, 1)


def test_closed_event_refuses_with_a_message(app, client, make_event):
    from datetime import timedelta

    from eventsvc.db import utc_now

    event_id = make_event(
        rsvp_opens_dt=utc_now() - timedelta(days=3), rsvp_closes_dt=utc_now() - timedelta(days=1)
    )
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "RSVPs for this event are closed." in page and "RSVPs closed" in page
    response = client.post(f"/events/{slug}", data=form())
    assert response.status_code == 400
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/qr.svg"),
        ("get", "/qr.png"),
        ("post", "/cancel"),
        ("post", "/delete"),
        ("post", "/party"),
    ],
)
@pytest.mark.parametrize("token", ["nope", "A" * 32, "x" * 200])
def test_unknown_or_guessed_token_is_404(client, method, suffix, token):
    response = getattr(client, method)(f"/rsvp/{token}{suffix}", data={"confirm": "y"})
    assert response.status_code == 404


def test_change_cancel_and_delete_from_the_attendee_page(app, client, slug):
    location = client.post(f"/events/{slug}", data=form(party_size="3")).headers["Location"]
    assert client.post(location + "/party", data={"party_size": "2"}).status_code == 303
    assert client.post(location + "/party", data={"party_size": "9"}).status_code == 400
    assert client.post(location + "/delete", data={}).status_code == 400  # must tick the box
    assert client.post(location + "/cancel").status_code == 303
    with app.app_context():
        rsvp = db.session.scalar(select(Rsvp))
        assert rsvp.status == RsvpStatus.cancelled and rsvp.party_size == 2
    assert client.post(location + "/delete", data={"confirm": "y"}).status_code == 303
    page = client.get(location).get_data(as_text=True)
    assert "Your information has been erased" in page and "ana@example.org" not in page
    with app.app_context():
        assert db.session.scalar(select(Rsvp.email)) is None


def test_rsvp_form_requires_csrf_in_production(make_app, slug):
    response = make_app().test_client().post(f"/events/{slug}", data=form())
    assert response.status_code == 400


def test_an_rsvp_costs_the_same_few_statements_however_many_came_before(app, client, slug):
    from sqlalchemy import event as sa_event

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        per_rsvp = []
        for n in range(12):
            statements.clear()
            response = client.post(f"/events/{slug}", data=form(email=f"p{n}@example.org"))
            assert response.status_code == 303
            per_rsvp.append(len(statements))
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    # Confirmed (the first 10 seats) and waitlisted RSVPs: each a small, fixed number.
    assert max(per_rsvp) <= 10
    assert len(set(per_rsvp[1:10])) == 1 and len(set(per_rsvp[10:])) == 1


def test_event_pages_show_times_in_the_visitors_language(client, slug):
    for path in (f"/events/{slug}", "/events/"):
        page = client.get(path, headers={"Accept-Language": "es"}).get_data(as_text=True)
        assert re.search(r"\d:\d\d\W+[ap]\.\s?m\.", page), path  # "6:00 p.m.", not "6:00 PM"
