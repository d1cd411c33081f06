"""Sign-up with double opt-in, signing up twice, leaving, and what counts as a member."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.mail.models import OutboxMessage
from eventsvc.membership.models import Member, MemberKind, MemberStatus
from eventsvc.membership.services import (
    CONFIRM,
    LEAVE,
    MemberData,
    confirm_member,
    count_active_members,
    join,
    leave,
    member_for_confirm_token,
    member_for_leave_token,
    member_token,
    render_member_mail,
)
from eventsvc.security import token_hash


def data(**overrides) -> MemberData:
    values = {
        "kind": MemberKind.individual,
        "name": "Ana Pérez",
        "email": "ana@example.org",
        "phone": None,
        "city": "Riverside",
        "languages": "Spanish",
        "help_areas": ["events"],
        "language": "es",
    }
    values.update(overrides)
    return MemberData(**values)


def test_join_makes_a_pending_member_and_queues_the_confirmation(app_ctx, help_areas):
    outcome = join(data())
    assert outcome.is_new
    member = outcome.member
    assert member.status == MemberStatus.pending
    assert member.help_areas == ["events"]
    assert member.confirm_token_hash == token_hash(member_token(member, CONFIRM))
    assert member.unsubscribe_token_hash == token_hash(member_token(member, LEAVE))
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.kind, message.member_id, message.language) == (
        "member_confirm",
        member.id,
        "es",
    )


def test_unknown_help_areas_are_dropped(app_ctx, help_areas):
    member = join(data(help_areas=["events", "made-up"])).member
    assert member.help_areas == ["events"]


def test_an_unconfirmed_member_is_not_counted(app_ctx):
    member = join(data()).member
    assert count_active_members() == 0
    confirm_member(member)
    assert member.status == MemberStatus.active and member.confirmed_dt is not None
    assert member.confirm_token_hash is None  # the link works once
    assert count_active_members() == 1


def test_confirming_twice_is_refused_with_a_code(app_ctx):
    member = join(data()).member
    confirm_member(member)
    with pytest.raises(DomainError) as error:
        confirm_member(member)
    assert error.value.code == "not_pending"


def test_signing_up_with_a_known_address_changes_nothing_and_resends_the_link(app_ctx, help_areas):
    first = join(data(help_areas=["events"])).member
    before = (first.name, first.city, first.help_areas, first.phone, first.language)
    second = join(data(name="Somebody Else", city="Ontario", help_areas=["translation"]))
    assert not second.is_new and second.member.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1
    assert (first.name, first.city, first.help_areas, first.phone, first.language) == before
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == ["member_confirm", "member_confirm"]  # pending: the link is sent again


def test_a_stranger_with_a_members_address_changes_nothing_and_the_member_is_told(app_ctx):
    member = join(data()).member
    confirm_member(member)
    before = (member.name, member.city, member.phone)
    join(data(name="Stranger", city="Fontana", phone="+19095550999"))
    assert member.status == MemberStatus.active
    assert (member.name, member.city, member.phone) == before
    assert db.session.scalars(select(OutboxMessage.kind)).all()[-1] == "member_exists"


def test_a_phone_only_member_is_matched_by_phone_and_stays_pending(app_ctx):
    first = join(data(email=None, phone="+19095550123")).member
    again = join(data(email=None, phone="+19095550123", name="Ana"))
    assert again.member.id == first.id
    assert first.status == MemberStatus.pending and first.confirm_token_hash is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_join_without_a_way_to_reach_is_refused(app_ctx):
    with pytest.raises(DomainError) as error:
        join(data(email=None, phone=None))
    assert error.value.code == "unreachable"


def test_leaving_erases_the_members_data_and_messages(app_ctx, help_areas):
    member = join(
        data(
            kind=MemberKind.organisation,
            organisation_name="Clínica",
            website="https://example.org",
            contact_person="Rosa",
            phone="+19095550123",
        )
    ).member
    confirm_member(member)
    leave_token = member_token(member, LEAVE)
    leave(member)
    db.session.commit()
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert member.status == MemberStatus.left and member.left_dt is not None
    assert member.name == "" and member.email is None and member.phone is None
    assert member.city == "" and member.languages == "" and member.help_areas == []
    assert member.organisation_name is None and member.website is None
    assert member.contact_person is None
    assert member.unsubscribe_token_hash is None
    assert member_for_leave_token(leave_token) is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "member.leave"))
    assert entry.object_id == str(member.id) and entry.details == {}
    assert count_active_members() == 0


def test_joining_again_after_leaving_is_a_new_membership_with_new_links(app_ctx):
    old = join(data()).member
    old_leave = member_token(old, LEAVE)
    leave(old)
    new = join(data()).member
    assert new.id != old.id and new.status == MemberStatus.pending
    assert member_token(new, LEAVE) != old_leave
    assert member_for_leave_token(old_leave) is None


def test_links_are_bound_to_one_member_and_one_purpose(app_ctx):
    ana = join(data()).member
    luis = join(data(name="Luis", email="luis@example.org")).member
    assert member_for_leave_token(member_token(ana, LEAVE)) is ana
    assert member_for_leave_token(member_token(luis, LEAVE)) is luis
    # A confirmation token is not a leave token, and the other way round.
    assert member_for_leave_token(member_token(ana, CONFIRM)) is None
    assert member_for_confirm_token(member_token(ana, LEAVE)) is None
    assert member_for_leave_token("x" * 65) is None
    assert member_for_leave_token("") is None


def test_links_depend_on_the_secret_key(app, app_ctx):
    member = join(data()).member
    token = member_token(member, LEAVE)
    app.config["SECRET_KEY"], saved = "another key", app.config["SECRET_KEY"]
    try:
        assert member_token(member, LEAVE) != token
    finally:
        app.config["SECRET_KEY"] = saved


def test_member_mail_is_made_at_send_time_with_both_links(app_ctx):
    member = join(data()).member
    message = db.session.scalars(select(OutboxMessage)).one()
    rendered = render_member_mail(message)
    assert member_token(member, CONFIRM) in rendered.body_text
    assert member_token(member, LEAVE) in rendered.body_text
    assert member_token(member, LEAVE) in rendered.body_html
    confirm_member(member)
    assert render_member_mail(message) is None  # already confirmed: nothing to ask


def test_member_exists_mail_has_the_leave_link(app_ctx):
    member = join(data(language="en")).member
    confirm_member(member)
    join(data(language="en", city="Fontana"))
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "member_exists")
    ).one()
    rendered = render_member_mail(message)
    assert member_token(member, LEAVE) in rendered.body_text
    assert "already a member" in rendered.subject


def test_created_dt_is_kept_for_the_link_salt(app_ctx):
    created = utc_now() - timedelta(days=3)
    member = join(data(), now=created).member
    db.session.commit()
    db.session.expire_all()
    reloaded = db.session.get(Member, member.id)
    assert member_for_leave_token(member_token(reloaded, LEAVE)) is reloaded
