"""Back office for events: create, edit, duplicate, publish, cancel, the dashboard's door view."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select

from eventsvc.auth.models import Role
from eventsvc.checkin.doors import Door, create_door_pass, door_pass_token
from eventsvc.checkin.models import DoorPass
from eventsvc.checkin.services import check_in
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.events.models import Event, EventStatus
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def organiser(auth, create_staff_user):
    user = create_staff_user(role=Role.organiser)
    assert auth.login(user["email"], user["password"]).status_code == 303
    return user


def new_event_form(**overrides):
    data = {
        "title_en": "Anniversary gala",
        "title_es": "Gala de aniversario",
        "description_en": "Dinner and music.",
        "description_es": "Cena y música.",
        "accessibility_notes_en": "Step-free entrance.",
        "accessibility_notes_es": "Entrada sin escalones.",
        "slug": "",
        "timezone": "America/Los_Angeles",
        "starts": "2030-07-04T18:00",
        "ends": "2030-07-04T21:30",
        "venue_name": "Community hall",
        "venue_address": "123 Main St, Riverside, CA",
        "capacity": "120",
        "guest_limit": "3",
        "rsvp_opens": "",
        "rsvp_closes": "2030-07-04T12:00",
        "host_organisations": "Riverside Legal Clinic",
    }
    data.update(overrides)
    return data


def series_id(app, make_event):
    """Make sure a series exists (make_event creates it); return its id."""
    event_id = make_event(slug="seed-event")
    with app.app_context():
        return db.session.get(Event, event_id).series_id


def count_events(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


def error_of(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def edit_form(app, event_id, **changes):
    """Return the edit form's data as the page would send it back, with changes."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        tz = ZoneInfo(event.timezone)

        def local(value):
            return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""

        data = {
            name: getattr(event, name) or ""
            for name in (
                "title_en",
                "title_es",
                "description_en",
                "description_es",
                "accessibility_notes_en",
                "accessibility_notes_es",
                "slug",
                "timezone",
                "venue_name",
                "venue_address",
                "host_organisations",
            )
        }
        data |= {
            "capacity": str(event.capacity),
            "guest_limit": str(event.guest_limit),
            "starts": local(event.start_dt),
            "ends": local(event.end_dt),
            "rsvp_opens": local(event.rsvp_opens_dt),
            "rsvp_closes": local(event.rsvp_closes_dt),
        }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def rsvp(app, event_id, name, email, language, party_size=1):
    with app.app_context():
        outcome = submit_rsvp(
            db.session.get(Event, event_id),
            RsvpData(name=name, email=email, phone=None, language=language, party_size=party_size),
        )
        db.session.commit()
        return outcome.rsvp.id


def clear_outbox(app):
    with app.app_context():
        db.session.execute(OutboxMessage.__table__.delete())
        db.session.commit()


# --- create -----------------------------------------------------------------------------------


def test_create_event_saves_a_draft_in_utc_with_a_slug_from_the_title(
    app, client, organiser, make_event
):
    sid = series_id(app, make_event)
    assert client.get("/admin/events/new").status_code == 200
    response = client.post("/admin/events/new", data=new_event_form(series_id=str(sid)))
    assert response.status_code == 303
    event_id = int(re.search(r"/admin/events/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        event = db.session.get(Event, event_id)
        assert event.status == EventStatus.draft
        assert event.slug == "anniversary-gala"
        # 6 pm on the 4th of July in California is 1 am UTC on the 5th (PDT, UTC-7).
        assert event.start_dt == datetime(2030, 7, 5, 1, 0, tzinfo=UTC)
        assert event.end_dt == datetime(2030, 7, 5, 4, 30, tzinfo=UTC)
        assert event.rsvp_closes_dt == datetime(2030, 7, 4, 19, 0, tzinfo=UTC)
        assert event.rsvp_opens_dt is None
        assert (event.title_es, event.capacity, event.guest_limit) == (
            "Gala de aniversario",
            120,
            3,
        )
        assert event.host_organisations == "Riverside Legal Clinic"
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "event.create"))
        assert entry.actor_id == organiser["id"] and entry.object_id == str(event_id)
    overview = client.get(f"/admin/events/{event_id}").get_data(as_text=True)
    assert "Anniversary gala" in overview and "Draft" in overview
    assert "anniversary-gala" not in client.get("/events/").get_data(as_text=True)


