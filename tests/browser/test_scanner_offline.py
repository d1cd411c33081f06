"""A shift at the door with the connection down, in a real Chromium (context.set_offline).

Each offline verdict a volunteer can meet, typed and through the fake camera; two phones that let
one ticket in and the conflict the back office shows; undo before the sync; an answer that never
comes; name search; and, after the shift, nothing on the phone with the attendee's name, email
or phone. The time from the decode to the verdict is what the page records in
window.__doorTimings: printed here (run with -s), never asserted.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from eventsvc.auth.models import Role
from eventsvc.checkin.doors import create_door_pass, door_pass_token
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.services import scan_key
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp, Ticket
from eventsvc.rsvps.services import RsvpData, cancel_rsvp, submit_rsvp
from eventsvc.rsvps.tickets import ticket_code
from tests.browser.camera import camera_browser, write_y4m
from tests.browser.conftest import axe_violations
from tests.browser.phone import DUMP_PHONE, poll, read_key
from tests.browser.test_admin_attendees import log_in

pytestmark = pytest.mark.browser

PHONE = "+19095550142"
#: What must never be kept on the phone, looked for in lower case (JSON may escape the ê).
PERSONAL = ("aidê", "aid\\u00ea", "arana", "aide@example.org", PHONE, "9095550142", "555-0142")

OK_OFFLINE = "Valid ticket, checked on this phone. The scan is sent when the connection is back."

# --- the event ------------------------------------------------------------------------------------


def _rsvp(event: Event, name: str, email: str, *, party_size: int = 1, phone=None) -> Rsvp:
    data = RsvpData(name=name, email=email, phone=phone, language="es", party_size=party_size)
    return submit_rsvp(event, data).rsvp


@pytest.fixture
def venue(app, make_event):
    """Return a dict: an event starting in an hour with two door links and four tickets to try.

    aide: Aidê Arana's party of 3 (with her email and phone); early: a guest another door lets
    in while the phone is online; cancelled: a guest whose RSVP is cancelled before the phone
    opens; other: a ticket of another event (signed with the same key).
    """
    event_id = make_event(capacity=30, guest_limit=3, starts_in=timedelta(hours=1))
    other_id = make_event(capacity=30, guest_limit=3, starts_in=timedelta(hours=1))
    with app.app_context():
        event, other = db.session.get(Event, event_id), db.session.get(Event, other_id)
        aide = _rsvp(event, "Aidê Arana", "aide@example.org", party_size=3, phone=PHONE)
        early = _rsvp(event, "Bruno Bello", "bruno@example.org")
        cancelled = _rsvp(event, "Carla Cruz", "carla@example.org")
        stranger = _rsvp(other, "Dora Díaz", "dora@example.org")
        main = create_door_pass(event, "Main entrance")
        side = create_door_pass(event, "Side door")
        db.session.flush()
        cancel_rsvp(cancelled, notify=False)
        db.session.commit()
        return {
            "event_id": event_id,
            "main": door_pass_token(main),
            "main_id": main.id,
            "side": door_pass_token(side),
            "side_id": side.id,
            "tickets": [t.id for t in aide.tickets],
            "codes": [ticket_code(t) for t in aide.tickets],
            "early_ticket": early.tickets[0].id,
            "early_code": ticket_code(early.tickets[0]),
            "cancelled_code": ticket_code(cancelled.tickets[0]),
            "other_code": ticket_code(stranger.tickets[0]),
            "count": 5,  # tickets in the snapshot: 3 + 1 + 1 (cancelled, still listed)
        }


def forged(code: str) -> str:
    """Return the code with one character of its signature changed: still canonical base32."""
    i = 100
    return code[:i] + ("B" if code[i] == "A" else "A") + code[i + 1 :]


def api_scan(app, venue, code: str, token_key: str = "main") -> dict:
    """Check a code in through the API, as another door's phone would."""
    response = app.test_client().post(
        f"/api/v1/events/{venue['event_id']}/checkins",
        json={"code": code},
        headers={"X-Door-Token": venue[token_key]},
    )
    return response.get_json()


def scans_of(app, ticket_id: int) -> list[CheckIn]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(CheckIn).where(CheckIn.ticket_id == ticket_id).order_by(CheckIn.id)
            )
        )


def scan_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CheckIn))


def checked_in(app, ticket_id: int):
    with app.app_context():
        return db.session.get(Ticket, ticket_id).checked_in_dt


# --- the phone ------------------------------------------------------------------------------------


