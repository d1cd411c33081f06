"""The back office's attendee pages: list, add, edit, seats, check-in, door list, CSV exports."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update

from eventsvc.auth.models import Role
from eventsvc.checkin.attendees import AttendeeFilter, find_attendees
from eventsvc.checkin.doors import Door, create_door_pass
from eventsvc.checkin.models import CheckIn
from eventsvc.checkin.services import check_in
from eventsvc.core.models import AuditLog
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket
from eventsvc.rsvps.services import RsvpData, delete_personal_data, submit_rsvp

# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def organiser(client, auth, create_staff_user):
    user = create_staff_user(role=Role.organiser, name="Olga Organiser")
    auth.login(user["email"], user["password"])
    return user


@pytest.fixture
def event_id(make_event):
    return make_event(capacity=10, guest_limit=3, slug="gala")


@pytest.fixture
def add(app):
    """Return add(event_id, name, email=…, phone=… (E.164), party_size=…, **extra) -> its id."""
    counter = iter(range(1, 10_000))

    def factory(event_id, name, *, email=None, phone=None, party_size=1, **extra):
        n = next(counter)
        if email is None and phone is None:
            email = f"person{n}@example.org"
        with app.app_context():
            event = db.session.get(Event, event_id)
            outcome = submit_rsvp(
                event,
                RsvpData(
                    name=name,
                    email=email,
                    phone=phone,
                    language=extra.pop("language", "en"),
                    party_size=party_size,
                    **extra,
                ),
            )
            db.session.commit()
            return outcome.rsvp.id

    return factory


def get_rsvp(app, rsvp_id) -> Rsvp:
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        rsvp.tickets  # noqa: B018  (loaded before the context closes)
        db.session.expunge_all()
        return rsvp


def audit(app, action):
    with app.app_context():
        return db.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        ).all()


def base(event_id):
    return f"/admin/events/{event_id}/attendees"


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


# --- add by hand ------------------------------------------------------------------------------


def new_form(**overrides):
    data = {
        "name": "Rocío Hernández",
        "email": "rocio@example.org",
        "phone": "",
        "language": "es",
        "party_size": "2",
        "access_needs": "",
        "interpretation_request": "",
        "send_confirmation": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def outbox(app, rsvp_id=None):
    with app.app_context():
        query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
        if rsvp_id is not None:
            query = query.where(OutboxMessage.rsvp_id == rsvp_id)
        return list(db.session.scalars(query))


def created_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_add_by_hand_gets_seats_and_a_confirmation(app, client, organiser, event_id):
    response = client.post(f"{base(event_id)}/new", data=new_form())
    rsvp = get_rsvp(app, created_id(response))
    assert rsvp.is_confirmed and rsvp.party_size == 2 and len(rsvp.tickets) == 2
    assert rsvp.language == "es" and rsvp.email == "rocio@example.org"
    assert outbox(app, rsvp.id) == ["rsvp_confirmed"]
    assert "Added with seats confirmed." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    [entry] = audit(app, "rsvp.create")
    assert entry.actor_id == organiser["id"]
    assert entry.details == {
        "event_id": event_id,
        "party_size": 2,
        "status": "confirmed",
        "notified": True,
    }
    assert "Roc" not in repr(entry.details) and "rocio" not in repr(entry.details)


def test_add_by_hand_without_the_email_or_with_only_a_phone(app, client, organiser, event_id):
    quiet = created_id(client.post(f"{base(event_id)}/new", data=new_form(send_confirmation=None)))
    assert outbox(app, quiet) == []
    phone_only = created_id(
        client.post(
            f"{base(event_id)}/new",
            data=new_form(name="Pedro", email="", phone="(909) 555-0123", party_size="1"),
        )
    )
    rsvp = get_rsvp(app, phone_only)
    assert rsvp.phone == "+19095550123" and rsvp.email is None and rsvp.is_confirmed
    assert outbox(app, phone_only) == []


def test_add_by_hand_over_capacity_goes_to_the_waiting_list(
    app, client, organiser, make_event, add
):
    event_id = make_event(capacity=3, guest_limit=3)
    add(event_id, "Ana", party_size=2)
    response = client.post(f"{base(event_id)}/new", data=new_form(party_size="2", walk_in="y"))
    rsvp = get_rsvp(app, created_id(response))
    assert rsvp.status == RsvpStatus.waitlisted and rsvp.tickets == []
    assert outbox(app, rsvp.id) == ["rsvp_waitlisted"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "added to the waiting list (number 1 in line), not checked in." in page
    # One seat is free, but the waiting list goes first, as for the public.
    response = client.post(
        f"{base(event_id)}/new",
        data=new_form(name="Solo", email="solo@example.org", party_size="1"),
    )
    assert get_rsvp(app, created_id(response)).status == RsvpStatus.waitlisted


def test_walk_in_is_checked_in_at_once_by_the_staff_member(app, client, organiser, event_id):
    response = client.post(
        f"{base(event_id)}/new",
        data=new_form(email="", phone="909-555-0101", party_size="3", walk_in="y"),
    )
    rsvp = get_rsvp(app, created_id(response))
    assert rsvp.is_confirmed and len(rsvp.tickets) == 3
    assert all(t.is_checked_in for t in rsvp.tickets)
    assert {t.checked_in_by_staff_id for t in rsvp.tickets} == {organiser["id"]}
    with app.app_context():
        scans = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event_id)).all()
        assert [(s.result, s.staff_id, s.door_pass_id) for s in scans] == [
            ("ok", organiser["id"], None)
        ] * 3
    assert "Added and checked in: 3 people." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    [entry] = audit(app, "checkin.manual")
    assert entry.details == {"event_id": event_id, "asked": 3, "admitted": 3}


def test_add_by_hand_errors_keep_what_was_typed(app, client, organiser, event_id, add):
    response = client.post(
        f"{base(event_id)}/new",
        data=new_form(name="", email="not-an-email", interpretation_request="Mixteco"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the person" in html and 'id="name-error"' in html
    assert 'value="not-an-email"' in html and 'value="Mixteco"' in html
    assert 'aria-describedby="name-error"' in html
    response = client.post(f"{base(event_id)}/new", data=new_form(party_size="9"))
    assert response.status_code == 400
    # Someone who already RSVPed is not added twice: the page links to their RSVP.
    ana = add(event_id, "Ana", email="ana@example.org")
    response = client.post(f"{base(event_id)}/new", data=new_form(email="ana@example.org"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "already has an RSVP here" in html and f"/attendees/{ana}" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 1


def test_nobody_is_added_to_a_cancelled_or_finished_event(app, client, organiser, make_event):
    from eventsvc.events.models import EventStatus

    cancelled = make_event(status=EventStatus.cancelled)
    ended = make_event(starts_in=timedelta(days=-2))
    for event_id, message in [(cancelled, "has been cancelled"), (ended, "This event is over")]:
        response = client.post(f"{base(event_id)}/new", data=new_form())
        assert response.status_code == 400 and message in response.get_data(as_text=True)


# --- edit -------------------------------------------------------------------------------------


def edit_form(rsvp: Rsvp, **overrides):
    data = {
        "name": rsvp.name,
        "email": rsvp.email or "",
        "phone": rsvp.phone or "",
        "language": rsvp.language,
        "party_size": str(rsvp.party_size),
        "access_needs": rsvp.access_needs,
        "interpretation_request": rsvp.interpretation_request,
    }
    data.update(overrides)
    return data


def test_edit_details_and_party_size(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "Jose Nunez", email="jose@example.org", party_size=1)
    rsvp = get_rsvp(app, rsvp_id)
    response = client.post(
        f"{base(event_id)}/{rsvp_id}",
        data=edit_form(
            rsvp,
            name="José Ñúñez",
            phone="909 555 0111",
            language="es",
            party_size="3",
            interpretation_request="Zapoteco",
        ),
    )
    assert response.status_code == 303
    rsvp = get_rsvp(app, rsvp_id)
    assert (rsvp.name, rsvp.phone, rsvp.language) == ("José Ñúñez", "+19095550111", "es")
    assert rsvp.party_size == 3 and len([t for t in rsvp.tickets if t.is_active]) == 3
    assert rsvp.interpretation_request == "Zapoteco"
    assert outbox(app, rsvp_id) == ["rsvp_confirmed", "rsvp_updated"]
    [entry] = audit(app, "rsvp.update")
    assert entry.actor_id == organiser["id"]
    assert sorted(entry.details["fields"]) == sorted(
        ["name", "phone", "language", "interpretation_request", "party_size"]
    )
    assert "Zapoteco" not in repr(entry.details) and "555" not in repr(entry.details)


def test_edit_with_errors_keeps_the_typed_values(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "Ana", email="ana@example.org")
    rsvp = get_rsvp(app, rsvp_id)
    response = client.post(
        f"{base(event_id)}/{rsvp_id}",
        data=edit_form(rsvp, name="Ana María", email="ana@", phone="12"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'value="Ana María"' in html and 'value="ana@"' in html and 'value="12"' in html
    assert "Enter a valid email address" in html and "Enter a valid phone number" in html
    assert get_rsvp(app, rsvp_id).name == "Ana"  # nothing saved
    assert audit(app, "rsvp.update") == []


def test_edit_refuses_a_party_too_big_for_the_seats_left_and_a_taken_email(
    app, client, organiser, make_event, add
):
    event_id = make_event(capacity=3, guest_limit=3)
    ana = add(event_id, "Ana", email="ana@example.org", party_size=2)
    add(event_id, "Luis", email="luis@example.org")
    rsvp = get_rsvp(app, ana)
    response = client.post(
        f"{base(event_id)}/{ana}", data=edit_form(rsvp, name="Ana B", party_size="4")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Only 0 more seats are available right now." in html
    assert 'value="Ana B"' in html
    assert get_rsvp(app, ana).name == "Ana"  # the whole change was rolled back
    response = client.post(
        f"{base(event_id)}/{ana}", data=edit_form(rsvp, email="luis@example.org")
    )
    assert response.status_code == 400
    assert "already has this email or phone number" in response.get_data(as_text=True)


# --- seats: cancel, move from the waiting list ------------------------------------------------


def test_cancel_frees_the_seats_for_the_waiting_list(app, client, organiser, make_event, add):
    event_id = make_event(capacity=2, guest_limit=3)
    ana = add(event_id, "Ana", party_size=2)
    luis = add(event_id, "Luis")
    assert get_rsvp(app, luis).is_waitlisted
    response = client.post(f"{base(event_id)}/{ana}/cancel")
    assert response.status_code == 303
    assert "1 party moved up from the waiting list" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    cancelled = get_rsvp(app, ana)
    assert cancelled.is_cancelled and not any(t.is_active for t in cancelled.tickets)
    assert get_rsvp(app, luis).is_confirmed
    assert outbox(app, ana)[-1] == "rsvp_cancelled"
    assert outbox(app, luis)[-1] == "rsvp_promoted"
    [entry] = audit(app, "rsvp.cancel")
    assert entry.details == {"event_id": event_id, "party_size": 2, "promoted": 1}
    # Cancelling again is refused clearly, and the page no longer offers the buttons.
    response = client.post(f"{base(event_id)}/{ana}/cancel")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This RSVP was cancelled." in html and "Cancel this RSVP" not in html


def test_move_from_the_waiting_list_out_of_order_when_it_fits(
    app, client, organiser, make_event, add
):
    event_id = make_event(capacity=4, guest_limit=3)
    add(event_id, "Ana", party_size=3)
    big = add(event_id, "Big Family", party_size=3)
    solo = add(event_id, "Solo", party_size=1)
    assert get_rsvp(app, big).is_waitlisted and get_rsvp(app, solo).is_waitlisted
    # The party at the head of the line does not fit: refused, clearly, nothing changes.
    response = client.post(f"{base(event_id)}/{big}/promote")
    assert response.status_code == 400
    assert "This party of 3 does not fit: only 1 seats are free." in response.get_data(as_text=True)
    assert get_rsvp(app, big).is_waitlisted
    # The organisers let the one who fits in, behind the big family.
    response = client.post(f"{base(event_id)}/{solo}/promote")
    assert response.status_code == 303
    rsvp = get_rsvp(app, solo)
    assert rsvp.is_confirmed and len(rsvp.tickets) == 1
    assert outbox(app, solo)[-1] == "rsvp_promoted"
    [entry] = audit(app, "rsvp.promote")
    assert entry.details == {"event_id": event_id, "party_size": 1, "position": 2}
    # A confirmed party is not on the waiting list.
    response = client.post(f"{base(event_id)}/{solo}/promote")
    assert response.status_code == 400
    assert "not on the waiting list" in response.get_data(as_text=True)


# --- resend -----------------------------------------------------------------------------------


def test_resend_queues_one_message_that_reaches_smtp(
    app, client, organiser, event_id, add, smtp_server, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    rsvp_id = add(event_id, "Ana", email="ana@example.org", language="es")
    with app.app_context():
        assert deliver_pending().sent == 1  # the first confirmation
    response = client.post(f"{base(event_id)}/{rsvp_id}/resend")
    assert response.status_code == 303
    with app.app_context():
        pending = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == MailStatus.pending)
        ).all()
        assert [(m.kind, m.rsvp_id, m.to_address) for m in pending] == [
            ("rsvp_confirmed", rsvp_id, "ana@example.org")
        ]
    # A second click before it leaves does not queue it twice.
    response = client.post(f"{base(event_id)}/{rsvp_id}/resend")
    assert response.status_code == 400
    assert "already waiting in the outbox" in response.get_data(as_text=True)
    assert outbox(app, rsvp_id) == ["rsvp_confirmed", "rsvp_confirmed"]
    with app.app_context():
        assert deliver_pending().sent == 1
    assert smtp_server.recipients == [["ana@example.org"], ["ana@example.org"]]
    assert "Evento" in smtp_server.messages[-1]["Subject"]  # in the attendee's language
    [entry] = audit(app, "rsvp.resend")
    assert entry.details["kind"] == "rsvp_confirmed" and "ana" not in repr(entry.details)


def test_resend_needs_an_email(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "Pedro", phone="+19095550123")
    response = client.post(f"{base(event_id)}/{rsvp_id}/resend")
    assert response.status_code == 400
    assert "gave no email address" in response.get_data(as_text=True)
    assert outbox(app) == []


# --- manual check-in and undo -----------------------------------------------------------------


def test_check_in_part_of_a_party_then_undo_one(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "José Ñúñez", party_size=3)
    response = client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "2"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in: 2 people." in page
    assert "1 person of this party is not in yet." in page
    rsvp = get_rsvp(app, rsvp_id)
    assert [t.is_checked_in for t in rsvp.tickets] == [True, True, False]
    assert {t.checked_in_by_staff_id for t in rsvp.tickets[:2]} == {organiser["id"]}
    with app.app_context():
        scans = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [(s.result, s.staff_id, s.ticket_id) for s in scans] == [
            ("ok", organiser["id"], rsvp.tickets[0].id),
            ("ok", organiser["id"], rsvp.tickets[1].id),
        ]
        second_scan = scans[1].id
    # The page offers to undo each admission and shows the scan history.
    assert f'name="scan_id" value="{second_scan}"' in page
    assert "Scan history" in page and "Admitted" in page

    response = client.post(f"{base(event_id)}/{rsvp_id}/undo", data={"scan_id": second_scan})
    assert response.status_code == 303
    rsvp = get_rsvp(app, rsvp_id)
    assert [t.is_checked_in for t in rsvp.tickets] == [True, False, False]
    with app.app_context():
        assert db.session.get(CheckIn, second_scan).is_undone
    # Undoing it again, or checking in more people than are out, is refused.
    response = client.post(f"{base(event_id)}/{rsvp_id}/undo", data={"scan_id": second_scan})
    assert response.status_code == 400
    assert "cannot be undone" in response.get_data(as_text=True)
    response = client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "3"})
    assert response.status_code == 400
    assert "Choose from 1 to 2 people to check in." in response.get_data(as_text=True)
    assert [e.details for e in audit(app, "checkin.manual")] == [
        {"event_id": event_id, "asked": 2, "admitted": 2}
    ]
    [undo] = audit(app, "checkin.undo")
    assert undo.details["scan_id"] == second_scan and undo.actor_id == organiser["id"]


def test_a_scan_of_another_party_cannot_be_undone_through_this_one(
    app, client, organiser, event_id, add
):
    ana = add(event_id, "Ana")
    luis = add(event_id, "Luis")
    client.post(f"{base(event_id)}/{luis}/checkin", data={"count": "1"})
    with app.app_context():
        scan_id = db.session.scalar(select(CheckIn.id))
    response = client.post(f"{base(event_id)}/{ana}/undo", data={"scan_id": scan_id})
    assert response.status_code == 400
    assert get_rsvp(app, luis).tickets[0].is_checked_in


def test_a_waiting_party_cannot_be_checked_in(app, client, organiser, make_event, add):
    event_id = make_event(capacity=1, guest_limit=3)
    add(event_id, "Ana")
    waiting = add(event_id, "Luis")
    response = client.post(f"{base(event_id)}/{waiting}/checkin", data={"count": "1"})
    assert response.status_code == 400
    assert "Only a confirmed party can be checked in." in response.get_data(as_text=True)


def test_the_attendee_page_shows_tickets_with_door_and_time(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, "Ana", party_size=2)
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        door = create_door_pass(rsvp.event, "Side door")
        check_in(Door(event=rsvp.event, door_pass=door), ticket_id=rsvp.tickets[0].id)
        db.session.commit()
    html = client.get(f"{base(event_id)}/{rsvp_id}").get_data(as_text=True)
    assert "Side door" in html and "Person 1" in html and "Not yet" in html


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


# --- CSV exports ------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


FORMULAS = ['=HYPERLINK("http://x","y")', "+1 Persona", "@SUM(A1:A2)", "-2+3"]


def test_attendee_export_is_formula_safe_follows_filters_and_is_audited(
    app, client, organiser, event_id, add
):
    for n, name in enumerate(FORMULAS):
        add(event_id, name, email=f"f{n}@example.org", access_needs="=1+1" if n == 0 else "")
    add(event_id, "Ana Normal", email="ana@example.org", phone="+19095550123")
    response = client.post(f"/admin/events/{event_id}/attendees.csv", data={"show": "live"})
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="attendees-gala-\d{8}-\d{4}\.csv"', disposition)
    rows = read_csv(response)
    assert len(rows) == 5
    names = {r["email"]: r["name"] for r in rows}
    assert names["f0@example.org"] == '\'=HYPERLINK("http://x","y")'
    assert names["f1@example.org"] == "'+1 Persona"
    assert names["f2@example.org"] == "'@SUM(A1:A2)"
    assert names["f3@example.org"] == "'-2+3"
    by_email = {r["email"]: r for r in rows}
    assert by_email["f0@example.org"]["access_needs"] == "'=1+1"
    assert by_email["ana@example.org"]["phone"] == "'+19095550123"  # text, never a formula
    assert by_email["ana@example.org"]["status"] == "confirmed"
    assert by_email["ana@example.org"]["party_size"] == "1"
    # The filters of the page are the export's.
    rows = read_csv(
        client.post(f"/admin/events/{event_id}/attendees.csv", data={"q": "ana", "show": "all"})
    )
    assert [r["name"] for r in rows] == ["Ana Normal"]
    entries = audit(app, "export.attendees")
    assert [e.details["rows"] for e in entries] == [5, 1]
    assert entries[0].actor_id == organiser["id"] and entries[0].created_dt is not None
    assert entries[0].object_id == str(event_id)
    assert entries[1].details["filters"] == {"search": True, "show": "all"}
    flat = repr([e.details for e in entries])
    for personal in ("HYPERLINK", "Ana", "ana@", "555"):
        assert personal not in flat


def test_check_in_export_lists_every_scan_and_is_audited(app, client, organiser, event_id, add):
    rsvp_id = add(event_id, '=HYPERLINK("http://x")', email="x@example.org", party_size=2)
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        door = create_door_pass(rsvp.event, "@Main door")
        at_door = Door(event=rsvp.event, door_pass=door)
        check_in(at_door, ticket_id=rsvp.tickets[0].id)
        check_in(at_door, ticket_id=rsvp.tickets[0].id)  # scanned twice: refused
        db.session.commit()
    client.post(f"{base(event_id)}/{rsvp_id}/checkin", data={"count": "1"})
    response = client.post(f"/admin/events/{event_id}/checkins.csv")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="checkins-gala-\d{8}-\d{4}\.csv"', disposition)
    rows = read_csv(response)
    assert [(r["result"], r["person"], r["door"]) for r in rows] == [
        ("ok", "1", "'@Main door"),
        ("already_checked_in", "", "'@Main door"),  # a refused scan names nobody
        ("ok", "2", ""),
    ]
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://x")', "", '\'=HYPERLINK("http://x")']
    assert rows[1]["ticket_id"] == rows[1]["rsvp_id"] == ""
    assert rows[2]["staff"] == "Olga Organiser"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00", rows[0]["scanned_at"])
    [entry] = audit(app, "export.checkins")
    assert entry.actor_id == organiser["id"]
    assert entry.details == {"event_id": event_id, "rows": 3, "filters": {}}


# --- races ------------------------------------------------------------------------------------


def login_cookie(base_url: str, email: str, password: str) -> str:
    """Log in to a served app; return the Cookie header of the session."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from tests.served import OPENER

    body = urllib.parse.urlencode({"email": email, "password": password}).encode()
    request = urllib.request.Request(f"{base_url}/login", data=body, method="POST")
    try:
        OPENER.open(request, timeout=30)
    except urllib.error.HTTPError as e:  # the redirect after a good login
        cookies = e.headers.get_all("Set-Cookie")
    else:
        raise AssertionError("the login did not redirect")
    return "; ".join(c.split(";", 1)[0] for c in cookies)