def test_spanish_is_optional_and_the_page_falls_back_to_english(app, client, organiser, make_event):
    sid = series_id(app, make_event)
    data = new_event_form(series_id=str(sid), title_es="", description_es="", slug="solo-en")
    assert client.post("/admin/events/new", data=data).status_code == 303
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "solo-en"))
        assert event.title_es is None and event.title("es") == "Anniversary gala"


CASES = {
    "end before start": ({"ends": "2030-07-04T17:00"}, "ends", "must end after it starts"),
    "RSVPs close after the end": (
        {"rsvp_closes": "2030-07-05T09:00"},
        "rsvp_closes",
        "RSVPs must close by the end",
    ),
    "RSVPs close before they open": (
        {"rsvp_opens": "2030-07-04T13:00"},
        "rsvp_closes",
        "must close after they open",
    ),
    "negative capacity": ({"capacity": "-5"}, "capacity", "Capacity must be at least 1"),
    "negative guest limit": ({"guest_limit": "-1"}, "guest_limit", "cannot be negative"),
    "unknown time zone": ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not known"),
    "duplicate slug": ({"slug": "seed-event"}, "slug", "already uses this address"),
    "slug with spaces": ({"slug": "Gala Night"}, "slug", "lower-case letters"),
    "no English title": ({"title_en": ""}, "title_en", "title in English"),
    "not a date": ({"starts": "next friday"}, "starts", "Enter a date and a time"),
}