@pytest.fixture
def phones(browser, live_server):
    """Return phone(locale="en-US") -> a new page in a context of its own (closed afterwards)."""
    contexts = []

    def phone(locale: str = "en-US"):
        # bypass_csp lets the test inject axe-core; the scanner's own CSP is tried with the camera.
        contexts.append(browser.new_context(base_url=live_server, bypass_csp=True, locale=locale))
        return contexts[-1].new_page()

    yield phone
    for context in contexts:
        context.close()


def open_door(page, venue, token_key: str = "side") -> None:
    """Open the scanner and wait until it holds the event's snapshot (in IndexedDB)."""
    page.goto(f"/door/{venue[token_key]}")
    poll(
        page,
        "the snapshot",
        lambda value: value is not None and len(value["tickets"]) == venue["count"],
        key=f"snapshot.{venue['event_id']}",
    )


def wait_for_worker(page) -> None:
    """Wait until the door's service worker controls the page (needed for a camera offline)."""
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function("navigator.serviceWorker.controller?.state === 'activated'")


def wait_until_synced(page, venue, timeout: float = 20.0) -> None:
    """Wait until the phone's queue of scans (IndexedDB) is empty."""
    poll(
        page,
        "the queue to empty",
        lambda value: not value,
        key=f"queue.{venue['event_id']}",
        timeout=timeout,
    )


