"""Staff: invitations by email, the one-time link, roles, deactivation, the last admin."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.auth import services
from eventsvc.auth.models import Role, StaffUser
from eventsvc.auth.services import change_staff_role, invite_staff
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import deliver_pending

PASSWORD = "a long new password"


@pytest.fixture
def admin(client, auth, create_staff_user):
    user = create_staff_user(role=Role.admin, name="Ada Admin")
    assert auth.login(user["email"], user["password"]).status_code == 303
    return user


def account(app, email):
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        db.session.expunge(user)
        return user


def invite_token(app, email, *, hours_ago=0):
    """Invite email as an organiser (hours_ago in the past); return the link's token."""
    with app.app_context():
        actor = db.session.scalar(select(StaffUser).where(StaffUser.role == Role.admin))
        _user, token = invite_staff(
            email=email,
            name="Nina New",
            role=Role.organiser,
            language="en",
            actor=actor,
            now=utc_now() - timedelta(hours=hours_ago),
        )
        db.session.commit()
        return token


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_invite_mail_accept_login_and_the_link_works_once(
    app, client, admin, smtp_server, monkeypatch
):
    form = {
        "name": "Nina New",
        "email": " Nina@Example.org ",
        "role": "organiser",
        "language": "es",
    }
    response = client.post("/admin/staff/invite", data=form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/staff"
    listing = client.get("/admin/staff").get_data(as_text=True)
    assert "Invitation sent to Nina New." in listing
    assert "Invitation sent, not accepted yet" in listing

    nina = account(app, "nina@example.org")
    assert not nina.is_active and nina.password_hash is None
    assert nina.invite_token_hash and len(nina.invite_token_hash) == 64

    monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
    with app.app_context():
        assert deliver_pending().sent == 1
    [mail] = smtp_server.messages
    assert smtp_server.recipients == [["nina@example.org"]]
    assert mail["Content-Language"] == "es"
    body = mail.get_body(("plain",)).get_content()
    assert "Ada Admin" in body and "Organizador" in body
    [url] = re.findall(r"http://\S+/invite/\S+", body)
    path = url.split("127.0.0.1:5000", 1)[1]
    token = path.rsplit("/", 1)[1]
    assert nina.invite_token_hash != token and token not in str(nina.invite_token_hash)

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "Nina New" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]

    short = invitee.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "Use at least 12 characters." in short.get_data(as_text=True)
    mismatch = invitee.post(path, data={"password": PASSWORD, "confirm": PASSWORD + "!"})
    assert mismatch.status_code == 400
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)

    accepted = invitee.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == "/admin/"
    assert invitee.get("/admin/").status_code == 200  # logged in at once
    nina = account(app, "nina@example.org")
    assert nina.is_active and nina.invite_token_hash is None and nina.last_login_dt
    assert ["staff.invite", "staff.accept_invite"] == [
        a for a in audit_actions(app) if a.startswith("staff.")
    ]

    # The password works for a later login.
    invitee.post("/logout")
    login = invitee.post("/login", data={"email": "nina@example.org", "password": PASSWORD})
    assert login.status_code == 303

    # The link works once.
    used = app.test_client()
    again = used.get(path)
    assert again.status_code == 404
    assert "This invitation link does not work" in again.get_data(as_text=True)
    repost = used.post(path, data={"password": "another password!", "confirm": "another password!"})
    assert repost.status_code == 404
    with app.app_context():
        assert db.session.get(StaffUser, nina.id).check_password(PASSWORD)


def test_expired_link_is_refused(app, client, admin):
    token = invite_token(app, "late@example.org", hours_ago=73)
    page = client.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "has expired" in page.get_data(as_text=True)
    assert (
        client.post(
            f"/invite/{token}", data={"password": PASSWORD, "confirm": PASSWORD}
        ).status_code
        == 410
    )
    assert not account(app, "late@example.org").is_active
    # Within 72 hours it works.
    fresh = invite_token(app, "early@example.org", hours_ago=71)
    assert client.get(f"/invite/{fresh}").status_code == 200


def test_unknown_link_is_refused(client):
    response = client.get("/invite/not-a-real-token")
    assert response.status_code == 404
    assert "Ask an admin" in response.get_data(as_text=True)


