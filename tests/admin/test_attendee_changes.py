"""The back office's changes to attendees: add by hand, edit, seats, resend, races."""

from datetime import timedelta

from sqlalchemy import func, select, update

from eventsvc.auth.models import Role
from eventsvc.checkin.models import CheckIn
from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import MailStatus, OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from tests.admin.attendee_pages import audit, base, get_rsvp

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