def queued(page, venue) -> list[dict]:
    return read_key(page, f"queue.{venue['event_id']}") or []


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the field and press Enter."""
    page.locator("#code").fill(code)
    page.locator("#code").press("Enter")


def verdict(page):
    return page.locator("#verdict")


def expect_offline(page, kind, message, word, badge="Offline", timeout=5000):
    """The verdict box: its kind (colour), its word, its message, and marked offline."""
    box = verdict(page)
    expect(box).to_have_class(
        re.compile(rf"\bverdict-{kind}\b.*\bverdict-offline\b"), timeout=timeout
    )
    expect(box.locator(".verdict-word")).to_have_text(word)
    expect(box.locator(".verdict-message")).to_have_text(message)
    expect(box.locator(".verdict-badge")).to_be_visible()
    expect(box.locator(".verdict-badge")).to_have_text(badge)


def timings(page) -> list[dict]:
    return page.evaluate("window.__doorTimings || []")


def report(label: str, entries: list[dict]) -> None:
    ms = [round(e["ms"], 1) for e in entries]
    if ms:
        print(
            f"\n{label}: decode → verdict ms {ms} "
            f"(min {min(ms)}, median {statistics.median(ms)}, max {max(ms)})"
        )


# --- 1. every offline verdict, typed --------------------------------------------------------------


def test_each_offline_verdict_by_typed_code(app, phones, venue):
    page = phones()
    open_door(page, venue)
    # Another door lets a guest in while this phone is online: its snapshot learns it (delta).
    assert api_scan(app, venue, venue["early_code"])["ok"] is True
    poll(
        page,
        "the early guest in the snapshot",
        lambda value: any(
            row[0] == venue["early_ticket"] and row[3] > 0 for row in value["tickets"]
        ),
        key=f"snapshot.{venue['event_id']}",
    )

    page.context.set_offline(True)
    scan(page, venue["codes"][0])
    expect_offline(page, "ok", OK_OFFLINE, "Come in")
    expect(page.locator("#queue")).to_have_text("1 scan waiting for connection")
    scan(page, venue["codes"][0])
    expect_offline(
        page, "warn", re.compile(r"^Already in: admitted on this phone at .+\.$"), "Already in"
    )
    scan(page, venue["early_code"])
    expect_offline(
        page,
        "warn",
        re.compile(r"^Already in: checked in at .+, before the connection dropped\.$"),
        "Already in",
    )
    scan(page, forged(venue["codes"][1]))
    expect_offline(page, "stop", "Not valid", "Stop")
    scan(page, venue["other_code"])
    expect_offline(page, "stop", "Ticket for another event", "Stop")
    scan(page, venue["cancelled_code"])
    expect_offline(page, "stop", "Ticket cancelled", "Stop")
    expect(page.locator("#queue")).to_have_text("1 scan waiting for connection")
    assert axe_violations(page) == []

    recorded = [t for t in timings(page) if t["offline"]]
    assert [t["verdict"] for t in recorded] == [
        "ok",
        "in_here",
        "in_before",
        "invalid",
        "other_event",
        "cancelled",
    ]
    report("typed, offline", recorded)

    # Back online: only the admission is sent; the refusals were never queued.
    page.context.set_offline(False)
    wait_until_synced(page, venue)
    (admitted,) = scans_of(app, venue["tickets"][0])
    assert admitted.result == "ok" and admitted.is_offline and not admitted.is_conflict
    assert admitted.door_pass_id == venue["side_id"]
    assert scan_count(app) == 2  # the early guest's, online at the main entrance, and this one


def test_an_offline_verdict_in_spanish(phones, venue):
    page = phones("es-MX")
    open_door(page, venue)
    assert page.locator("html").get_attribute("lang") == "es"
    page.context.set_offline(True)
    scan(page, venue["codes"][2])
    expect_offline(
        page,
        "ok",
        "Boleto válido, revisado en este teléfono. El escaneo se envía cuando regrese la conexión.",
        "Adelante",
        badge="Sin conexión",
    )
    scan(page, venue["other_code"])
    expect_offline(page, "stop", "Boleto de otro evento", "Alto", badge="Sin conexión")
    assert axe_violations(page) == []


# --- 2. the camera, offline -----------------------------------------------------------------------


@pytest.fixture
def camera_phone(browser, live_server, tmp_path, venue):
    """Return a page in a second Chromium whose camera films Aidê's first ticket (real CSP on).

    The ticket shows for a second, then leaves the picture for four: each loop is a new scan,
    and gives a decode → verdict time.
    """
    video = tmp_path / "ticket.y4m"
    write_y4m(video, venue["codes"][0], shown=10, hidden=40)
    with camera_browser(browser, live_server, video=video) as page:
        yield page


def test_the_camera_admits_offline(app, camera_phone, venue):
    page = camera_phone
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_door(page, venue)
    wait_for_worker(page)  # the decoder's WebAssembly comes from its cache once offline
    # A mid-range phone: DevTools' "mid-tier mobile" runs the page's CPU four times slower.
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.context.set_offline(True)
    page.get_by_role("button", name="Start camera").click()
    expect_offline(page, "ok", OK_OFFLINE, "Come in", timeout=20_000)
    # The ticket comes back into the picture (the video loops): this phone already let it in.
    expect_offline(
        page,
        "warn",
        re.compile(r"^Already in: admitted on this phone at .+\.$"),
        "Already in",
        timeout=15_000,
    )
    deadline = time.monotonic() + 15
    while len(timings(page)) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    recorded = timings(page)
    assert [t["offline"] for t in recorded] == [True] * len(recorded)
    assert [t["verdict"] for t in recorded] == ["ok"] + ["in_here"] * (len(recorded) - 1)
    assert len(recorded) >= 2 and all(t["ms"] >= 0 for t in recorded)
    report("camera, offline, CPU 4x slower", recorded)
    page.get_by_role("button", name="Stop camera").click()
    assert scans_of(app, venue["tickets"][0]) == []  # nothing sent while offline

    page.context.set_offline(False)
    wait_until_synced(page, venue)
    (admitted,) = scans_of(app, venue["tickets"][0])
    assert admitted.result == "ok" and admitted.is_offline
    assert errors == []


# --- 3. two phones, one ticket: one admission, one conflict ---------------------------------------


def test_two_phones_admit_one_ticket_offline_and_the_back_office_shows_the_conflict(
    app, phones, venue, create_staff_user
):
    main, side = phones(), phones()
    open_door(main, venue, "main")
    open_door(side, venue, "side")
    for page in (main, side):
        page.context.set_offline(True)
        scan(page, venue["codes"][0])
        expect_offline(page, "ok", OK_OFFLINE, "Come in")
    assert scans_of(app, venue["tickets"][0]) == []

    main.context.set_offline(False)
    wait_until_synced(main, venue)
    side.context.set_offline(False)
    wait_until_synced(side, venue)
    expect(side.locator("#notice")).to_contain_text(
        "A ticket admitted offline was refused when it was sent"
    )
    admitted, conflict = scans_of(app, venue["tickets"][0])
    assert (admitted.result, admitted.is_conflict, admitted.door_pass_id) == (
        "ok",
        False,
        venue["main_id"],
    )
    assert conflict.is_conflict and conflict.result != "ok"
    assert conflict.door_pass_id == venue["side_id"]
    assert admitted.is_offline and conflict.is_offline

    office = phones()
    log_in(office, create_staff_user(role=Role.organiser))
    office.goto(f"/admin/events/{venue['event_id']}/doors")
    problems = office.locator("section.door-problems")
    expect(problems).to_be_visible()
    (row,) = problems.locator("tbody[data-live=conflicts] tr").all()
    expect(row).to_contain_text("Aidê Arana")
    expect(row).to_contain_text("Side door")
    expect(row).to_contain_text("Main entrance")

    # Sync after sync adds nothing: both phones reload online and settle.
    rows = scan_count(app)
    for page in (main, side):
        open_door(page, venue, "main" if page is main else "side")
        wait_until_synced(page, venue)
    main.wait_for_timeout(3000)
    assert scan_count(app) == rows == 2


# --- 4. undo before the sync ---------------------------------------------------------------------


def test_undo_of_an_offline_admission_sends_nothing(app, phones, venue):
    page = phones()
    answered = []  # scans the server answered (tries that failed on the network never got there)
    page.on("response", lambda r: r.request.method == "POST" and answered.append(r.url))
    open_door(page, venue)
    page.context.set_offline(True)
    scan(page, venue["codes"][1])
    expect_offline(page, "ok", OK_OFFLINE, "Come in")
    assert len(queued(page, venue)) == 1
    expect(page.locator("#undo")).to_be_enabled()
    page.locator("#undo").click()
    expect(verdict(page).locator(".verdict-message")).to_have_text("The last check-in was undone.")
    expect(verdict(page).locator(".verdict-badge")).to_have_text("Offline")
    expect(page.locator("#undo")).to_be_disabled()
    expect(page.locator("#queue")).to_be_hidden()
    assert queued(page, venue) == []

    page.context.set_offline(False)
    page.wait_for_timeout(6000)  # a snapshot refresh (every 5 s) and any sync would be done
    assert scans_of(app, venue["tickets"][1]) == []
    assert checked_in(app, venue["tickets"][1]) is None
    assert [url for url in answered if url.endswith("/checkins")] == []


# --- 5. an answer that never comes ---------------------------------------------------------------


def test_a_scan_whose_answer_never_comes_is_decided_offline_and_synced_once(app, phones, venue):
    page = phones()
    held, bodies = [], []

    def never_answer(route):
        bodies.append(route.request.post_data_json)
        held.append(route)  # neither continued nor fulfilled: the answer never comes

    open_door(page, venue)
    page.route("**/api/v1/**/checkins", never_answer)
    started = time.monotonic()
    scan(page, venue["codes"][0])
    expect(verdict(page).locator(".verdict-message")).to_have_text("Checking…")
    expect_offline(page, "ok", OK_OFFLINE, "Come in")
    waited = time.monotonic() - started
    print(f"\nno answer: offline verdict after {waited:.1f} s")
    assert waited < 6.5
    (kept,) = queued(page, venue)
    assert kept["client_scan_id"] == bodies[0]["client_scan_id"] and kept["offline"] is True
    recorded = [t for t in timings(page) if t["offline"]]
    assert [t["verdict"] for t in recorded] == ["ok"]

    page.unroute("**/api/v1/**/checkins")
    wait_until_synced(page, venue, timeout=45)
    (logged,) = scans_of(app, venue["tickets"][0])
    assert logged.result == "ok" and logged.is_offline
    with app.app_context():
        assert logged.client_scan_id == scan_key(bodies[0]["client_scan_id"])
    assert {b["client_scan_id"] for b in bodies} == {bodies[0]["client_scan_id"]}
    assert scan_count(app) == 1


# --- 6. name search offline ---------------------------------------------------------------------


def test_name_search_offline_needs_the_connection_and_points_to_the_printed_list(
    phones, venue, create_staff_user
):
    page = phones()
    open_door(page, venue)
    page.context.set_offline(True)
    page.get_by_role("searchbox", name="Name").fill("aide")
    expect(page.locator("#search-status")).to_have_text(
        "Searching by name needs the connection. Ask the organisers for the printed door list."
    )
    expect(page.locator("#search-results li")).to_have_count(0)

    staff = phones()
    log_in(staff, create_staff_user(role=Role.organiser))
    staff.goto(f"/door/event/{venue['event_id']}")
    staff.context.set_offline(True)
    staff.get_by_role("searchbox", name="Name").fill("aide")
    status = staff.locator("#search-status")
    expect(status).to_have_text(
        "Searching by name needs the connection. Use the printed door list."
    )
    expect(status.get_by_role("link", name="printed door list")).to_have_attribute(
        "href", f"/admin/events/{venue['event_id']}/attendees/print"
    )


# --- 7. after the shift, the phone keeps no name ------------------------------------------------


def test_after_a_shift_the_phone_keeps_no_name_email_or_phone(app, phones, venue):
    page = phones()
    open_door(page, venue)
    wait_for_worker(page)
    # Online: names on screen, from a search, a check-in from it and a scanned code.
    page.get_by_role("searchbox", name="Name").fill("aide")
    person = page.locator(".person", has_text="Aidê Arana")
    expect(person).to_contain_text("Party of 3")
    person.get_by_role("button", name="Check in person 2").click()
    expect(verdict(page)).to_contain_text("Welcome, Aidê Arana — party 2 of 3")
    scan(page, venue["codes"][0])
    expect(verdict(page)).to_contain_text("Welcome, Aidê Arana — party 1 of 3")
    scan(page, venue["codes"][0])
    expect(verdict(page)).to_contain_text("Already checked in: Aidê")
    # Offline: an admission, a search; back online, the sync.
    page.context.set_offline(True)
    scan(page, venue["codes"][2])
    expect_offline(page, "ok", OK_OFFLINE, "Come in")
    page.get_by_role("searchbox", name="Name").fill("arana")
    expect(page.locator("#search-status")).to_contain_text("needs the connection")
    page.context.set_offline(False)
    wait_until_synced(page, venue)
    assert all(checked_in(app, t) for t in venue["tickets"])
    page.reload()  # the page kept for an offline reload is this one
    wait_until_synced(page, venue)

    text = page.evaluate(DUMP_PHONE)
    dump = json.loads(text)
    print(
        "\nkept on the phone:",
        {k: (list(v) if isinstance(v, dict) else v) for k, v in dump.items() if k != "caches"},
        {name: list(urls) for name, urls in dump["caches"].items()},
    )
    # It is the door's data that was dumped: the snapshot and the worker's caches.
    kv = dict(dump["indexedDB"]["eventsvc-door"]["kv"])
    assert len(kv[f"snapshot.{venue['event_id']}"]["tickets"]) == venue["count"]
    assert any(url.endswith(f"/door/{venue['side']}") for c in dump["caches"].values() for url in c)
    lowered = text.lower()
    assert [p for p in PERSONAL if p.lower() in lowered] == []


# --- 8. a ticket for another day ------------------------------------------------------------------


@pytest.fixture
def next_week(app, make_event):
    """Return a door link and Aidê's party of 2 for an event a week away (outside its window)."""
    event_id = make_event(starts_in=timedelta(days=7))
    with app.app_context():
        event = db.session.get(Event, event_id)
        aide = _rsvp(event, "Aidê Arana", "aide@example.org", party_size=2)
        side = create_door_pass(event, "Side door")
        db.session.commit()
        return {
            "event_id": event_id,
            "side": door_pass_token(side),
            "tickets": [t.id for t in aide.tickets],
            "codes": [ticket_code(t) for t in aide.tickets],
            "count": 2,
        }


