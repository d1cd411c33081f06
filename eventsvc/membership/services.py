"""Membership: double opt-in sign-up, leaving, the directory, the timeline and their back office.

Links in members' emails
    Member has no salt column, so each link's token is an HMAC (``security.link_token``) of its
    purpose and ``"<member id>:<created_dt isoformat, UTC, seconds>"``. That salt is not secret
    and need not be: without SECRET_KEY nobody can compute the HMAC, and the id makes it unique
    per member. The database stores only the sha256 of each token (``confirm_token_hash``,
    ``unsubscribe_token_hash``), so a copy of it cannot make a link; the server can remake the
    leave link for every later email (content made at send time), which a random token stored
    hashed could not. A member who leaves and joins again is a new row (new id), so an old link
    never reaches the new membership. Rotating SECRET_KEY breaks the links already sent.

Double opt-in
    A sign-up with an email is ``pending`` until the link in the confirmation email is followed
    (a button: a GET never changes state, and mail scanners follow GETs). Only ``active``
    members are counted. A sign-up with only a phone number stays pending until an organiser,
    having called the person, marks it active.

Signing up twice
    The email (or, without one, the phone) finds the live membership, and nothing of it
    changes: whoever typed the address may not be its holder. The answer is the one a new
    sign-up gets, so nobody learns that the address is a member's; the holder is told at the
    address (a pending one gets the confirmation link again, an active one "you are already a
    member", with the leave link). To change their details a member leaves and joins again.
    Sign-ups for the same address take turns (a lock per address) so two simultaneous ones
    cannot make two rows.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, func, or_, select, text, update

from eventsvc.core.audit import record_audit
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import RenderedMail, queue_deferred, render_mail
from eventsvc.membership.models import (
    HelpArea,
    Member,
    MemberKind,
    MemberOrganisation,
    MemberStatus,
    Milestone,
)
from eventsvc.security import find_by_token, link_token, token_hash

logger = logging.getLogger(__name__)

CONFIRM = "member-confirm"
LEAVE = "member-leave"


@dataclass(frozen=True)
class MemberData:
    """What a person gives on /join; already validated and normalised by the form."""

    kind: MemberKind
    name: str
    email: str | None
    phone: str | None
    city: str = ""
    languages: str = ""
    help_areas: list[str] = field(default_factory=list)
    organisation_name: str | None = None
    website: str | None = None
    contact_person: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class JoinOutcome:
    """The membership a sign-up ended in, and whether it was new."""

    member: Member
    is_new: bool


# --- links ------------------------------------------------------------------------------------


def member_token(member: Member, purpose: str) -> str:
    """Return the token of one of the member's private links (purpose CONFIRM or LEAVE)."""
    # Whole seconds in UTC: the same string whatever precision the database gives back.
    created = member.created_dt.astimezone(UTC).isoformat(timespec="seconds")
    salt = f"{member.id}:{created}"
    return link_token(current_app.config["SECRET_KEY"], purpose, salt)


def member_url(member: Member, purpose: str) -> str:
    """Return the absolute URL of the member's confirm or leave link."""
    base = current_app.config["BASE_URL"].rstrip("/")
    path = "join/confirm" if purpose == CONFIRM else "leave"
    return f"{base}/{path}/{member_token(member, purpose)}"


def member_for_confirm_token(token: str) -> Member | None:
    """Return the pending member whose confirmation link carries token, or None."""
    return find_by_token(Member.confirm_token_hash, token)


def member_for_leave_token(token: str) -> Member | None:
    """Return the member whose leave link carries token, or None (also once they left)."""
    return find_by_token(Member.unsubscribe_token_hash, token)


# --- sign-up ----------------------------------------------------------------------------------


def active_help_areas() -> list[HelpArea]:
    """Return the help areas offered on the join form, in order."""
    return db.session.scalars(
        select(HelpArea).where(HelpArea.is_active).order_by(HelpArea.sort_order, HelpArea.id)
    ).all()


