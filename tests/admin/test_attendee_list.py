"""The back office's attendee list: who may see it, search, filters, sort, counts, door list."""

import re
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event

from eventsvc.auth.models import Role
from eventsvc.checkin.attendees import AttendeeFilter, find_attendees
from eventsvc.checkin.doors import Door
from eventsvc.checkin.services import check_in
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp
from eventsvc.rsvps.services import delete_personal_data
from tests.admin.attendee_pages import base, get_rsvp


def names_in(html: str, names) -> list[str]:
    """Return the names that appear in html, in the order they appear."""
    found = [(html.find(n), n) for n in names if n in html]
    return [n for _, n in sorted(found)]


# --- access -----------------------------------------------------------------------------------

GET_PATHS = ["", "/new", "/{rsvp}", "/print"]
POST_PATHS = ["/new", "/{rsvp}", "/{rsvp}/cancel", "/{rsvp}/promote", "/{rsvp}/resend"]
POST_PATHS += ["/{rsvp}/checkin", "/{rsvp}/undo"]
EXPORTS = ["/admin/events/{event}/attendees.csv", "/admin/events/{event}/checkins.csv"]


def all_urls(event_id, rsvp_id):
    gets = [base(event_id) + p.format(rsvp=rsvp_id) for p in GET_PATHS]
    posts = [base(event_id) + p.format(rsvp=rsvp_id) for p in POST_PATHS]
    posts += [p.format(event=event_id) for p in EXPORTS]
    return gets, posts


def test_anonymous_and_volunteers_are_kept_out(client, auth, create_staff_user, event_id, add):
    rsvp_id = add(event_id, "Ana")
    gets, posts = all_urls(event_id, rsvp_id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in posts:
        response = client.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    volunteer = create_staff_user(role=Role.volunteer)
    auth.login(volunteer["email"], volunteer["password"])
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url).status_code == 403, url


@pytest.mark.parametrize("role", [Role.organiser, Role.admin])
def test_organisers_and_admins_see_the_pages(client, auth, create_staff_user, event_id, add, role):
    rsvp_id = add(event_id, "Ana")
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    gets, _posts = all_urls(event_id, rsvp_id)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store"
    for url in [p.format(event=event_id) for p in EXPORTS]:
        assert client.get(url).status_code == 405  # an export is a POST, audited


def test_event_tab_links_to_the_attendees(client, organiser, event_id):
    page = client.get(base(event_id)).get_data(as_text=True)
    assert f'href="/admin/events/{event_id}/attendees" aria-current="page"' in page


def test_another_events_attendee_is_not_found_under_this_event(
    app, client, organiser, make_event, event_id, add
):
    other_event = make_event(capacity=10, guest_limit=3)
    stranger = add(other_event, "Otra Persona", email="otra@example.org")
    _gets, posts = all_urls(event_id, stranger)
    assert client.get(f"{base(event_id)}/{stranger}").status_code == 404
    for url in posts[1:-2]:  # the attendee's own URLs, not /new nor the exports
        data = {"count": "1", "scan_id": "1", "name": "X", "email": "x@example.org"}
        assert client.post(url, data=data).status_code == 404, url
    assert client.get(f"/admin/events/99999/attendees/{stranger}").status_code == 404
    assert client.get("/admin/events/99999/attendees").status_code == 404
    assert client.get(f"{base(event_id)}/99999").status_code == 404
    # Nothing happened to the stranger.
    rsvp = get_rsvp(app, stranger)
    assert rsvp.is_confirmed and rsvp.name == "Otra Persona"
    assert not any(t.is_checked_in for t in rsvp.tickets)


# --- the list: search, filters, sort, counts --------------------------------------------------


@pytest.fixture
def crowd(app, make_event, add):
    """An event of 4 seats with every kind of party; return the event id and the RSVP ids."""
    event_id = make_event(capacity=4, guest_limit=3, slug="crowd")
    ids = {
        "jose": add(event_id, "José Ñúñez", email="jose@example.org", party_size=2),
        "beto": add(
            event_id, "Beto Álvarez", phone="+19095550199", interpretation_request="Mixteco"
        ),
        "ana": add(event_id, "ana lópez", email="ana@example.org", access_needs="Wheelchair"),
        "zoe": add(event_id, "Zoë Waiting", email="zoe@example.org", party_size=2),
        "carla": add(event_id, "Carla Gone", email="carla@example.org"),
    }
    with app.app_context():
        # Carla was on the waiting list too (no seat left); she cancels.
        from eventsvc.rsvps.services import cancel_rsvp

        cancel_rsvp(db.session.get(Rsvp, ids["carla"]))
        # One of José's party is in.
        jose = db.session.get(Rsvp, ids["jose"])
        check_in(Door(event=jose.event), ticket_id=jose.tickets[0].id)
        db.session.commit()
    return event_id, ids