def test_moves_from_the_waiting_list_at_once_never_overfill_the_event(
    app, served, make_event, add, create_staff_user
):
    from tests.served import burst

    event_id = make_event(capacity=3, guest_limit=3)
    add(event_id, "Filler", party_size=3)
    waiting = [add(event_id, f"Waiting {n}", party_size=2) for n in range(12)]
    with app.app_context():
        # Two more seats, given to nobody yet (update_capacity would promote the head).
        db.session.execute(update(Event).where(Event.id == event_id).values(capacity=5))
        db.session.commit()
    user = create_staff_user(role=Role.organiser)
    cookie = login_cookie(served, user["email"], user["password"])
    results = burst(
        [
            (f"{served}{base(event_id)}/{rsvp_id}/promote", {}, {"headers": {"Cookie": cookie}})
            for rsvp_id in waiting
        ]
    )
    assert sorted(status for status, _ in results) == [303] + [400] * 11
    with app.app_context():
        taken = db.session.scalar(
            select(func.sum(Rsvp.party_size)).where(
                Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.confirmed
            )
        )
        tickets = db.session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.event_id == event_id)
        )
    assert taken == 5 and tickets == 5
    assert len(audit(app, "rsvp.promote")) == 1


def test_a_walk_in_needs_no_email_or_phone(app, client, organiser, event_id):
    response = client.post(
        f"{base(event_id)}/new",
        data=new_form(name="Walk-in Wendy", email="", phone="", walk_in="y"),
    )
    assert response.status_code == 303
    with app.app_context():
        rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Walk-in Wendy"))
        assert (rsvp.email, rsvp.phone, rsvp.added_by_staff) == (None, None, True)
        assert rsvp.status == RsvpStatus.confirmed
        assert all(t.is_checked_in for t in rsvp.tickets)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_online_rsvp_keeps_an_email_or_a_phone(app, client, organiser, event_id):
    with app.app_context():
        event = db.session.get(Event, event_id)
        data = RsvpData(
            name="Online Olga", email="olga@example.org", phone=None, language="en", party_size=1
        )
        online = submit_rsvp(event, data).rsvp.id
        db.session.commit()
    rsvp = get_rsvp(app, online)
    response = client.post(f"{base(event_id)}/{online}", data=edit_form(rsvp, email="", phone=""))
    assert response.status_code == 400
    assert "keep an email or a phone number" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Rsvp, online).email == "olga@example.org"
