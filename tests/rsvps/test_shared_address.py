"""An RSVP with an email or phone that already has a live RSVP for the event.

(a) the submitter never sees nor changes the existing RSVP; (b) their answer reads exactly as any
new RSVP's; (c) the address's holder is told by email, with their own link and a one-click way
to cancel the new RSVP.
"""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import deliver_pending
from eventsvc.rsvps.links import manage_url
from eventsvc.rsvps.mail import queue_reminders
from eventsvc.rsvps.models import Rsvp, RsvpStatus
from eventsvc.rsvps.services import RsvpData, cancel_rsvp, submit_rsvp
from eventsvc.rsvps.staff import resend_rsvp_mail

HOLDER = {
    "name": "Hilda Holder",
    "email": "hilda@example.org",
    "phone": "(909) 555-0100",
    "language": "es",
    "party_size": "2",
    "access_needs": "Wheelchair seat, please",
    "interpretation_request": "Mixteco",
}


def form(**overrides):
    data = {"name": "Sam Submitter", "email": "sam@example.org", "language": "en"}
    data.update({"party_size": "1", **overrides})
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def slug(app, make_event):
    event_id = make_event(capacity=6, guest_limit=3)
    with app.app_context():
        return db.session.get(Event, event_id).slug


def holder_state(app):
    """Return everything of the holder's RSVP that the rules say must never change."""
    with app.app_context():
        holder = db.session.scalar(select(Rsvp).where(Rsvp.name == "Hilda Holder"))
        return (
            holder.id,
            holder.name,
            holder.email,
            holder.phone,
            holder.party_size,
            holder.status,
            holder.access_needs,
            holder.interpretation_request,
            holder.manage_token_hash,
            holder.feed_token_hash,
            [(t.id, t.secret, t.status) for t in holder.tickets],
        )


def rsvp_by_name(name: str) -> Rsvp:
    return db.session.scalar(select(Rsvp).where(Rsvp.name == name))


