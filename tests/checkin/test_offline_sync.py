"""What the offline door needs of the server: snapshot, offline admissions, conflicts, clocks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from eventsvc.checkin.models import CheckIn
from eventsvc.db import utc_now
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.rsvps.qr import decode_ticket, signing_key
from eventsvc.rsvps.services import cancel_rsvp

NAMES = ("José", "Ñúñez", "jose@example.org")


@pytest.fixture
def snapshot(client, door):
    """Return snapshot(since=None, token=door["main"], headers=None) -> response."""

    def get(since=None, token=None, headers=None):
        return client.get(
            f"/api/v1/events/{door['event_id']}/snapshot",
            query_string={"since": since} if since else {},
            headers={"X-Door-Token": token or door["main"], **(headers or {})},
        )

    return get


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scans_of(app, ticket_id: int) -> list[CheckIn]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(CheckIn).where(CheckIn.ticket_id == ticket_id).order_by(CheckIn.id)
            )
        )


# --- the snapshot ---------------------------------------------------------------------------------


def test_the_snapshot_lists_every_ticket_with_the_fingerprint_of_its_code_and_no_names(
    app, door, snapshot
):
    response = snapshot()
    body = response.get_json()
    assert response.status_code == 200 and body["full"] is True
    assert body["count"] == 3
    with app.app_context():
        public_key = signing_key(app.config).public_key()
        seeds = {
            claim.ticket_id: claim.seed
            for claim in (decode_ticket(code, public_key) for code in door["codes"])
        }
    assert body["tickets"] == [
        [ticket_id, hashlib.sha256(seeds[ticket_id]).hexdigest()[:8], "valid", 0]
        for ticket_id in door["tickets"]
    ]
    text = response.get_data(as_text=True)
    assert not any(part in text for part in NAMES)
    assert "rsvp" not in text


def test_the_snapshot_window_opens_before_the_event_and_closes_with_the_door_links(
    app, door, snapshot
):
    body = snapshot().get_json()
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        early = timedelta(minutes=app.config["DOOR_EARLY_MINUTES"])
        assert body["window"]["opens_at"] == iso(event.start_dt - early)
        assert body["window"]["closes_at"] == iso(event.end_dt + timedelta(hours=6))


def test_an_unchanged_snapshot_is_304_and_any_change_gives_a_new_etag(app, door, snapshot, scan):
    etag = snapshot().headers["ETag"]
    unchanged = snapshot(headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert scan(code=door["codes"][0]).get_json()["ok"]
    changed = snapshot(headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_delta_sends_only_what_changed_with_its_check_in_time(app, door, snapshot, scan):
    first = snapshot().get_json()
    with app.app_context():  # the others changed long before the copy: outside the overlap
        for ticket in db.session.scalars(select(Ticket).where(Ticket.event_id == door["event_id"])):
            ago = 1 if ticket.id == door["tickets"][1] else 2
            ticket.changed_dt = utc_now() - timedelta(hours=ago)
        db.session.commit()
    old = snapshot().get_json()
    assert scan(code=door["codes"][1]).get_json()["ok"]
    delta = snapshot(since=old["revision"]).get_json()
    assert delta["full"] is False and delta["count"] == 3
    assert [row[0] for row in delta["tickets"]] == [door["tickets"][1]]
    assert delta["tickets"][0][3] > 0
    assert first["revision"] != delta["revision"]


def test_cancelled_and_deleted_tickets_show_in_the_snapshot(app, door, snapshot):
    with app.app_context():
        cancel_rsvp(db.session.get(Rsvp, door["rsvp_id"]))
        db.session.commit()
    body = snapshot().get_json()
    assert {row[2] for row in body["tickets"]} == {"cancelled"}
    with app.app_context():
        db.session.delete(db.session.get(Rsvp, door["rsvp_id"]))
        db.session.commit()
    after = snapshot(since=body["revision"]).get_json()
    assert after["count"] == 0  # the scanner holds 3: it asks again for the whole list


def test_a_door_link_of_another_event_gets_no_snapshot(door, snapshot):
    assert snapshot(token=door["elsewhere"]).status_code == 403


# --- offline admissions and conflicts -------------------------------------------------------------


def test_an_offline_admission_is_logged_as_offline(app, door, scan):
    answer = scan(code=door["codes"][0], client_scan_id="phone-a-0001", offline=True).get_json()
    assert answer["ok"] and answer["conflict"] is False
    [logged] = scans_of(app, door["tickets"][0])
    assert logged.is_offline and not logged.is_conflict


def test_two_phones_admitting_one_ticket_offline_admit_once_and_flag_a_conflict(app, door, scan):
    first = scan(code=door["codes"][0], client_scan_id="phone-a-0001", offline=True)
    second = scan(
        code=door["codes"][0], client_scan_id="phone-b-0001", offline=True, token=door["side"]
    )
    assert first.get_json()["ok"] is True
    answer = second.get_json()
    assert answer["result"] == "already_checked_in" and answer["conflict"] is True
    admitted, conflict = scans_of(app, door["tickets"][0])
    assert admitted.result == "ok" and not admitted.is_conflict
    assert conflict.result == "already_checked_in" and conflict.is_conflict
    assert conflict.is_offline and conflict.door_pass_id == door["side_id"]


def test_syncing_again_adds_nothing(app, door, scan):
    for _ in range(2):
        scan(code=door["codes"][0], client_scan_id="phone-a-0001", offline=True)
        again = scan(
            code=door["codes"][0], client_scan_id="phone-b-0001", offline=True, token=door["side"]
        )
    assert again.get_json()["replay"] is True and again.get_json()["conflict"] is True
    assert len(scans_of(app, door["tickets"][0])) == 2


def test_an_online_duplicate_is_no_conflict_and_names_no_ticket(app, door, scan):
    scan(code=door["codes"][0])
    answer = scan(code=door["codes"][0]).get_json()
    assert answer["result"] == "already_checked_in" and answer["conflict"] is False
    assert len(scans_of(app, door["tickets"][0])) == 1  # the refusal's line names nobody


def test_an_offline_admission_of_a_cancelled_ticket_is_a_conflict(app, door, scan):
    with app.app_context():
        cancel_rsvp(db.session.get(Rsvp, door["rsvp_id"]))
        db.session.commit()
    answer = scan(code=door["codes"][0], client_scan_id="phone-a-0002", offline=True).get_json()
    assert answer["result"] == "cancelled" and answer["conflict"] is True


def test_an_offline_forged_code_is_refused_but_no_conflict_names_anyone(app, door, scan):
    answer = scan(code="A" * 127, client_scan_id="phone-a-0003", offline=True).get_json()
    assert answer["result"] == "invalid" and answer["conflict"] is False


# --- device clocks --------------------------------------------------------------------------------


def test_a_device_clock_ten_minutes_ahead_is_flagged_and_its_scan_time_corrected(app, door, scan):
    now = utc_now()
    answer = scan(
        code=door["codes"][0],
        client_scan_id="phone-c-0001",
        offline=True,
        scanned_at=iso(now + timedelta(minutes=10) - timedelta(minutes=3)),  # 3 min ago, real
        sent_at=iso(now + timedelta(minutes=10)),
    ).get_json()
    assert answer["ok"]
    [logged] = scans_of(app, door["tickets"][0])
    assert 590 <= logged.clock_offset_s <= 610
    assert abs((logged.scanned_dt - (now - timedelta(minutes=3))).total_seconds()) < 15


def test_a_clock_within_five_minutes_is_not_flagged(app, door, scan):
    now = utc_now()
    scan(
        code=door["codes"][0],
        client_scan_id="phone-c-0002",
        scanned_at=iso(now - timedelta(seconds=2)),
        sent_at=iso(now + timedelta(minutes=4)),
    )
    [logged] = scans_of(app, door["tickets"][0])
    assert logged.clock_offset_s is None


def test_a_sent_at_that_is_no_time_is_a_bad_request_in_spanish(door, scan):
    response = scan(code=door["codes"][0], sent_at="yesterday", headers={"Accept-Language": "es"})
    assert response.status_code == 400
    assert "sent_at" in response.get_json()["message"]
    assert response.get_json()["message"] != (
        "sent_at must be an ISO 8601 time with its offset, like 2026-07-04T19:30:00Z."
    )


# --- the event's day ------------------------------------------------------------------------------


@pytest.fixture
def next_week(app, door):
    with app.app_context():
        event = db.session.get(Event, door["event_id"])
        event.start_dt += timedelta(days=7)
        event.end_dt += timedelta(days=7)
        db.session.commit()
        return event.start_dt


def test_a_scan_a_week_early_asks_to_confirm_and_changes_nothing(app, door, scan, next_week):
    answer = scan(code=door["codes"][0], client_scan_id="early-0001").get_json()
    assert answer["result"] == "wrong_day" and answer["ok"] is False
    assert answer["day"] and answer["day"] in answer["message"]
    assert scans_of(app, door["tickets"][0]) == []
    with app.app_context():
        assert db.session.get(Ticket, door["tickets"][0]).checked_in_dt is None
    confirmed = scan(code=door["codes"][0], client_scan_id="early-0001", confirm_day=True)
    assert confirmed.get_json()["ok"] is True


def test_the_day_is_named_in_spanish(app, door, scan, next_week):
    answer = scan(code=door["codes"][0], headers={"Accept-Language": "es"}).get_json()
    assert answer["result"] == "wrong_day"
    assert "Thu" not in answer["day"] and "Mon" not in answer["day"]
    assert answer["message"].startswith("Este boleto")


def test_an_offline_admission_on_another_day_is_not_asked_again(app, door, scan, next_week):
    answer = scan(code=door["codes"][0], client_scan_id="early-0002", offline=True).get_json()
    assert answer["ok"] is True


# --- what the back office shows -------------------------------------------------------------------


@pytest.fixture
def organiser_client(app, create_staff_user):
    user = create_staff_user(name="Olga Organiser")
    client = app.test_client()
    client.post("/login", data={"email": user["email"], "password": user["password"]})
    return client


def test_the_door_page_and_the_live_view_show_a_conflict_and_a_wrong_clock(
    app, door, scan, organiser_client
):
    scan(code=door["codes"][0], client_scan_id="phone-a-0001", offline=True)
    scan(code=door["codes"][0], client_scan_id="phone-b-0001", offline=True, token=door["side"])
    now = utc_now()
    scan(
        code=door["codes"][1],
        client_scan_id="phone-c-0001",
        offline=True,
        scanned_at=iso(now - timedelta(hours=2)),
        sent_at=iso(now - timedelta(hours=2, minutes=1)),  # the phone's clock is 2 h behind
    )
    doors = organiser_client.get(f"/admin/events/{door['event_id']}/doors")
    html = doors.get_data(as_text=True)
    assert doors.status_code == 200
    section = html.split('class="door-problems"')[1].split("</section>")[0]
    assert "hidden" not in section.split(">")[0]
    assert "José Ñúñez (person 1 of 3)" in section
    assert "Side door" in section and "Main entrance" in section
    assert "-121 min" in section or "-120 min" in section
    live = organiser_client.get(f"/admin/events/{door['event_id']}/live.json").get_json()
    [conflict] = live["conflicts"]
    assert conflict["door"] == "Side door" and "Main entrance" in conflict["first"]
    [skewed] = live["skewed"]
    assert skewed["door"] == "Main entrance" and skewed["offset"] in {"-120 min", "-121 min"}


def test_without_offline_trouble_the_section_is_hidden(app, door, scan, organiser_client):
    scan(code=door["codes"][0])
    scan(code=door["codes"][0])  # a duplicate online is no conflict
    html = organiser_client.get(f"/admin/events/{door['event_id']}/doors").get_data(as_text=True)
    assert "data-live-problems hidden" in html
    live = organiser_client.get(f"/admin/events/{door['event_id']}/live.json").get_json()
    assert live["conflicts"] == [] and live["skewed"] == []