NAMES = ["José Ñúñez", "Beto Álvarez", "ana lópez", "Zoë Waiting", "Carla Gone"]


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("live", {"José Ñúñez", "Beto Álvarez", "ana lópez", "Zoë Waiting"}),
        ("confirmed", {"José Ñúñez", "Beto Álvarez", "ana lópez"}),
        ("waitlisted", {"Zoë Waiting"}),
        ("checked_in", {"José Ñúñez"}),
        ("not_checked_in", {"José Ñúñez", "Beto Álvarez", "ana lópez"}),  # José: one still out
        ("cancelled", {"Carla Gone"}),
        ("interpretation", {"Beto Álvarez"}),
        ("access_needs", {"ana lópez"}),
        ("all", set(NAMES)),
        ("bogus", {"José Ñúñez", "Beto Álvarez", "ana lópez", "Zoë Waiting"}),
    ],
)
def test_each_filter(client, organiser, crowd, show, expected):
    event_id, _ids = crowd
    page = client.get(f"{base(event_id)}?show={show}").get_data(as_text=True)
    assert set(names_in(page, NAMES)) == expected


def test_counts_of_every_filter_are_shown(client, organiser, crowd):
    event_id, _ids = crowd
    page = client.get(base(event_id)).get_data(as_text=True)
    counts = dict(
        re.findall(r'show=(\w+)&amp;sort=name"[^>]*>[^<]+<span class="count">\((\d+)\)', page)
    )
    assert counts == {
        "live": "4",
        "confirmed": "3",
        "waitlisted": "1",
        "checked_in": "1",
        "not_checked_in": "3",
        "cancelled": "1",
        "interpretation": "1",
        "access_needs": "1",
        "all": "5",
    }
    assert "4 parties shown, 6 people." in page
    assert "4 of 4 seats confirmed." in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose nunez", {"José Ñúñez"}),  # accents and case aside
        ("ÑÚÑEZ", {"José Ñúñez"}),
        ("alvarez", {"Beto Álvarez"}),
        ("LOPEZ", {"ana lópez"}),
        ("zoe", {"Zoë Waiting"}),
        ("ana@example", {"ana lópez"}),  # email
        ("(909) 555-0199", {"Beto Álvarez"}),  # phone, written any way
        ("5550199", {"Beto Álvarez"}),
        ("nobody", set()),
    ],
)
def test_search_by_name_email_and_phone(client, organiser, crowd, query, expected):
    event_id, _ids = crowd
    page = client.get(base(event_id), query_string={"q": query, "show": "all"})
    html = page.get_data(as_text=True)
    assert set(names_in(html, NAMES)) == expected
    if not expected:
        assert "Nobody matches." in html


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("name", ["ana lópez", "Beto Álvarez", "José Ñúñez", "Zoë Waiting"]),
        ("rsvp_time", ["José Ñúñez", "Beto Álvarez", "ana lópez", "Zoë Waiting"]),
        ("party_size", ["José Ñúñez", "Zoë Waiting", "ana lópez", "Beto Álvarez"]),
        ("waitlist", ["Zoë Waiting", "ana lópez", "Beto Álvarez", "José Ñúñez"]),
    ],
)
def test_sort(client, organiser, crowd, sort, order):
    event_id, _ids = crowd
    html = client.get(f"{base(event_id)}?sort={sort}").get_data(as_text=True)
    assert names_in(html, order) == order


def test_waitlisted_parties_show_their_place(client, organiser, crowd):
    event_id, _ids = crowd
    html = client.get(f"{base(event_id)}?show=waitlisted").get_data(as_text=True)
    assert "Waiting list, number 1" in html


def test_the_list_pages_and_its_queries_do_not_grow_with_the_attendees(app, make_event, add):
    event_id = make_event(capacity=500, guest_limit=3)
    for n in range(25):
        add(event_id, f"Person {n:02d}", party_size=1 + n % 3)
    with app.app_context():
        event = db.session.get(Event, event_id)
        page = find_attendees(event, AttendeeFilter(), page=3, per_page=10)
        assert (page.total, page.pages, page.page) == (25, 3, 3)
        assert [r.name for r in page.rsvps] == [f"Person {n:02d}" for n in range(20, 25)]
        assert find_attendees(event, AttendeeFilter(), page=99, per_page=10).page == 3

        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            small = find_attendees(event, AttendeeFilter(), per_page=5)
            few = len(statements)
            statements.clear()
            large = find_attendees(event, AttendeeFilter(), per_page=100)
            many = len(statements)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        assert len(small.rsvps) == 5 and len(large.rsvps) == 25
        assert few == many <= 3  # the parties, their tickets' counts, the page's RSVPs