def test_a_ticket_for_another_day_asks_first_online_and_offline(app, phones, next_week):
    page = phones()
    open_door(page, next_week)
    scan(page, next_week["codes"][0])
    expect(verdict(page)).to_contain_text("This ticket is for")
    expect(verdict(page)).to_have_class(re.compile(r"\bverdict-ask\b"))
    assert scans_of(app, next_week["tickets"][0]) == []  # nothing done until confirmed
    page.get_by_role("button", name="Admit", exact=True).click()
    expect(verdict(page)).to_contain_text("Welcome, Aidê Arana")
    assert [s.result for s in scans_of(app, next_week["tickets"][0])] == ["ok"]

    page.context.set_offline(True)
    scan(page, next_week["codes"][1])
    expect(verdict(page)).to_contain_text("This ticket is for")
    expect(verdict(page).locator(".verdict-badge")).to_have_text("Offline")
    expect(page.get_by_role("button", name="Don't admit")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Admit", exact=True).click()
    expect_offline(page, "ok", OK_OFFLINE, "Come in")
    (waiting,) = queued(page, next_week)
    assert waiting["confirm_day"] is True and waiting["offline"] is True
    page.context.set_offline(False)
    wait_until_synced(page, next_week)
    [admitted] = scans_of(app, next_week["tickets"][1])
    assert admitted.result == "ok" and admitted.is_offline


def test_a_database_made_without_its_store_is_mended(phones, venue):
    page = phones()
    # Something opened the scanner's database first, with no version: it exists, store-less.
    page.add_init_script(
        'indexedDB.open("eventsvc-door").onsuccess = (event) => event.target.result.close();'
    )
    open_door(page, venue)  # the snapshot lands in the store all the same