def test_resending_replaces_the_link(app, client, admin):
    old = invite_token(app, "nina@example.org", hours_ago=80)
    nina = account(app, "nina@example.org")
    page = client.get(f"/admin/staff/{nina.id}").get_data(as_text=True)
    assert "Invitation expired" in page
    response = client.post(f"/admin/staff/{nina.id}", data={"action": "resend", "language": "en"})
    assert response.status_code == 303
    assert client.get(f"/invite/{old}").status_code == 404
    with app.app_context():
        assert deliver_pending().sent == 2  # to files: SMTP_URL is empty in tests
        [_first, second] = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "staff_invite")
        ).all()
        token = re.search(r"/invite/(\S+)", second.body_text).group(1)
    assert client.get(f"/invite/{token}").status_code == 200
    assert "staff.invite_resend" in audit_actions(app)


def test_invitation_is_refused_for_an_existing_email(app, client, admin):
    form = {"name": "Again", "email": admin["email"].upper(), "role": "volunteer", "language": "en"}
    response = client.post("/admin/staff/invite", data=form)
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    form = {"name": "", "email": "not-an-email", "role": "volunteer", "language": "en"}
    response = client.post("/admin/staff/invite", data=form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Enter a name." in text and "Enter a valid email address" in text


def test_cancelling_an_invitation_kills_the_link(app, client, admin):
    token = invite_token(app, "nina@example.org")
    nina = account(app, "nina@example.org")
    with app.app_context():
        # The queued email is written when it leaves: the outbox holds no link meanwhile.
        [waiting] = db.session.scalars(select(OutboxMessage)).all()
        assert token not in waiting.body_text and waiting.body_text == ""
    assert client.post(f"/admin/staff/{nina.id}", data={"action": "deactivate"}).status_code == 303
    assert client.get(f"/invite/{token}").status_code == 404
    with app.app_context():
        report = deliver_pending()
        assert (report.sent, report.failed) == (0, 0)  # the cancelled invitation is not sent
        assert db.session.scalars(select(OutboxMessage)).all() == []
    assert "staff.invite_cancel" in audit_actions(app)


def test_role_change_applies_at_the_next_request(app, client, admin, create_staff_user, make_event):
    event_id = make_event()
    olga = create_staff_user(role=Role.organiser)
    other = app.test_client()
    other.post("/login", data={"email": olga["email"], "password": olga["password"]})
    assert other.get(f"/admin/events/{event_id}/messages").status_code == 200

    response = client.post(
        f"/admin/staff/{olga['id']}", data={"action": "role", "role": "volunteer"}
    )
    assert response.status_code == 303
    assert other.get(f"/admin/events/{event_id}/messages").status_code == 403
    assert other.get("/admin/").status_code == 200  # volunteers keep the door
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "staff.role"))
        assert entry.details == {"from": "organiser", "to": "volunteer"}
        assert entry.object_id == str(olga["id"])


def test_deactivation_locks_out_at_the_next_request_and_reactivation_lets_back_in(
    app, client, admin, create_staff_user
):
    olga = create_staff_user(role=Role.organiser)
    other = app.test_client()
    other.post("/login", data={"email": olga["email"], "password": olga["password"]})
    assert other.get("/admin/outbox").status_code == 200

    response = client.post(f"/admin/staff/{olga['id']}", data={"action": "deactivate"})
    assert response.status_code == 303
    locked = other.get("/admin/outbox")
    assert locked.status_code == 302
    assert locked.headers["Location"].startswith("/login")
    login = {"email": olga["email"], "password": olga["password"]}
    assert other.post("/login", data=login).status_code == 400
    assert "Deactivated" in client.get("/admin/staff").get_data(as_text=True)

    assert (
        client.post(f"/admin/staff/{olga['id']}", data={"action": "reactivate"}).status_code == 303
    )
    # The old session stays ended: the person logs in again.
    assert other.get("/admin/outbox").status_code == 302
    assert other.post("/login", data=login).status_code == 303
    assert other.get("/admin/outbox").status_code == 200
    assert {"staff.deactivate", "staff.reactivate"} <= set(audit_actions(app))


def test_an_admin_cannot_deactivate_themselves(client, admin):
    response = client.post(f"/admin/staff/{admin['id']}", data={"action": "deactivate"})
    assert response.status_code == 400
    assert "cannot deactivate your own account" in response.get_data(as_text=True)


