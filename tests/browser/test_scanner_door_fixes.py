"""The door fixes in a real Chromium: walk-ins, "already in" with a first name, closed doors for
cancelled events, and the camera's switch and flashlight where the phone has them."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventsvc.auth.models import Role
from eventsvc.checkin.models import CheckIn
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.event_changes import cancel_event
from eventsvc.rsvps.models import Rsvp
from tests.browser.camera import camera_browser
from tests.browser.conftest import axe_violations
from tests.browser.phone import read_store
from tests.browser.test_admin_attendees import log_in
from tests.browser.test_scanner import verdict

pytestmark = pytest.mark.browser


def walk_ins(app, event_id: int) -> list[tuple[str, int, bool]]:
    """Return the walk-in parties of an event: (name, size, everyone in)."""
    with app.app_context():
        parties = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.added_by_staff).order_by(Rsvp.id)
        )
        return [(r.name, r.party_size, all(t.checked_in_dt for t in r.tickets)) for r in parties]


def admit_walk_in(page, size: int, first_name: str = "") -> None:
    form = page.locator("#walkin-form")
    if form.is_hidden():
        page.get_by_role("button", name="Walk-in (no RSVP)").click()
        expect(page.get_by_label("Party size")).to_be_focused()
    page.get_by_label("Party size").fill(str(size))
    page.get_by_label("First name (optional)").fill(first_name)
    form.get_by_role("button", name="Admit").click()


# --- walk-ins -------------------------------------------------------------------------------------


def test_a_walk_in_is_admitted_and_counted_from_a_door_link(app, page, door):
    page.goto(f"/door/{door['token']}")
    expect(page.locator("#count-in")).to_have_text("0")
    expect(page.locator("#walkin-form")).to_be_hidden()
    page.get_by_role("button", name="Walk-in (no RSVP)").click()
    expect(page.locator("#walkin-form")).to_be_visible()
    assert page.get_by_role("button", name="Walk-in (no RSVP)").get_attribute("aria-expanded") == (
        "true"
    )
    assert axe_violations(page) == []

    admit_walk_in(page, 2, " Rosa ")
    expect(verdict(page)).to_contain_text("Welcome, Rosa — walk-in party of 2")
    expect(verdict(page)).to_have_class(re.compile("verdict-ok"))
    expect(page.locator("#walkin-form")).to_be_hidden()  # closed, ready for the next scan
    expect(page.locator("#count-in")).to_have_text("2")
    expect(page.locator("#count-total")).to_have_text("5")

    admit_walk_in(page, 1)
    expect(verdict(page)).to_contain_text("Walk-in: 1 person admitted")
    expect(page.locator("#count-in")).to_have_text("3")
    assert walk_ins(app, door["event_id"]) == [("Rosa", 2, True), ("Walk-in", 1, True)]
    with app.app_context():
        doors = db.session.scalars(select(CheckIn.door_pass_id).where(CheckIn.result == "ok"))
        assert set(doors) == {door["door_pass_id"]}
    # Nothing of a walk-in stays on the phone.
    stored = json.dumps([page.evaluate("({...localStorage})"), read_store(page)])
    assert "Rosa" not in stored


def test_a_full_event_and_a_bad_size_are_told_in_the_form(app, page, door):
    with app.app_context():
        db.session.get(Event, door["event_id"]).capacity = 4  # 3 seats are taken
        db.session.commit()
    page.goto(f"/door/{door['token']}")
    admit_walk_in(page, 0)
    expect(page.locator("#walkin-status")).to_have_text("Party size: a whole number from 1 to 4.")
    admit_walk_in(page, 2, "Beto")
    message = "Only 1 seat is left: a party of 2 does not fit."
    expect(page.locator("#walkin-status")).to_have_text(message)
    expect(verdict(page)).to_have_class(re.compile("verdict-stop"))
    expect(page.locator("#walkin-form")).to_be_visible()  # the volunteer may change the size
    admit_walk_in(page, 1, "Beto")
    expect(verdict(page)).to_contain_text("Welcome, Beto — walk-in, 1 person")
    assert walk_ins(app, door["event_id"]) == [("Beto", 1, True)]


def test_a_lost_answer_is_sent_again_as_the_same_walk_in(app, page, door):
    sent = []

    def first_answer_lost(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server gets it and admits the party…
            route.abort("connectionreset")  # …but its answer never reaches the phone
        else:
            route.continue_()

    page.route("**/walkins", first_answer_lost)
    page.goto(f"/door/{door['token']}")
    admit_walk_in(page, 3, "Luz")
    expect(page.locator("#walkin-status")).to_have_text(
        "No connection: count them on paper and add them later."
    )
    page.locator("#walkin-form").get_by_role("button", name="Admit").click()  # tried again
    expect(verdict(page)).to_contain_text("Welcome, Luz — walk-in party of 3")
    assert len(sent) == 2 and sent[0]["client_scan_id"] == sent[1]["client_scan_id"]
    assert (sent[0]["first_name"], sent[0]["party_size"]) == ("Luz", 3)
    assert walk_ins(app, door["event_id"]) == [("Luz", 3, True)]  # added once


def test_offline_a_walk_in_is_counted_on_paper_and_nothing_is_kept(app, page, door):
    page.goto(f"/door/{door['token']}")
    expect(page.locator("#count-total")).to_have_text("3")
    page.context.set_offline(True)
    admit_walk_in(page, 2, "Marisol")
    expect(page.locator("#walkin-status")).to_have_text(
        "No connection: count them on paper and add them later."
    )
    page.context.set_offline(False)
    assert walk_ins(app, door["event_id"]) == []
    stored = json.dumps([page.evaluate("({...localStorage})"), read_store(page)])
    assert "Marisol" not in stored


def test_a_logged_in_volunteer_admits_a_walk_in_in_spanish(
    app, page, live_server, door, create_staff_user
):
    user = create_staff_user(role=Role.volunteer, name="Rosa Volunteer")
    log_in(page, user)
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto(f"/door/event/{door['event_id']}")
    page.get_by_role("button", name="Llegó sin registro").click()
    page.get_by_label("Tamaño del grupo").fill("2")
    page.locator("#walkin-form").get_by_role("button", name="Dejar pasar").click()
    expect(verdict(page)).to_contain_text("Sin registro: 2 personas admitidas")
    assert walk_ins(app, door["event_id"]) == [("Sin registro", 2, True)]
    with app.app_context():
        staff = db.session.scalars(select(CheckIn.staff_id).where(CheckIn.result == "ok"))
        assert set(staff) == {user["id"]}
    assert axe_violations(page) == []


# --- already in: when, where, and who -------------------------------------------------------------


def test_already_in_says_the_first_name_the_time_and_the_door(page, door):
    page.goto(f"/door/{door['token']}")
    for _ in range(2):
        page.get_by_label("Scan or type a ticket code").fill(door["codes"][0])
        page.keyboard.press("Enter")
    expect(verdict(page)).to_have_class(re.compile("verdict-warn"))
    expect(verdict(page)).to_contain_text(
        re.compile(r"Already checked in: Aidê, at \d{1,2}:\d\d\s?[AP]M at Side door")
    )
    assert "Arana" not in verdict(page).inner_text()  # the first name only


# --- closed doors ---------------------------------------------------------------------------------


def test_a_cancelled_events_door_link_says_so_in_both_languages(app, page, live_server, door):
    with app.app_context():
        cancel_event(db.session.get(Event, door["event_id"]))
        db.session.commit()
    response = page.goto(f"/door/{door['token']}")
    assert response.status == 403
    expect(page.get_by_role("heading", name="This scanner is closed")).to_be_visible()
    expect(page.get_by_text("This event was cancelled.")).to_be_visible()
    assert page.locator("#scanner").count() == 0
    page.context.add_cookies([{"name": "lang", "value": "es", "url": live_server}])
    page.goto(f"/door/{door['token']}")
    expect(page.get_by_role("heading", name="Este escáner está cerrado")).to_be_visible()
    expect(page.get_by_text("Este evento fue cancelado.")).to_be_visible()


def test_the_volunteers_list_leads_to_open_doors_only(
    app, page, make_event, create_staff_user, door
):
    make_event(title_en="Long gone", starts_in=timedelta(days=-20))
    log_in(page, create_staff_user(role=Role.volunteer))
    links = page.get_by_role("link", name="Open the scanner")
    expect(links).to_have_count(1)
    assert "Long gone" not in page.content()
    links.click()
    expect(page.get_by_role("button", name="Walk-in (no RSVP)")).to_be_visible()


# --- the camera: the other side, the flashlight ---------------------------------------------------


@pytest.fixture
def two_camera_page(browser, live_server):
    """Return a page in a Chromium with two fake cameras (a phone's front and back)."""
    # bypass_csp: the test waits on page state with expressions (the page itself needs no eval).
    with camera_browser(browser, live_server, devices=2, bypass_csp=True) as page:
        yield page
        settle(page)


def settle(page) -> None:
    """Let the service worker finish caching the scanner before its browser closes.

    A browser closed in the middle of a download leaves the server's thread a static file it
    never closes (a ResourceWarning, an error under filterwarnings).
    """
    page.evaluate(
        """() => Promise.race([
          navigator.serviceWorker ? navigator.serviceWorker.ready : null,
          new Promise((ok) => setTimeout(ok, 5000)),
        ]).then(() => true)"""
    )
    page.wait_for_load_state("networkidle")


CURRENT_DEVICE = (
    "document.getElementById('camera-video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId"
)


def test_the_camera_switches_to_the_other_one(two_camera_page, door):
    page = two_camera_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"/door/{door['token']}")
    switch = page.get_by_role("button", name="Switch camera")
    expect(switch).to_be_hidden()  # no camera on yet
    page.get_by_role("button", name="Start camera").click()
    expect(switch).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Flashlight")).to_be_hidden()  # no torch here
    first = page.evaluate(CURRENT_DEVICE)
    switch.click()
    page.wait_for_function(f"({CURRENT_DEVICE}) && ({CURRENT_DEVICE}) !== {json.dumps(first)}")
    switch.click()
    page.wait_for_function(f"({CURRENT_DEVICE}) === {json.dumps(first)}")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Stop camera").click()
    expect(switch).to_be_hidden()
    assert errors == []


#: A camera whose track says it has a torch, as Chrome on Android does for a back camera.
FAKE_TORCH = """
(() => {
  const caps = MediaStreamTrack.prototype.getCapabilities;
  MediaStreamTrack.prototype.getCapabilities = function () {
    return { ...caps.call(this), torch: true };
  };
  window.__torch = [];
  MediaStreamTrack.prototype.applyConstraints = async function (c) {
    window.__torch.push(c.advanced[0].torch);
  };
})();
"""


def test_the_flashlight_shows_where_the_camera_has_one(two_camera_page, door):
    page = two_camera_page
    page.add_init_script(FAKE_TORCH)
    page.goto(f"/door/{door['token']}")
    page.get_by_role("button", name="Start camera").click()
    torch = page.get_by_role("button", name="Flashlight")
    expect(torch).to_be_visible(timeout=20_000)
    expect(torch).to_have_attribute("aria-pressed", "false")
    torch.click()
    expect(torch).to_have_attribute("aria-pressed", "true")
    torch.click()
    expect(torch).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__torch") == [True, False]
