"""No door for a draft or a cancelled event: no link, no scanner, no API; volunteers' event list."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.auth.models import Role
from eventsvc.checkin import doors
from eventsvc.checkin.doors import create_door_pass, door_for_token, scanner_events
from eventsvc.checkin.models import CheckIn, DoorPass
from eventsvc.errors import DomainError, Forbidden
from eventsvc.events.models import Event, EventStatus
from eventsvc.events.services import update_event
from eventsvc.extensions import db
from eventsvc.rsvps.event_changes import cancel_event


def set_status(app, event_id, status):
    """Change an event's status as the back office does (a cancellation voids its tickets)."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        if status == EventStatus.cancelled:
            cancel_event(event)
        else:
            update_event(event, status=status)
        db.session.commit()


def login(client, create_staff_user, role):
    user = create_staff_user(role=role)
    client.post("/login", data={"email": user["email"], "password": user["password"]})
    return user


@pytest.fixture(autouse=True)
def _no_reused_doors():
    """Each test starts with no door lookup a worker could reuse (the cache is per process)."""
    doors._recent_doors.clear()
    yield
    doors._recent_doors.clear()


# --- door links -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (EventStatus.cancelled, "event_cancelled", "This event was cancelled."),
        (EventStatus.draft, "event_draft", "This event is not published yet"),
    ],
)
def test_a_door_link_opens_nothing_once_its_event_is_cancelled_or_a_draft(
    app, client, door, scan, status, code, message
):
    set_status(app, door["event_id"], status)
    with app.app_context(), pytest.raises(Forbidden) as refused:
        door_for_token(door["main"])
    assert refused.value.code == code and refused.value.message.startswith(message)

    page = client.get(f"/door/{door['main']}")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "This scanner is closed" in text and message in text
    assert "Ask the organisers for a new door link" not in text  # a new link would not help
    answer = scan(code=door["codes"][0])
    assert answer.status_code == 403 and answer.get_json()["error"] == code
    for path in ("stats", "search?q=jose"):
        refused = client.get(
            f"/api/v1/events/{door['event_id']}/{path}", headers={"X-Door-Token": door["main"]}
        )
        assert refused.status_code == 403 and refused.get_json()["error"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_closed_page_says_cancelled_in_spanish_too(app, client, door):
    set_status(app, door["event_id"], EventStatus.cancelled)
    page = client.get(f"/door/{door['main']}", headers={"Accept-Language": "es"})
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "Este evento fue cancelado." in text
    assert "This event was cancelled." not in text


@pytest.mark.parametrize(
    ("status", "code"),
    [(EventStatus.cancelled, "event_cancelled"), (EventStatus.draft, "event_draft")],
)
def test_a_reused_door_lookup_does_not_outlive_the_event(app, door, scan, status, code):
    """A worker reuses a door's lookup for 30 s: the admission itself looks at the event."""
    assert scan(code=door["codes"][0]).get_json()["ok"]  # the lookup is now reused
    set_status(app, door["event_id"], status)  # a draft again keeps its tickets active
    answer = scan(code=door["codes"][1])
    assert answer.status_code == 403 and answer.get_json()["error"] == code
    with app.app_context():
        admitted = db.session.scalars(select(CheckIn.ticket_id).where(CheckIn.result == "ok"))
        assert list(admitted) == [door["tickets"][0]]


# --- the staff scanner, the staff API -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (EventStatus.cancelled, "This event was cancelled."),
        (EventStatus.draft, "This event is not published yet"),
    ],
)
def test_the_staff_scanner_is_closed_for_a_draft_or_cancelled_event(
    app, client, create_staff_user, door, status, message
):
    login(client, create_staff_user, Role.volunteer)
    event_id = door["event_id"]
    assert client.get(f"/door/event/{event_id}").status_code == 200
    set_status(app, event_id, status)
    page = client.get(f"/door/event/{event_id}")
    assert page.status_code == 403 and message in page.get_data(as_text=True)
    assert 'id="scanner"' not in page.get_data(as_text=True)
    answer = client.post(
        f"/api/v1/events/{event_id}/checkins", json={"ticket_id": door["tickets"][0]}
    )
    assert answer.status_code == 403


# --- making door links ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [EventStatus.draft, EventStatus.cancelled])
def test_no_door_link_is_made_for_a_draft_or_cancelled_event(app, make_event, status):
    event_id = make_event(status=status)
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            create_door_pass(db.session.get(Event, event_id), "Main entrance")
        assert refused.value.code in {"event_draft", "event_cancelled"}
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(DoorPass)) == 0


def test_the_door_links_page_offers_no_link_for_a_draft_or_cancelled_event(
    app, client, create_staff_user, make_event, door
):
    login(client, create_staff_user, Role.organiser)
    draft, cancelled = make_event(status=EventStatus.draft), door["event_id"]
    set_status(app, cancelled, EventStatus.cancelled)
    for event_id, notice in (
        (draft, "publish it before making door links"),
        (cancelled, "its door links no longer open the scanner"),
    ):
        page = client.get(f"/admin/events/{event_id}/doors").get_data(as_text=True)
        assert notice in page
        assert "Create door link" not in page
        assert not re.search(r'href="[^"]*/door/[^"]+"', page)  # no dead link offered either
        refused = client.post(f"/admin/events/{event_id}/doors", data={"label": "Main"})
        assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(DoorPass.event_id == draft)) == 0


def test_the_door_pass_command_refuses_a_draft(app, runner, make_event):
    event_id = make_event(status=EventStatus.draft)
    result = runner.invoke(args=["eventsvc", "door-pass", str(event_id), "Main entrance"])
    assert result.exit_code != 0 and "not published" in result.output


# --- the volunteer's list of events ---------------------------------------------------------


def test_volunteers_see_todays_and_coming_events_first_in_start_order(
    app, client, create_staff_user, make_event
):
    events = {
        "next month": make_event(title_en="Next month", starts_in=timedelta(days=30)),
        "now": make_event(title_en="Happening now", starts_in=timedelta(minutes=-30)),
        "tonight": make_event(title_en="Tonight", starts_in=timedelta(hours=3)),
        "past": make_event(title_en="Last week", starts_in=timedelta(days=-7)),
        "draft": make_event(title_en="Still a draft", status=EventStatus.draft),
        "cancelled": make_event(title_en="Called off", status=EventStatus.cancelled),
    }
    with app.app_context():
        listed = [e.id for e in scanner_events()]
    assert listed == [events["now"], events["tonight"], events["next month"]]
    login(client, create_staff_user, Role.volunteer)
    page = client.get("/admin/").get_data(as_text=True)
    shown = re.findall(r'href="/door/event/(\d+)"', page)
    assert shown == [str(events[k]) for k in ("now", "tonight", "next month")]
    for hidden in ("Last week", "Still a draft", "Called off"):
        assert hidden not in page


def test_a_volunteer_with_nothing_to_scan_is_told_so(client, create_staff_user, make_event):
    make_event(title_en="Last week", starts_in=timedelta(days=-7))
    login(client, create_staff_user, Role.volunteer)
    page = client.get("/admin/").get_data(as_text=True)
    assert "No events to scan at" in page and "/door/event/" not in page