def test_the_last_admin_cannot_be_demoted_or_deactivated(app, client, admin, create_staff_user):
    # An invited admin who has not accepted yet does not count.
    with app.app_context():
        actor = db.session.get(StaffUser, admin["id"])
        invite_staff(
            email="pending@example.org", name="P", role=Role.admin, language="en", actor=actor
        )
        db.session.commit()

    response = client.post(
        f"/admin/staff/{admin['id']}", data={"action": "role", "role": "organiser"}
    )
    assert response.status_code == 400
    assert "Ada Admin is the last active admin" in response.get_data(as_text=True)
    assert account(app, admin["email"]).role == Role.admin

    # With a second admin, one may go; then the other is the last again.
    bea = create_staff_user(role=Role.admin, name="Bea Admin")
    assert (
        client.post(f"/admin/staff/{bea['id']}", data={"action": "deactivate"}).status_code == 303
    )
    response = client.post(
        f"/admin/staff/{admin['id']}", data={"action": "role", "role": "volunteer"}
    )
    assert response.status_code == 400
    with app.app_context():
        user = db.session.get(StaffUser, admin["id"])
        with pytest.raises(DomainError) as refused:
            services.deactivate_staff(user, actor=db.session.get(StaffUser, bea["id"]))
        assert refused.value.code == "last_admin"
        db.session.rollback()

    # Demoting yourself while another admin remains is allowed: you land on the dashboard.
    client.post(f"/admin/staff/{bea['id']}", data={"action": "reactivate"})
    response = client.post(
        f"/admin/staff/{admin['id']}", data={"action": "role", "role": "organiser"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/staff").status_code == 403


def _demote_each_other(app, a_id, b_id):
    """Two admins demote each other at the same moment, each in its own session."""
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor_id, target_id):
        with app.app_context():
            actor = db.session.get(StaffUser, actor_id)
            target = db.session.get(StaffUser, target_id)
            barrier.wait()
            try:
                change_staff_role(target, Role.organiser, actor=actor)
                db.session.commit()
                outcomes.append("ok")
            except DomainError as e:
                db.session.rollback()
                outcomes.append(e.code)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=demote, args=(a_id, b_id)),
        threading.Thread(target=demote, args=(b_id, a_id)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with app.app_context():
        admins = db.session.scalar(
            select(func.count()).select_from(StaffUser).where(StaffUser.role == Role.admin)
        )
    return sorted(outcomes), admins


def _slowly(check):
    def slow(user):
        check(user)
        threading.Event().wait(0.3)  # widen the gap between the check and the write

    return slow


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    app, create_staff_user, monkeypatch
):
    a = create_staff_user(role=Role.admin)
    b = create_staff_user(role=Role.admin)
    monkeypatch.setattr(services, "_keep_an_admin", _slowly(services._keep_an_admin))
    outcomes, admins = _demote_each_other(app, a["id"], b["id"])
    assert outcomes == ["last_admin", "ok"]
    assert admins == 1


def test_control_without_the_lock_the_harness_loses_every_admin(
    app, create_staff_user, monkeypatch
):
    a = create_staff_user(role=Role.admin)
    b = create_staff_user(role=Role.admin)

    def unlocked(user):
        others = db.session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.role == Role.admin, StaffUser.id != user.id)
        )
        if not others:
            raise DomainError("last_admin")

    monkeypatch.setattr(services, "_keep_an_admin", _slowly(unlocked))
    outcomes, admins = _demote_each_other(app, a["id"], b["id"])
    assert outcomes == ["ok", "ok"]
    assert admins == 0


@pytest.mark.parametrize("role", [Role.organiser, Role.volunteer])
def test_staff_pages_are_for_admins_only(app, client, auth, create_staff_user, role):
    user = create_staff_user(role=role)
    auth.login(user["email"], user["password"])
    assert client.get("/admin/staff").status_code == 403
    assert client.get("/admin/staff/invite").status_code == 403
    assert client.post("/admin/staff/invite", data={}).status_code == 403
    assert client.get(f"/admin/staff/{user['id']}").status_code == 403
    assert (
        client.post(
            f"/admin/staff/{user['id']}", data={"action": "role", "role": "admin"}
        ).status_code
        == 403
    )
    assert account(app, user["email"]).role == role


def test_staff_list_shows_role_status_and_last_login(app, client, admin, create_staff_user):
    create_staff_user(role=Role.volunteer, name="Vic Volunteer")
    invite_token(app, "nina@example.org")
    page = client.get("/admin/staff").get_data(as_text=True)
    assert "Vic Volunteer" in page and "Volunteer" in page and "Never" in page
    assert "Nina New" in page and "Invitation sent, not accepted yet" in page
    assert '<th scope="col">' in page