@pytest.mark.parametrize("changes, field, message", CASES.values(), ids=CASES.keys())
def test_create_refuses_each_problem_next_to_its_field_keeping_the_values(
    app, client, organiser, make_event, changes, field, message
):
    sid = series_id(app, make_event)
    before = count_events(app)
    data = new_event_form(series_id=str(sid), **changes)
    response = client.post("/admin/events/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in error_of(page, field)
    assert f'aria-describedby="{field}-error"' in page or f'{field}-error"' in page
    # What was typed is still there, in every field.
    for name in ("title_es", "venue_address", "capacity", "timezone"):
        assert f'value="{html.escape(data[name], quote=True)}"' in page, name
    assert "Cena y música." in page
    assert count_events(app) == before  # nothing saved
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_several_problems_show_at_once(app, client, organiser, make_event):
    sid = series_id(app, make_event)
    data = new_event_form(series_id=str(sid), title_en="", ends="2030-07-04T17:00", capacity="0")
    page = client.post("/admin/events/new", data=data).get_data(as_text=True)
    assert error_of(page, "title_en") and error_of(page, "ends") and error_of(page, "capacity")


# --- edit -------------------------------------------------------------------------------------


def test_edit_refuses_capacity_below_confirmed_seats(app, client, organiser, make_event):
    event_id = make_event(capacity=10, guest_limit=3)
    rsvp(app, event_id, "Ana", "ana@example.org", "en", party_size=4)
    response = client.post(
        f"/admin/events/{event_id}/edit", data=edit_form(app, event_id, capacity="3")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "below the 4 seats already confirmed" in error_of(page, "capacity")
    assert 'value="3"' in page
    with app.app_context():
        assert db.session.get(Event, event_id).capacity == 10


def test_more_capacity_goes_to_the_waitlist_at_once(app, client, organiser, make_event):
    event_id = make_event(capacity=2, guest_limit=3)
    rsvp(app, event_id, "Ana", "ana@example.org", "en", party_size=2)
    waiting = rsvp(app, event_id, "Bea", "bea@example.org", "es", party_size=2)
    response = client.post(
        f"/admin/events/{event_id}/edit", data=edit_form(app, event_id, capacity="4")
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Event, event_id).capacity == 4
        assert db.session.get(Rsvp, waiting).status == RsvpStatus.confirmed
        actions = {e.action for e in db.session.scalars(select(AuditLog))}
        assert "event.capacity" in actions


def ics_event(client, uid_prefix):
    body = client.get("/calendar.ics").data
    calendar = icalendar.Calendar.from_ical(body)
    return next((v for v in calendar.walk("VEVENT") if str(v["UID"]).startswith(uid_prefix)), None)


def test_edit_bumps_sequence_and_notifies_each_attendee_in_their_language(
    app, client, organiser, make_event, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    event_id = make_event(capacity=2, guest_limit=3)
    rsvp(app, event_id, "Ana Smith", "ana@example.org", "en")
    rsvp(app, event_id, "José Ñúñez", "jose@example.org", "es")
    rsvp(app, event_id, "Late Larry", "larry@example.org", "en", party_size=2)  # waitlisted
    gone = rsvp(app, event_id, "Gone Gina", "gina@example.org", "en")
    with app.app_context():
        from eventsvc.rsvps.services import cancel_rsvp

        cancel_rsvp(db.session.get(Rsvp, gone))
        db.session.commit()
    clear_outbox(app)
    assert int(ics_event(client, f"event-{event_id}@")["SEQUENCE"]) == 0

    edit = client.get(f"/admin/events/{event_id}/edit").get_data(as_text=True)
    assert 'name="notify"' in edit and "checked" in re.search(r"<input[^>]*notify[^>]*>", edit)[0]
    assert "3 attendees with an email" in edit

    data = edit_form(app, event_id, venue_name="Bigger hall", notify="y")
    response = client.post(f"/admin/events/{event_id}/edit", data=data)
    assert response.status_code == 303
    assert int(ics_event(client, f"event-{event_id}@")["SEQUENCE"]) == 1
    with app.app_context():
        queued = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert sorted((m.to_address, m.language, m.kind) for m in queued) == [
            ("ana@example.org", "en", "rsvp_event_changed"),
            ("jose@example.org", "es", "rsvp_event_changed"),
            ("larry@example.org", "en", "rsvp_event_changed"),
        ]
    result = app.test_cli_runner().invoke(args=["eventsvc", "send-mail"])
    assert result.exit_code == 0, result.output
    by_recipient = {
        tuple(r): m for r, m in zip(smtp_server.recipients, smtp_server.messages, strict=True)
    }
    spanish = by_recipient[("jose@example.org",)]
    english = by_recipient[("ana@example.org",)]
    assert "Nuevo horario o lugar" in spanish["Subject"]
    assert "Bigger hall" in spanish.get_body(("plain",)).get_content()
    assert "New time or place" in english["Subject"]
    assert "changed the time or the place" in english.get_body(("plain",)).get_content()


def test_a_change_email_is_dropped_when_the_attendee_cancels_before_it_leaves(
    app, client, organiser, make_event, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    event_id = make_event(capacity=5)
    stays = rsvp(app, event_id, "Ana Smith", "ana@example.org", "en")
    leaves = rsvp(app, event_id, "Gone Gina", "gina@example.org", "en")
    clear_outbox(app)
    data = edit_form(app, event_id, venue_name="Bigger hall", notify="y")
    assert client.post(f"/admin/events/{event_id}/edit", data=data).status_code == 303
    with app.app_context():
        from eventsvc.rsvps.services import cancel_rsvp

        cancel_rsvp(db.session.get(Rsvp, leaves), notify=False)
        db.session.commit()
        assert db.session.get(Rsvp, stays).status == RsvpStatus.confirmed
    result = app.test_cli_runner().invoke(args=["eventsvc", "send-mail"])
    assert result.exit_code == 0, result.output
    assert smtp_server.recipients == [["ana@example.org"]]


def test_edit_without_notify_or_without_a_move_sends_nothing(app, client, organiser, make_event):
    event_id = make_event()
    rsvp(app, event_id, "Ana", "ana@example.org", "en")
    clear_outbox(app)
    # Unticked: the place changes, nobody is emailed.
    data = edit_form(app, event_id, venue_name="Other hall")
    assert client.post(f"/admin/events/{event_id}/edit", data=data).status_code == 303
    # Ticked, but only the wording changes: nothing to tell.
    data = edit_form(app, event_id, description_en="Now with tamales.", notify="y")
    assert client.post(f"/admin/events/{event_id}/edit", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.get(Event, event_id).ical_sequence == 1  # the place, once


def test_edit_form_shows_local_times(app, client, organiser, make_event):
    event_id = make_event()
    with app.app_context():
        event = db.session.get(Event, event_id)
        event.start_dt = datetime(2030, 1, 10, 2, 0, tzinfo=UTC)  # 6 pm PST on the 9th
        event.end_dt = datetime(2030, 1, 10, 4, 0, tzinfo=UTC)
        db.session.commit()
    page = client.get(f"/admin/events/{event_id}/edit").get_data(as_text=True)
    assert 'value="2030-01-09T18:00"' in page and 'value="2030-01-09T20:00"' in page


# --- duplicate and publish --------------------------------------------------------------------


def test_duplicate_makes_a_draft_without_attendees_or_door_links(
    app, client, organiser, make_event
):
    event_id = make_event(capacity=30, guest_limit=2, slug="picnic")
    rsvp(app, event_id, "Ana", "ana@example.org", "en")
    with app.app_context():
        create_door_pass(db.session.get(Event, event_id), "Main entrance")
        db.session.commit()
    response = client.post(f"/admin/events/{event_id}/duplicate")
    assert response.status_code == 303
    copy_id = int(re.search(r"/admin/events/(\d+)/edit$", response.headers["Location"]).group(1))
    assert copy_id != event_id
    with app.app_context():
        original, copy = db.session.get(Event, event_id), db.session.get(Event, copy_id)
        assert copy.status == EventStatus.draft and copy.slug == "picnic-copy"
        assert (copy.title_en, copy.capacity, copy.guest_limit, copy.venue_name) == (
            original.title_en,
            30,
            2,
            original.venue_name,
        )
        assert copy.start_dt == original.start_dt and copy.ical_sequence == 0
        assert copy.rsvps == [] and copy.door_passes == []
        assert (
            db.session.scalar(
                select(func.count()).select_from(DoorPass).where(DoorPass.event_id == copy_id)
            )
            == 0
        )
    assert client.post(f"/admin/events/{event_id}/duplicate").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 3  # picnic-copy-2


def test_publish_puts_a_draft_on_the_site_and_in_the_feed(app, client, organiser, make_event):
    event_id = make_event(status=EventStatus.draft, title_en="Youth forum", slug="youth-forum")
    assert "Youth forum" not in client.get("/events/").get_data(as_text=True)
    assert ics_event(client, f"event-{event_id}@") is None
    response = client.post(f"/admin/events/{event_id}/publish")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/events/{event_id}")
    assert "Youth forum" in client.get("/events/").get_data(as_text=True)
    assert client.get("/events/youth-forum").status_code == 200
    assert str(ics_event(client, f"event-{event_id}@")["SUMMARY"]).startswith("Youth forum")
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.published
        assert [e.action for e in db.session.scalars(select(AuditLog))] == ["event.publish"]


def test_a_cancelled_event_cannot_be_published(app, client, organiser, make_event):
    event_id = make_event(status=EventStatus.cancelled)
    response = client.post(f"/admin/events/{event_id}/publish", follow_redirects=True)
    assert "cannot be published again" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.cancelled


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_needs_both_messages_and_changes_nothing_without(app, client, organiser, make_event):
    event_id = make_event()
    page = client.get(f"/admin/events/{event_id}/cancel").get_data(as_text=True)
    assert 'name="message_en"' in page and 'name="message_es"' in page
    response = client.post(
        f"/admin/events/{event_id}/cancel", data={"message_en": "Sorry!", "message_es": ""}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write the message in Spanish." in error_of(page, "message_es")
    assert "Sorry!" in page
    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.published


def test_cancel_emails_everyone_in_both_languages_and_closes_the_door(
    app, client, organiser, make_event, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    event_id = make_event(title_en="Summer gala", title_es="Gala de verano", guest_limit=2)
    rsvp(app, event_id, "Ana Smith", "ana@example.org", "en", party_size=2)
    rsvp(app, event_id, "José Ñúñez", "jose@example.org", "es")
    with app.app_context():
        event = db.session.get(Event, event_id)
        token = door_pass_token(create_door_pass(event, "Main entrance"))
        codes = [ticket_code(t) for t in db.session.scalars(select(Ticket))]
        db.session.commit()
    clear_outbox(app)

    response = client.post(
        f"/admin/events/{event_id}/cancel",
        data={
            "message_en": "The hall flooded.\n\nWe will share a new date soon.",
            "message_es": "El salón se inundó.\n\nPronto les daremos una nueva fecha.",
        },
    )
    assert response.status_code == 303
    assert "2 attendees will get your message" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )

    # The feed shows it cancelled, with a higher SEQUENCE.
    vevent = ics_event(client, f"event-{event_id}@")
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 1

    # The door is closed: its link opens nothing, for any ticket.
    for code in codes:
        scan = client.post(
            f"/api/v1/events/{event_id}/checkins",
            json={"code": code},
            headers={"X-Door-Token": token},
        )
        assert scan.status_code == 403 and scan.get_json()["error"] == "event_cancelled"

    # Every live attendee's email reaches a real SMTP server: their language first.
    result = app.test_cli_runner().invoke(args=["eventsvc", "send-mail"])
    assert result.exit_code == 0, result.output
    assert sorted(r for [r] in smtp_server.recipients) == ["ana@example.org", "jose@example.org"]
    by_recipient = {
        r: m for [r], m in zip(smtp_server.recipients, smtp_server.messages, strict=True)
    }
    english, spanish = by_recipient["ana@example.org"], by_recipient["jose@example.org"]
    assert english["Subject"] == "Cancelled: Summer gala / Cancelado: Gala de verano"
    assert spanish["Subject"] == "Cancelado: Gala de verano / Cancelled: Summer gala"
    for message, first, second in (
        (english, "The hall flooded.", "El salón se inundó."),
        (spanish, "El salón se inundó.", "The hall flooded."),
    ):
        text = message.get_body(("plain",)).get_content()
        assert first in text and second in text
        assert text.index(first) < text.index(second)
        html_body = message.get_body(("html",)).get_content()
        assert 'lang="en"' in html_body and 'lang="es"' in html_body
        assert html_body.index(first) < html_body.index(second)
    assert "Hi Ana Smith," in english.get_body(("plain",)).get_content()
    assert "Hola, José Ñúñez:" in spanish.get_body(("plain",)).get_content()
    assert english["Content-Language"] == "en" and spanish["Content-Language"] == "es"

    with app.app_context():
        assert db.session.get(Event, event_id).status == EventStatus.cancelled
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "event.cancel"))
        assert entry.actor_id == organiser["id"]
        assert entry.details["notified"] == 2 and entry.details["tickets_voided"] == 3
    # Asked again: already cancelled, no second round of emails.
    again = client.post(
        f"/admin/events/{event_id}/cancel", data={"message_en": "x", "message_es": "y"}
    )
    assert again.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_cancellation_message_is_text_not_markup(app, client, organiser, make_event):
    event_id = make_event()
    rsvp(app, event_id, "Ana", "ana@example.org", "en")
    clear_outbox(app)
    client.post(
        f"/admin/events/{event_id}/cancel",
        data={"message_en": "<b>bold</b> & more", "message_es": "nada <script>"},
    )
    with app.app_context():
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in message.body_html
        assert "<script>" not in message.body_html
        assert "<b>bold</b> & more" in message.body_text


# --- the live door view -----------------------------------------------------------------------


@pytest.fixture
def door_night(app, make_event):
    """An event happening now with a party of 3 and one of 1, and two door links."""
    event_id = make_event(capacity=20, guest_limit=4, starts_in=timedelta(minutes=-30))
    rsvp(app, event_id, "José Ñúñez", "jose@example.org", "es", party_size=3)
    rsvp(app, event_id, "Ana Smith", "ana@example.org", "en", party_size=1)
    with app.app_context():
        event = db.session.get(Event, event_id)
        main, side = create_door_pass(event, "Main entrance"), create_door_pass(event, "Side door")
        db.session.commit()
        return {
            "event_id": event_id,
            "main": main.id,
            "side": side.id,
            "side_token": door_pass_token(side),
            "codes": [
                ticket_code(t) for t in db.session.scalars(select(Ticket).order_by(Ticket.id))
            ],
        }


def test_live_json_counts_per_door_and_quarter_hour(app, client, organiser, door_night):
    event_id = door_night["event_id"]
    at = datetime(2030, 7, 4, 18, 0, tzinfo=LA)  # quarters in the event's zone
    with app.app_context():
        event = db.session.get(Event, event_id)
        main = Door(event=event, door_pass=db.session.get(DoorPass, door_night["main"]))
        side = Door(event=event, door_pass=db.session.get(DoorPass, door_night["side"]))
        for door in (main, side):  # the links must still be open at that made-up time
            door.door_pass.expires_dt = at + timedelta(days=1)
        db.session.flush()
        codes = door_night["codes"]
        assert check_in(main, code=codes[0], now=at + timedelta(minutes=2)).ok
        assert check_in(main, code=codes[1], now=at + timedelta(minutes=14)).ok
        assert check_in(side, code=codes[2], now=at + timedelta(minutes=40)).ok
        assert not check_in(side, code=codes[0], now=at + timedelta(minutes=41)).ok
        db.session.commit()
    live = client.get(f"/admin/events/{event_id}/live.json")
    assert live.status_code == 200
    assert live.headers["Cache-Control"] == "private, no-store"
    data = live.get_json()
    assert (data["checked_in"], data["confirmed"]) == (3, 4)
    assert data["doors"] == [
        {"door": "Main entrance", "count": 2},
        {"door": "Side door", "count": 1},
    ]
    # Babel writes "6:00 PM" with a narrow no-break space.
    assert [(q["label"].replace("\u202f", " "), q["count"]) for q in data["quarters"]] == [
        ("6:00 PM", 2),
        ("6:15 PM", 0),
        ("6:30 PM", 1),
    ]
    assert data["quarters"][0]["start"] == "2030-07-04T18:00:00-07:00"
    assert [(s["result"], s["door"]) for s in data["recent"]] == [
        ("already_checked_in", "Side door"),
        ("ok", "Side door"),
        ("ok", "Main entrance"),
        ("ok", "Main entrance"),
    ]
    assert data["recent"][0]["label"] == "Already checked in"
    # Only admissions name someone: the refused scan is a row without a name.
    assert [s["name"] for s in data["recent"]] == ["", "José Ñúñez", "José Ñúñez", "José Ñúñez"]


def test_live_json_follows_real_scans_through_the_api(app, client, organiser, door_night):
    event_id = door_night["event_id"]
    scan = client.post(
        f"/api/v1/events/{event_id}/checkins",
        json={"code": door_night["codes"][3]},
        headers={"X-Door-Token": door_night["side_token"]},
    )
    assert scan.get_json()["ok"] is True
    data = client.get(f"/admin/events/{event_id}/live.json").get_json()
    assert data["checked_in"] == 1 and data["doors"] == [{"door": "Side door", "count": 1}]
    now = utc_now().astimezone(LA)
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    assert [q["count"] for q in data["quarters"]] == [1]
    assert data["quarters"][0]["start"] == quarter.isoformat()


def admit_first_guest(app, door_night) -> Event:
    """Check the night's first code in at the main door; return the event (detached)."""
    with app.app_context():
        event = db.session.get(Event, door_night["event_id"])
        check_in(
            Door(event=event, door_pass=db.session.get(DoorPass, door_night["main"])),
            code=door_night["codes"][0],
        )
        db.session.commit()
        db.session.refresh(event)
        db.session.expunge(event)
        return event


def test_dashboard_shows_counts_and_the_current_events_door(
    app, client, organiser, door_night, make_event
):
    make_event(title_en="Later event", starts_in=timedelta(days=3))
    title = admit_first_guest(app, door_night).title_en
    page = client.get("/admin/").get_data(as_text=True)
    assert "Later event" in page
    assert f"At the door: {title}" in page
    assert f'data-live-url="/admin/events/{door_night["event_id"]}/live.json"' in page
    assert "js/admin-live.js" in page
    assert re.search(r'data-live="checked_in">1<', page)
    assert re.search(r'data-live="confirmed">4<', page)
    assert re.search(r"<th scope=\"row\">Main entrance</th><td class=\"num\">1</td>", page)


def test_event_overview_counts_confirmed_seats_and_people_checked_in(
    app, client, organiser, door_night
):
    capacity = admit_first_guest(app, door_night).capacity
    page = client.get(f"/admin/events/{door_night['event_id']}").get_data(as_text=True)
    assert f"<dd>4 of {capacity} seats</dd>" in page
    assert "<dt>Checked in</dt><dd>1</dd>" in page


def test_dashboard_without_an_event_today_has_no_door_view(app, client, organiser, make_event):
    make_event(starts_in=timedelta(days=3))
    page = client.get("/admin/").get_data(as_text=True)
    assert "data-live-url" not in page and "admin-live.js" not in page


# --- who may do what --------------------------------------------------------------------------


def test_volunteer_sees_only_scanner_links(app, client, auth, create_staff_user, door_night):
    user = create_staff_user(role=Role.volunteer)
    auth.login(user["email"], user["password"])
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/door/event/{door_night['event_id']}" in page
    for private in ("José", "Confirmed", "Waitlisted", "data-live-url", "/admin/events/"):
        assert private not in page
    event_id = door_night["event_id"]
    for path in (
        "/admin/events",
        "/admin/events/new",
        f"/admin/events/{event_id}",
        f"/admin/events/{event_id}/edit",
        f"/admin/events/{event_id}/cancel",
        f"/admin/events/{event_id}/live.json",
    ):
        assert client.get(path).status_code == 403, path
    for path in ("duplicate", "publish", "cancel", "edit"):
        assert client.post(f"/admin/events/{event_id}/{path}").status_code == 403, path
    assert client.post("/admin/events/new").status_code == 403


def test_anonymous_is_sent_to_login(client, make_event):
    event_id = make_event()
    for path in ("/admin/events", f"/admin/events/{event_id}/live.json"):
        response = client.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_unknown_event_is_404(client, organiser):
    for path in ("/admin/events/999", "/admin/events/999/edit", "/admin/events/999/live.json"):
        assert client.get(path).status_code == 404


def test_events_list_groups_and_counts(app, client, organiser, make_event):
    upcoming = make_event(title_en="Upcoming one", capacity=8)
    make_event(title_en="Draft one", status=EventStatus.draft)
    make_event(title_en="Past one", starts_in=timedelta(days=-10))
    make_event(title_en="Called off", status=EventStatus.cancelled)
    rsvp(app, upcoming, "Ana", "ana@example.org", "en", party_size=3)
    page = client.get("/admin/events").get_data(as_text=True)
    sections = re.split(r'<h2 id="events-', page)[1:]
    titles = {s.split('"')[0]: s for s in sections}
    assert "Upcoming one" in titles["upcoming"] and "3 / 8" in titles["upcoming"]
    assert "Draft one" in titles["draft"]
    assert "Past one" in titles["past"]
    assert "Called off" in titles["cancelled"]


def test_cancel_racing_another_cancel_sends_nothing_twice(app, make_event):
    """The loser of two simultaneous cancels finds the event cancelled and mails nobody."""
    from sqlalchemy import update

    from eventsvc.rsvps.event_changes import cancel_event

    event_id = make_event()
    rsvp(app, event_id, "Ana", "ana@example.org", "en")
    clear_outbox(app)
    with app.app_context():
        event = db.session.get(Event, event_id)  # read before the other request commits
        assert event.is_published
        with db.engine.begin() as other:  # the other organiser's request
            other.execute(
                update(Event)
                .where(Event.id == event_id)
                .values(status=EventStatus.cancelled, ical_sequence=1)
            )
        cancel_event(event, message_en="Sorry", message_es="Lo sentimos")
        db.session.commit()
        assert event.is_cancelled and event.ical_sequence == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0
