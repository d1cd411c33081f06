"""The attendee's own data, the page after the event, dead links, lost links, guessing tokens."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from tests.factories import make_door_pass

ANA = {
    "name": "Ana Díaz",
    "email": "ana@example.org",
    "phone": "(909) 555-0123",
    "language": "es",
    "party_size": "2",
    "access_needs": "Silla de ruedas",
    "interpretation_request": "Mixteco",
    "consent_contact": "y",
}


@pytest.fixture
def event_id(make_event):
    return make_event(capacity=10, guest_limit=3)


def slug_of(app, event_id) -> str:
    with app.app_context():
        return db.session.get(Event, event_id).slug


def rsvp_page(app, client, event_id, **overrides) -> str:
    """RSVP through the form; return the manage page's path."""
    response = client.post(f"/events/{slug_of(app, event_id)}", data={**ANA, **overrides})
    assert response.status_code == 303
    return response.headers["Location"]


def end_event(app, event_id, *, ago=timedelta(hours=1)) -> None:
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.end_dt = utc_now() - ago
        event.start_dt = event.end_dt - timedelta(hours=2)
        db.session.commit()


# --- see and take my data --------------------------------------------------------------------


def test_page_lists_everything_stored_about_the_rsvp(app, client, event_id):
    location = rsvp_page(app, client, event_id)
    with app.app_context():
        rsvp = db.session.scalar(select(Rsvp))
        door = make_door_pass(
            db.session.get(Event, event_id),
            label="North door",
            expires_dt=utc_now() + timedelta(days=1),
        )
        rsvp.tickets[0].check_in(utc_now(), door=door)
        db.session.commit()
    page = client.get(location).get_data(as_text=True)
    section = page[page.index('id="data-title"') :]
    for shown in (
        "Ana Díaz",
        "ana@example.org",
        "+19095550123",
        "Español",
        "Silla de ruedas",
        "Mixteco",
        "Confirmed",
        "North door",
        "Your RSVP",  # the confirmation email, by what it was about
        "Waiting",  # …and its state
        "data.json",
    ):
        assert shown in section, shown
    assert section.count("Ticket ") >= 2


def test_data_json_is_a_private_download_of_this_rsvp_only(app, client, event_id, make_event):
    location = rsvp_page(app, client, event_id)
    # The same address RSVPs again (here and elsewhere): none of it is in this RSVP's data.
    rsvp_page(app, client, event_id, name="Someone Else", access_needs="Other needs")
    rsvp_page(app, client, make_event(), name="Ana Elsewhere")
    response = client.get(location + "/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.data)
    assert set(data) == {
        "name",
        "email",
        "phone",
        "language",
        "party_size",
        "status",
        "created",
        "updated",
        "waitlisted",
        "cancelled",
        "access_needs",
        "interpretation_request",
        "consent_contact",
        "event",
        "tickets",
        "messages",
    }
    assert data["name"] == "Ana Díaz" and data["phone"] == "+19095550123"
    assert data["access_needs"] == "Silla de ruedas" and data["consent_contact"] is True
    assert [t["position"] for t in data["tickets"]] == [1, 2]
    assert all(t["status"] == "active" and t["checked_in"] is None for t in data["tickets"])
    assert [m["kind"] for m in data["messages"]] == ["rsvp_made"]
    text = response.get_data(as_text=True)
    assert "Someone Else" not in text and "Other needs" not in text and "Elsewhere" not in text


# --- after the event: read-only --------------------------------------------------------------


def test_after_the_event_the_page_is_read_only_without_qr(app, client, event_id):
    location = rsvp_page(app, client, event_id)
    assert client.get(location + "/qr.svg?ticket=1").status_code == 200
    end_event(app, event_id)
    response = client.get(location)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This event is over" in page and "Ana Díaz" in page
    assert "qr.svg" not in page and "qr.png" not in page
    assert f'action="{location}/party"' not in page and f'action="{location}/cancel"' not in page
    assert f'action="{location}/delete"' in page and f"{location}/data.json" in page
    assert client.get(location + "/qr.svg?ticket=1").status_code == 404
    assert client.get(location + "/qr.png?ticket=1").status_code == 404
    assert client.post(location + "/cancel").status_code == 400
    assert client.post(location + "/party", data={"party_size": "1"}).status_code == 400
    with app.app_context():
        rsvp = db.session.scalar(select(Rsvp))
        assert rsvp.status == RsvpStatus.confirmed and rsvp.party_size == 2
    assert client.get(location + "/data.json").status_code == 200
    assert client.post(location + "/delete", data={"confirm": "y"}).status_code == 303


@pytest.mark.parametrize("suffix", ["", "/qr.svg", "/qr.png", "/data.json", "/calendar.ics"])
@pytest.mark.parametrize("token", ["nope", "A" * 32, "x" * 200, "%00"])
def test_unknown_link_is_a_plain_404_page_with_the_lost_link_form(client, token, suffix):
    response = client.get(f"/rsvp/{token}{suffix}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "This link is not valid or has expired" in page
    assert 'action="/rsvp/lost"' in page


def test_purged_event_links_expire_without_a_name(app, client, event_id):
    from eventsvc.rsvps.links import feed_token

    location = rsvp_page(app, client, event_id)
    end_event(app, event_id, ago=timedelta(days=40))
    with app.app_context():
        # What the retention purge leaves: the event marked purged, the RSVP anonymised.
        rsvp = db.session.scalar(select(Rsvp))
        rsvp.anonymise(utc_now())
        db.session.get(Event, event_id).purged_dt = utc_now()
        feed = feed_token(rsvp)
        db.session.commit()
    for path in (location, location + "/data.json", f"/rsvp/{feed}/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        page = response.get_data(as_text=True)
        assert "This link is not valid or has expired" in page and "Ana" not in page


# --- send me my links again ------------------------------------------------------------------


@pytest.fixture
def mailing(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    return smtp_server


def ask(client, email, **environ):
    return client.post("/rsvp/lost", data={"email": email}, environ_base=environ or {})


def test_lost_link_answer_is_the_same_whatever_the_address(app, client, event_id, make_event):
    rsvp_page(app, client, event_id)
    assert client.get("/rsvp/lost").status_code == 200
    answers = []
    for email in ("ana@example.org", "nobody@example.org"):
        response = ask(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], page))
    assert answers[0] == answers[1]
    assert answers[0][0] == 303 and "If this email has RSVPs" in answers[0][2]
    with app.app_context():
        [message] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "rsvp_links")
        ).all()
        assert message.to_address == "ana@example.org"