def outbox(kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def submit(client, slug, **overrides):
    return client.post(f"/events/{slug}", data=form(**overrides))


@pytest.fixture
def holder(app, client, slug):
    response = client.post(f"/events/{slug}", data=HOLDER)
    assert response.status_code == 303
    return response.headers["Location"]


# --- (a) the existing RSVP is never seen nor changed ---------------------------------------------


@pytest.mark.parametrize(
    "taken",
    [
        {"email": "hilda@example.org"},
        {"email": "", "phone": "909-555-0100"},
        {"email": "sam@example.org", "phone": "+1 909 555 0100"},
        {"email": "HILDA@example.org ", "phone": "909-555-0100"},
    ],
    ids=["email", "phone-only", "phone-with-own-email", "both"],
)
def test_taken_address_makes_a_new_party_and_never_touches_the_holders(
    app, client, slug, holder, taken
):
    before = holder_state(app)
    response = submit(
        client, slug, name="Sam Submitter", party_size="3", access_needs="none", **taken
    )
    assert response.status_code == 303
    assert response.headers["Location"] != holder
    assert holder_state(app) == before
    with app.app_context():
        new = rsvp_by_name("Sam Submitter")
        assert new.status == RsvpStatus.confirmed and new.party_size == 3
        assert len(new.tickets) == 3
        assert new.shared_contact == ("email" if "hilda" in taken["email"].lower() else "phone")
        assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sam Submitter" in page
    for secret in ("Hilda", "hilda@", "Wheelchair", "Mixteco"):
        assert secret not in page or secret in str(taken).lower()  # what they typed is theirs


def test_taken_address_is_seated_by_the_usual_rules(app, client, slug, holder):
    assert submit(client, slug, email="other@example.org", party_size="4").status_code == 303
    # 6 seats: 2 (holder) + 4 taken; the holder's address now goes to the waitlist.
    submit(client, slug, email="hilda@example.org")
    with app.app_context():
        new = rsvp_by_name("Sam Submitter")
        assert db.session.scalar(
            select(func.count()).select_from(Rsvp).where(Rsvp.status == RsvpStatus.waitlisted)
        )
        waiting = db.session.scalar(select(Rsvp).where(Rsvp.status == RsvpStatus.waitlisted))
        assert waiting.shared_contact == "email" and waiting.tickets == []
        assert new is not None


# --- (b) the answer reads the same whether or not the address was taken --------------------------


def normalised(app, client, response, *, name, email, phone) -> str:
    """Return the page a submitter lands on, with what is theirs alone replaced by placeholders."""
    location = response.headers["Location"]
    token = location.rsplit("/", 1)[1]
    page = client.get(location).get_data(as_text=True)
    with app.app_context():
        rsvp = rsvp_by_name(name)
        from eventsvc.rsvps.links import feed_token

        feed = feed_token(rsvp)
    page = page.replace(token, "TOKEN").replace(feed, "FEED")
    page = page.replace(name, "NAME")
    for value, placeholder in ((email, "EMAIL"), (phone, "PHONE")):
        if value:
            page = page.replace(value, placeholder)
    # The times of the RSVP and its message, to the second.
    return re.sub(r"\d{1,2}:\d\d:\d\d\W*[AP]M", "TIME", page)


@pytest.mark.parametrize(
    ("fresh", "taken"),
    [
        ({"email": "fresh@example.org"}, {"email": "hilda@example.org"}),
        ({"email": "", "phone": "9095550199"}, {"email": "", "phone": "9095550100"}),
    ],
    ids=["email", "phone"],
)
def test_the_answer_is_the_same_for_a_fresh_and_a_taken_address(app, slug, holder, fresh, taken):
    answers = []
    for n, contact in enumerate((fresh, taken)):
        client = app.test_client()  # a new visitor each time: their own session and flash
        name = f"Visitor {'AB'[n]}"
        response = client.post(f"/events/{slug}", data=form(name=name, **contact))
        answers.append(
            (
                response.status_code,
                urlsplit(response.headers["Location"]).path.count("/"),
                normalised(
                    app,
                    client,
                    response,
                    name=name,
                    email=contact["email"],
                    phone="+1" + contact["phone"] if contact.get("phone") else None,
                ),
            )
        )
    assert answers[0] == answers[1]
    status, _, page = answers[1]
    assert status == 303
    assert "in! Your ticket is below." in page
    assert "already" not in page.lower() and "updated your RSVP" not in page
    assert "Hilda" not in page and "Wheelchair" not in page and "Mixteco" not in page


# --- (c) the holder is told, and can cancel the new RSVP -----------------------------------------


@pytest.fixture
def mailing(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    return smtp_server


def test_holder_is_told_by_real_mail_and_can_cancel_the_new_rsvp(
    app, client, slug, holder, mailing
):
    # The event fills up, so the disowned RSVP's seats go to someone waiting.
    submit(client, slug, name="Sam Submitter", email="hilda@example.org", party_size="3")
    submit(client, slug, name="Wendy Waiting", email="wendy@example.org", party_size="2")
    with app.app_context():
        assert rsvp_by_name("Wendy Waiting").status == RsvpStatus.waitlisted
        [notice] = outbox("rsvp_shared_address")
        assert notice.to_address == "hilda@example.org" and notice.language == "es"
        assert [m.to_address for m in outbox("rsvp_confirmed")] == ["hilda@example.org"]
        holder_link = manage_url(rsvp_by_name("Hilda Holder"))
        mailing.messages.clear()
        assert deliver_pending().sent >= 2

    [message] = [
        m for m in mailing.messages if "/rsvp/not-me/" in m.get_body(("plain",)).get_content()
    ]
    assert message["To"] == "hilda@example.org"
    text = message.get_body(("plain",)).get_content()
    assert "Hilda Holder" in text and "Sam Submitter" not in text
    assert holder_link in text  # their own RSVP's link
    assert "Evento" in message["Subject"]  # the holder's language
    assert not [p for p in message.walk() if p.get_content_type() == "image/png"]  # no tickets
    html = message.get_body(("html",)).get_content()
    [disown] = re.findall(r"https?://[^\s\"]+/rsvp/not-me/[A-Za-z0-9_\-=]+", text)
    assert disown in html
    path = urlsplit(disown).path

    # A GET (a mail scanner following links) changes nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Sam Submitter" not in page.get_data(as_text=True)
    with app.app_context():
        assert rsvp_by_name("Sam Submitter").status == RsvpStatus.confirmed
    done = client.post(path)
    assert done.status_code == 303
    assert "That RSVP is cancelled" in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert rsvp_by_name("Sam Submitter").status == RsvpStatus.cancelled
        assert rsvp_by_name("Wendy Waiting").status == RsvpStatus.confirmed  # promoted
        assert rsvp_by_name("Hilda Holder").status == RsvpStatus.confirmed
    # The link does nothing else: it is not a manage link.
    assert client.get("/rsvp/" + path.rsplit("/", 1)[1]).status_code == 404


def test_phone_holder_with_an_email_is_told_at_that_email(app, client, slug, holder):
    submit(client, slug, email="sam@example.org", phone="909 555 0100")
    with app.app_context():
        [notice] = outbox("rsvp_shared_address")
        assert notice.to_address == "hilda@example.org"
        assert notice.rsvp_id == rsvp_by_name("Sam Submitter").id
        # The submitter's own, fresh email gets its confirmation as anyone would.
        assert [m.to_address for m in outbox("rsvp_confirmed")] == [
            "hilda@example.org",
            "sam@example.org",
        ]


def test_phone_holder_without_an_email_cannot_be_told(app, client, slug):
    submit(client, slug, name="Pat Phone", email="", phone="909 555 0142")
    response = submit(client, slug, email="", phone="909 555 0142")
    assert response.status_code == 303
    with app.app_context():
        assert outbox() == []
        assert rsvp_by_name("Sam Submitter").shared_contact == "phone"


def test_phone_only_submitter_sees_the_tickets_on_screen(app, client, slug, holder):
    response = submit(client, slug, email="", phone="909-555-0100", party_size="2")
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert page.count("qr.svg?ticket=") == 2
    assert client.get(location + "/qr.svg?ticket=2").status_code == 200
    assert client.get(location + "/qr.png?ticket=1").status_code == 200


def test_double_click_with_a_taken_address_changes_nothing(app, client, slug, holder):
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    first = submit(client, slug, email="hilda@example.org", submission_key=key)
    second = submit(client, slug, email="hilda@example.org", submission_key=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] != holder
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 2
        assert len(outbox("rsvp_shared_address")) == 1
    # Another form (another key) with the same address is another party.
    submit(client, slug, email="hilda@example.org", name="Sam Again")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 3


def test_nothing_of_the_new_rsvp_is_ever_mailed_to_the_taken_email(
    app, app_ctx, make_event, create_staff_user
):
    from datetime import timedelta

    from eventsvc.auth.models import StaffUser
    from eventsvc.errors import DomainError

    event = db.session.get(Event, make_event(capacity=1, starts_in=timedelta(hours=30)))

    def data(name, **kw):
        return RsvpData(name=name, email="hilda@example.org", phone=None, language="en", **kw)

    first = submit_rsvp(event, data("Hilda Holder", party_size=1, consent_contact=True))
    second = submit_rsvp(event, data("Sam Submitter", party_size=1, consent_contact=True))
    db.session.commit()
    assert second.rsvp.is_waitlisted
    cancel_rsvp(first.rsvp)  # the submitter's RSVP is promoted: no tickets to the holder
    db.session.commit()
    assert second.rsvp.is_confirmed
    staff = db.session.get(StaffUser, create_staff_user()["id"])
    with pytest.raises(DomainError) as e:
        resend_rsvp_mail(second.rsvp, actor=staff)
    assert e.value.code == "shared_email"
    event.start_dt = event.start_dt - timedelta(hours=10)  # within the reminder window
    db.session.commit()
    queue_reminders()
    db.session.commit()
    assert [m.kind for m in outbox() if m.rsvp_id == second.rsvp.id] == ["rsvp_shared_address"]


def test_organisers_see_the_flag(app, client, slug, holder, create_staff_user, auth):
    submit(client, slug, email="hilda@example.org")
    submit(client, slug, email="fresh@example.org", name="Fresh Person")
    staff = create_staff_user()
    auth.login(staff["email"], staff["password"])
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
    page = client.get(f"/admin/events/{event_id}/attendees").get_data(as_text=True)
    assert page.count("Same email or phone as another RSVP") == 1
    rows = page.split("<tr>")
    [flagged] = [r for r in rows if "Same email or phone as another RSVP" in r]
    assert "Sam Submitter" in flagged


def test_staff_can_edit_an_rsvp_made_with_a_taken_address(
    app, client, slug, holder, create_staff_user
):
    from eventsvc.auth.models import StaffUser
    from eventsvc.errors import DomainError
    from eventsvc.rsvps.staff import update_attendee

    submit(client, slug, email="hilda@example.org", phone="909 555 0100")
    with app.app_context():
        staff = db.session.get(StaffUser, create_staff_user()["id"])
        new = rsvp_by_name("Sam Submitter")
        data = RsvpData(
            name="Sam S.",
            email=new.email,
            phone=new.phone,
            language="en",
            party_size=1,
        )
        assert update_attendee(new, data, actor=staff) == ["name"]
        db.session.commit()
        # Moving another attendee onto a taken address is still refused.
        other = RsvpData(
            name="Hilda Holder",
            email="hilda@example.org",
            phone=None,
            language="es",
            party_size=1,
        )
        submit(client, slug, email="x@example.org", name="Xavier")
        with pytest.raises(DomainError) as e:
            update_attendee(rsvp_by_name("Xavier"), other, actor=staff)
        assert e.value.code == "contact_taken"