def test_the_list_page_answers_with_a_thousand_attendees_in_a_few_queries(
    app, client, organiser, make_event
):
    event_id = make_event(capacity=2000, guest_limit=3)
    with app.app_context():
        db.session.execute(
            Rsvp.__table__.insert(),
            [
                {
                    "event_id": event_id,
                    "name": f"Person {n:04d}",
                    "email": f"p{n}@example.org",
                    "language": "en",
                    "party_size": 1,
                    "status": "confirmed",
                    "access_needs": "",
                    "interpretation_request": "",
                    "consent_contact": False,
                    "manage_token_hash": f"{n:064d}",
                    "manage_token_salt": f"{n:032d}",
                    "feed_token_hash": f"f{n:063d}",
                    "feed_token_salt": f"f{n:031d}",
                    "is_anonymised": False,
                }
                for n in range(1000)
            ],
        )
        db.session.commit()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = client.get(base(event_id)).get_data(as_text=True)
    finally:
        with app.app_context():
            sa_event.remove(db.engine, "before_cursor_execute", listener)
    assert "1000 parties shown" in html and "Page 1 of 10" in html
    assert len(statements) < 15


# --- deleted attendees ------------------------------------------------------------------------


def test_an_attendee_who_deleted_their_data_shows_no_personal_data(
    app, client, organiser, event_id, add
):
    rsvp_id = add(event_id, "Secreta Persona", email="secreta@example.org", access_needs="Rampa")
    with app.app_context():
        delete_personal_data(db.session.get(Rsvp, rsvp_id))
        db.session.commit()
    html = client.get(f"{base(event_id)}/{rsvp_id}").get_data(as_text=True)
    assert "Deleted by the attendee" in html
    for personal in ("Secreta", "secreta@", "Rampa"):
        assert personal not in html
    assert "Change details" not in html and "Cancel this RSVP" not in html
    listing = client.get(f"{base(event_id)}?show=all").get_data(as_text=True)
    assert "Deleted by the attendee" in listing and "Secreta" not in listing
    response = client.post(f"{base(event_id)}/{rsvp_id}", data={"name": "New name"})
    assert response.status_code == 400 and get_rsvp(app, rsvp_id).name == ""
    assert client.post(f"{base(event_id)}/{rsvp_id}/resend").status_code == 400


# --- the printable door list ------------------------------------------------------------------


def test_printable_door_list(app, client, organiser, make_event, add):
    event_id = make_event(capacity=6, guest_limit=3, title_en="Anniversary Gala")
    add(event_id, "Zoila Zamora", party_size=2, access_needs="Wheelchair")
    first = add(event_id, "Ángel Ortiz", party_size=3, interpretation_request="Mixteco")
    add(event_id, "beto", party_size=1)
    add(event_id, "Waiting Person", party_size=2)  # no seats left: not on the door list
    gone = add(event_id, "Gone Person")
    with app.app_context():
        from eventsvc.rsvps.services import cancel_rsvp

        cancel_rsvp(db.session.get(Rsvp, gone))
        rsvp = db.session.get(Rsvp, first)
        check_in(Door(event=rsvp.event), ticket_id=rsvp.tickets[0].id)
        db.session.commit()
    response = client.get(f"{base(event_id)}/print")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Anniversary Gala" in html and "Hall" in html and "Riverside, CA" in html
    order = ["Ángel Ortiz", "beto", "Zoila Zamora"]
    assert names_in(html, order + ["Waiting Person", "Gone Person"]) == order
    assert "3 parties, 6 people" in html
    sheet = html[html.index('class="door-sheet"') :]
    assert sheet.count('class="door-box"') == 5 and sheet.count("door-box door-box-in") == 1
    assert "<strong>A</strong> Wheelchair" in html and "<strong>I</strong> Mixteco" in html
    assert "js/print.js" in html and "door-list-page" in html
    css = (Path(app.static_folder) / "css" / "site.css").read_text()
    assert "@media print" in css and ".door-list-page .site-header" in css