def test_lost_links_mail_lists_live_rsvps_of_coming_events(
    app, client, event_id, make_event, mailing
):
    from eventsvc.rsvps.links import manage_url

    coming = rsvp_page(app, client, event_id)
    past_event = make_event()
    rsvp_page(app, client, past_event, name="Ana Past")
    end_event(app, past_event)
    cancelled_event = make_event()
    cancelled = rsvp_page(app, client, cancelled_event, name="Ana Cancelled")
    assert client.post(cancelled + "/cancel").status_code == 303
    with app.app_context():
        mailing.messages.clear()
        db.session.execute(db.delete(OutboxMessage))
        db.session.commit()
    ask(client, "ana@example.org")
    with app.app_context():
        assert deliver_pending().sent == 1
        url = manage_url(db.session.scalar(select(Rsvp).where(Rsvp.name == "Ana Díaz")))
    [message] = mailing.messages
    assert message["To"] == "ana@example.org"
    text = message.get_body(("plain",)).get_content()
    assert url.endswith(coming) and url in text
    assert len(re.findall(r"/rsvp/[A-Za-z0-9_\-]{20,}", text)) == 1  # past and cancelled: not
    assert "Evento" in text  # the RSVP's language (Spanish)


def test_lost_link_form_refuses_an_empty_or_bad_email(client):
    assert ask(client, "").status_code == 400
    assert ask(client, "ana@").status_code == 400
    page = client.get("/rsvp/lost").get_data(as_text=True)
    assert "phone number only" in page and "tel:" in page


def test_lost_link_requests_are_rate_limited_per_client_and_per_email(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, RSVP_LINK_RESEND_RATE_LIMIT="2 per hour")
    client = app.test_client()
    one = {"REMOTE_ADDR": "10.0.0.1"}
    assert ask(client, "a@example.org", **one).status_code == 303
    assert ask(client, "b@example.org", **one).status_code == 303
    assert ask(client, "c@example.org", **one).status_code == 429  # this client is done
    two = {"REMOTE_ADDR": "10.0.0.2"}
    assert ask(client, "a@example.org", **two).status_code == 303
    three = {"REMOTE_ADDR": "10.0.0.3"}
    assert ask(client, "a@example.org", **three).status_code == 429  # this email is done
    assert ask(client, "d@example.org", **three).status_code == 303


def test_lost_link_form_needs_csrf(make_app):
    response = make_app().test_client().post("/rsvp/lost", data={"email": "a@example.org"})
    assert response.status_code == 400


# --- guessing tokens -------------------------------------------------------------------------


def test_guessing_manage_tokens_gets_429_while_the_owner_still_gets_in(make_app, make_event):
    app = make_app(
        WTF_CSRF_ENABLED=False, TOKEN_LOOKUP_LIMIT="3 per minute", RATELIMIT_HEADERS_ENABLED=True
    )
    event_id = make_event()
    owner = app.test_client()
    location = rsvp_page(app, owner, event_id)
    guesser = app.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for n in range(3):
        assert guesser.get(f"/rsvp/{'A' * 31}{n}", environ_base=attacker).status_code == 404
    refused = guesser.get(f"/rsvp/{'A' * 31}9", environ_base=attacker)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Feed and disown look-ups share the budget: still refused.
    assert guesser.get(f"/rsvp/{'B' * 32}/calendar.ics", environ_base=attacker).status_code == 429
    assert guesser.get(f"/rsvp/not-me/{'C' * 32}", environ_base=attacker).status_code == 429
    # The owner, from their own address, opens their page as often as they like.
    for _ in range(5):
        assert owner.get(location, environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