def _take_turns(key: str) -> None:
    """Serialise sign-ups for the same address until the end of the transaction."""
    if db.session.get_bind().dialect.name == "sqlite":
        # The first write of a SQLite transaction takes the database's write lock; this one
        # changes nothing, but every other writer now waits for our commit.
        db.session.execute(update(Member).where(Member.id == -1).values(name=Member.name))
    else:
        digest = hashlib.sha256(f"member:{key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _live_member_for(email: str | None, phone: str | None) -> Member | None:
    if email:
        match = Member.email == email
    elif phone:
        match = Member.phone == phone
    else:
        return None
    return db.session.scalars(
        select(Member).where(match, Member.status != MemberStatus.left).order_by(Member.id).limit(1)
    ).first()


def _apply(member: Member, data: MemberData) -> None:
    known = {a.key for a in db.session.scalars(select(HelpArea))}
    member.kind = data.kind
    member.name = data.name
    member.email = data.email or member.email
    member.phone = data.phone or member.phone
    member.city = data.city
    member.languages = data.languages
    member.help_areas = [key for key in data.help_areas if key in known]
    is_org = data.kind == MemberKind.organisation
    member.organisation_name = data.organisation_name if is_org else None
    member.website = data.website if is_org else None
    member.contact_person = data.contact_person if is_org else None
    member.language = data.language


def join(data: MemberData, *, now: datetime | None = None) -> JoinOutcome:
    """Sign up; with the address of a live membership, change nothing and tell its holder."""
    if not data.email and not data.phone:
        raise DomainError("unreachable", _("Give an email or a cell phone number."))
    _take_turns((data.email or data.phone).lower())
    now = now or utc_now()
    member = _live_member_for(data.email, data.phone)
    if member is not None:
        # Whoever typed this address may not be its holder: nothing of the membership changes,
        # the answer is the one a new sign-up gets, and the holder is told at the address.
        if member.email:
            kind = "member_confirm" if member.status == MemberStatus.pending else "member_exists"
            queue_deferred(
                to=member.email, kind=kind, language=member.language, member_id=member.id
            )
        logger.info("member %s: a sign-up with its address changed nothing", member.id)
        return JoinOutcome(member, is_new=False)

    member = Member(status=MemberStatus.pending, created_dt=now, help_areas=[])
    _apply(member, data)
    db.session.add(member)
    db.session.flush()  # the id is part of the links' salt
    member.unsubscribe_token_hash = token_hash(member_token(member, LEAVE))
    if member.email:
        member.confirm_token_hash = token_hash(member_token(member, CONFIRM))
        queue_deferred(
            to=member.email, kind="member_confirm", language=member.language, member_id=member.id
        )
    db.session.flush()
    logger.info("member %s signed up (%s), awaiting confirmation", member.id, member.kind)
    return JoinOutcome(member, is_new=True)


def confirm_member(member: Member, *, now: datetime | None = None) -> Member:
    """Make a pending membership active: its email address is confirmed (double opt-in)."""
    if member.status != MemberStatus.pending:
        raise DomainError("not_pending", _("This membership is already confirmed."))
    member.confirm(now or utc_now())
    db.session.flush()
    logger.info("member %s confirmed", member.id)
    return member


def leave(member: Member, *, now: datetime | None = None) -> Member:
    """End the membership and erase the member's data; only an anonymous row remains."""
    if member.status == MemberStatus.left:
        raise DomainError("already_left", _("You are no longer a member."))
    member.leave(now or utc_now())
    member.kind = MemberKind.individual
    member.name = ""
    member.email = None
    member.phone = None
    member.city = ""
    member.languages = ""
    member.help_areas = []
    member.organisation_name = None
    member.website = None
    member.contact_person = None
    member.confirm_token_hash = None
    member.unsubscribe_token_hash = None
    # Their messages hold their address and name: sent or not, they go too.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.member_id == member.id))
    record_audit("member.leave", actor_label="member", object_type="member", object_id=member.id)
    db.session.flush()
    logger.info("member %s left; personal data erased", member.id)
    return member


def count_active_members() -> int:
    """Return how many confirmed, active members the coalition has."""
    return db.session.scalar(
        select(func.count()).select_from(Member).where(Member.status == MemberStatus.active)
    )


# --- mail -------------------------------------------------------------------------------------


def render_member_mail(message: OutboxMessage) -> RenderedMail | None:
    """Make a member message's content at send time; None once it has no reason to go out."""
    member = db.session.get(Member, message.member_id) if message.member_id else None
    if member is None or member.status == MemberStatus.left or not member.email:
        return None
    if message.kind == "member_confirm" and member.status != MemberStatus.pending:
        return None
    subject, body_text, body_html = render_mail(
        message.kind,
        language=member.language,
        member=member,
        confirm_url=member_url(member, CONFIRM),
        leave_url=member_url(member, LEAVE),
        help_areas=_help_area_labels(member),
    )
    return RenderedMail(subject, body_text, body_html)


def _help_area_labels(member: Member) -> list[str]:
    areas = {a.key: a for a in db.session.scalars(select(HelpArea))}
    return [areas[k].label(member.language) for k in member.help_areas if k in areas]


# --- public pages -----------------------------------------------------------------------------


def listed_organisations() -> list[MemberOrganisation]:
    """Return the member organisations that agreed to be listed, in order."""
    return db.session.scalars(
        select(MemberOrganisation)
        .where(MemberOrganisation.is_listed)
        .order_by(MemberOrganisation.sort_order, MemberOrganisation.name)
    ).all()


def timeline() -> list[Milestone]:
    """Return the timeline's milestones, oldest first."""
    return db.session.scalars(
        select(Milestone).order_by(Milestone.year, Milestone.sort_order, Milestone.id)
    ).all()


# --- back office ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFilter:
    """The back office's search and filters of the members list."""

    q: str = ""
    status: MemberStatus | None = None
    kind: MemberKind | None = None
    help_area: str | None = None


def _filtered(filters: MemberFilter):
    query = select(Member).where(Member.status != MemberStatus.left)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Member.name).like(like),
                func.lower(Member.email).like(like),
                func.lower(Member.organisation_name).like(like),
                func.lower(Member.city).like(like),
                Member.phone.like(like),
            )
        )
    if filters.status is not None:
        query = query.where(Member.status == filters.status)
    if filters.kind is not None:
        query = query.where(Member.kind == filters.kind)
    return query.order_by(Member.created_dt.desc(), Member.id.desc())


def find_members(filters: MemberFilter) -> list[Member]:
    """Return the members (not those who left) matching filters, newest first."""
    members = db.session.scalars(_filtered(filters)).all()
    if filters.help_area:  # a JSON list: filtered here, the same on SQLite and PostgreSQL
        members = [m for m in members if filters.help_area in (m.help_areas or [])]
    return members


EXPORT_HEADER = (
    "id",
    "status",
    "kind",
    "name",
    "organisation",
    "contact_person",
    "email",
    "phone",
    "city",
    "languages",
    "help_areas",
    "website",
    "language",
    "joined_utc",
    "confirmed_utc",
)


def export_members(filters: MemberFilter, *, actor) -> tuple[tuple[str, ...], list[list]]:
    """Return the header and rows of a members export, and write the export to the audit log."""
    members = find_members(filters)
    rows = [
        [
            m.id,
            m.status.value,
            m.kind.value,
            m.name,
            m.organisation_name or "",
            m.contact_person or "",
            m.email or "",
            m.phone or "",
            m.city,
            m.languages,
            " ".join(m.help_areas or []),
            m.website or "",
            m.language,
            m.created_dt.isoformat(timespec="seconds"),
            m.confirmed_dt.isoformat(timespec="seconds") if m.confirmed_dt else "",
        ]
        for m in members
    ]
    record_audit(
        "export.members",
        actor=actor,
        object_type="member",
        details={
            "rows": len(rows),
            # What was asked for, never who: the search text may be a name, so only whether
            # there was one.
            "filters": {
                "search": bool(filters.q),
                "status": filters.status.value if filters.status else None,
                "kind": filters.kind.value if filters.kind else None,
                "help_area": filters.help_area,
            },
        },
    )
    db.session.flush()
    logger.info("members export: %d rows", len(rows))
    return EXPORT_HEADER, rows


def set_member_status(member: Member, status: MemberStatus, *, actor) -> Member:
    """Mark a member active or inactive (an organiser's decision)."""
    if status not in (MemberStatus.active, MemberStatus.inactive):
        raise DomainError("bad_status", _("A member can only be marked active or inactive."))
    if member.status == MemberStatus.left:
        raise DomainError("already_left", _("This member has left."))
    previous = member.status
    if status == MemberStatus.active:
        member.confirm(utc_now())  # an organiser vouches for the contact (e.g. phone only)
    else:
        member.status = status
    record_audit(
        "member.status",
        actor=actor,
        object_type="member",
        object_id=member.id,
        details={"from": previous.value, "to": status.value},
    )
    db.session.flush()
    logger.info("member %s marked %s", member.id, status.value)
    return member


ORGANISATION_FIELDS = (
    "slug",
    "name",
    "description_en",
    "description_es",
    "city",
    "website",
    "is_listed",
    "sort_order",
)
MILESTONE_FIELDS = (
    "year",
    "title_en",
    "title_es",
    "text_en",
    "text_es",
    "image_path",
    "sort_order",
)


def save_organisation(
    organisation: MemberOrganisation | None, values: dict, *, actor
) -> MemberOrganisation:
    """Create (organisation None) or edit a member organisation of the directory."""
    clash = db.session.scalar(
        select(MemberOrganisation.id).where(MemberOrganisation.slug == values["slug"])
    )
    if clash is not None and (organisation is None or clash != organisation.id):
        raise DomainError("slug_taken", _("Another organisation already uses this short name."))
    is_new = organisation is None
    if is_new:
        organisation = MemberOrganisation()
        db.session.add(organisation)
    for key in ORGANISATION_FIELDS:
        setattr(organisation, key, values.get(key))
    organisation.is_example = False  # saved by an organiser: no longer demo data
    db.session.flush()
    record_audit(
        "organisation.create" if is_new else "organisation.update",
        actor=actor,
        object_type="member_organisation",
        object_id=organisation.id,
    )
    return organisation


def delete_organisation(organisation: MemberOrganisation, *, actor) -> None:
    """Remove a member organisation from the directory."""
    record_audit(
        "organisation.delete",
        actor=actor,
        object_type="member_organisation",
        object_id=organisation.id,
    )
    db.session.delete(organisation)
    db.session.flush()


def save_milestone(milestone: Milestone | None, values: dict, *, actor) -> Milestone:
    """Create (milestone None) or edit a milestone of the timeline."""
    is_new = milestone is None
    if is_new:
        milestone = Milestone()
        db.session.add(milestone)
    for key in MILESTONE_FIELDS:
        setattr(milestone, key, values.get(key))
    db.session.flush()
    record_audit(
        "milestone.create" if is_new else "milestone.update",
        actor=actor,
        object_type="milestone",
        object_id=milestone.id,
    )
    return milestone


def delete_milestone(milestone: Milestone, *, actor) -> None:
    """Remove a milestone from the timeline."""
    record_audit("milestone.delete", actor=actor, object_type="milestone", object_id=milestone.id)
    db.session.delete(milestone)
    db.session.flush()
