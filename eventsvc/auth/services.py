"""Staff accounts: creating them, invitations, roles, deactivation, and checking a login.

An invited account has no password and stays inactive until the person opens the one-time link
of their invitation (:func:`invite_staff`) and sets one (:func:`accept_invitation`). Only the
sha256 of the link's token is stored (see :func:`invitation_token`); using the link clears it, so
it works once, and a new invitation replaces it.

There is always at least one active admin: demoting or deactivating an admin first locks the
rows of every active admin, so two admins removing each other at the same moment take turns and
the second is refused (:func:`_keep_an_admin`).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from eventsvc.auth.models import Role, StaffUser
from eventsvc.core.audit import record_audit
from eventsvc.core.models import AuditLog
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.events.display import babel_locale
from eventsvc.extensions import db
from eventsvc.i18n import _
from eventsvc.mail.models import OutboxMessage
from eventsvc.mail.services import RenderedMail, queue_deferred, render_mail
from eventsvc.security import link_token, token_hash

logger = logging.getLogger(__name__)

#: Shorter passwords are refused; long random ones are generated when none is given.
MIN_PASSWORD_LENGTH = 12
#: How long an invitation link works.
INVITATION_VALID = timedelta(hours=72)


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, as accounts store it."""
    return email.strip().lower()


def get_staff_by_email(email: str) -> StaffUser | None:
    """Return the account with this email, or None."""
    return db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def create_staff(
    *, email: str, name: str, role: Role, password: str | None = None
) -> tuple[StaffUser, str]:
    """Create a staff account and return it with its password (generated when none is given)."""
    email = normalise_email(email)
    if "@" not in email:
        raise DomainError("invalid_email", _("Enter a valid email address."))
    if get_staff_by_email(email) is not None:
        raise DomainError("duplicate", _("An account with this email already exists."))
    if password is None:
        password = secrets.token_urlsafe(12)
    else:
        _check_password(password)
    user = StaffUser(email=email, name=name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    logger.info("Staff account %s created with role %s", user.id, role)
    return user, password


def authenticate(email: str, password: str) -> StaffUser:
    """Return the active account matching email and password, or raise invalid_credentials."""
    user = get_staff_by_email(email)
    if user is None or not user.is_active or not user.check_password(password):
        logger.info("Failed login")
        raise DomainError("invalid_credentials", _("Wrong email or password."))
    user.last_login_dt = utc_now()
    db.session.flush()
    logger.info("Staff %s logged in", user.id)
    return user


def count_admins() -> int:
    """Return how many active admins there are."""
    return db.session.scalar(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == Role.admin, StaffUser.is_active.is_(True))
    )


# --- invitations ------------------------------------------------------------------------------


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
        )


def invitation_url(token: str) -> str:
    """Return the absolute URL of an invitation link."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/invite/{token}"


def invitation_token(user: StaffUser) -> str:
    """Return the token of user's open invitation link.

    Like an RSVP's private link, it is an HMAC under the app's secret key (of the account and
    the link's expiry, so every new invitation has a new token): the message made when the email
    leaves can carry it, while the database alone, which keeps only its hash, cannot make one.
    """
    expires = int(user.invite_expires_dt.timestamp())
    return link_token(current_app.config["SECRET_KEY"], "staff-invite", f"{user.id}:{expires}")


def _open_invitation(user: StaffUser, *, language: str, now: datetime) -> str:
    """Give user a new one-time link (any earlier one stops working) and queue it by email."""
    user.invite_expires_dt = (now + INVITATION_VALID).replace(microsecond=0)
    token = invitation_token(user)
    user.invite_token_hash = token_hash(token)
    db.session.flush()
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["LANGUAGES"][0]
    # Written when it is sent: the outbox never holds the link of an invitation still waiting.
    queue_deferred(to=user.email, kind="staff_invite", language=language)
    return token


def render_invitation_mail(message: OutboxMessage) -> RenderedMail | None:
    """Make the invitation email of the account message goes to, or None if it is not open."""
    user = get_staff_by_email(message.to_address)
    if user is None or user.has_password or not user.invitation_is_open(utc_now()):
        return None  # accepted, cancelled or expired since
    invited_by = db.session.scalar(
        select(StaffUser.name)
        .join(AuditLog, AuditLog.actor_id == StaffUser.id)
        .where(
            AuditLog.action.in_(["staff.invite", "staff.invite_resend"]),
            AuditLog.object_type == "staff",
            AuditLog.object_id == str(user.id),
        )
        .order_by(AuditLog.created_dt.desc(), AuditLog.id.desc())
        .limit(1)
    )
    language = message.language
    with force_locale(language):
        role = str(user.role.title)
    expires = format_datetime(
        user.invite_expires_dt,
        "medium",
        tzinfo=current_app.config["TIMEZONE"],
        locale=babel_locale(language),
    )
    subject, text, html = render_mail(
        "staff_invite",
        language=language,
        name=user.name,
        inviter=invited_by or current_app.config["ORG_NAME"],
        role=role,
        url=invitation_url(invitation_token(user)),
        expires=expires,
    )
    return RenderedMail(subject, text, html)


def invite_staff(
    *,
    email: str,
    name: str,
    role: Role,
    language: str,
    actor: StaffUser,
    now: datetime | None = None,
) -> tuple[StaffUser, str]:
    """Create an inactive account without a password and email it a one-time link to set one.

    Return the account and the link's token (the database keeps only its hash).
    """
    now = now or utc_now()
    email = normalise_email(email)
    if "@" not in email:
        raise DomainError("invalid_email", _("Enter a valid email address."))
    duplicate = DomainError("duplicate", _("An account with this email already exists."))
    if get_staff_by_email(email) is not None:
        raise duplicate
    user = StaffUser(email=email, name=name.strip(), role=role, is_active=False)
    try:
        with db.session.begin_nested():  # someone invited the same address a moment ago
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise duplicate from None
    token = _open_invitation(user, language=language, now=now)
    record_audit(
        "staff.invite",
        actor=actor,
        object_type="staff",
        object_id=user.id,
        details={"role": role.value},
    )
    logger.info("Staff account %s invited with role %s", user.id, role)
    return user, token


def resend_invitation(
    user: StaffUser, *, language: str, actor: StaffUser, now: datetime | None = None
) -> str:
    """Send a new invitation link to someone who has not set a password yet; return its token."""
    now = now or utc_now()
    if user.has_password:
        raise DomainError(
            "already_accepted",
            _("%(name)s has already set a password and can log in.", name=user.name),
        )
    token = _open_invitation(user, language=language, now=now)
    record_audit("staff.invite_resend", actor=actor, object_type="staff", object_id=user.id)
    logger.info("Invitation of staff account %s sent again", user.id)
    return token


def get_invitation(token: str, *, now: datetime | None = None) -> StaffUser:
    """Return the account an open invitation link is for, or raise invalid_link / expired_link."""
    now = now or utc_now()
    user = None
    if token and len(token) <= 100:
        user = db.session.scalar(
            select(StaffUser).where(StaffUser.invite_token_hash == token_hash(token))
        )
    if user is None:
        raise DomainError(
            "invalid_link",
            _(
                "This invitation link does not work. It may have been used already, or a newer "
                "invitation replaced it. Ask an admin to send you a new one."
            ),
        )
    if not user.invitation_is_open(now):
        raise DomainError(
            "expired_link",
            _("This invitation link has expired. Ask an admin to send you a new one."),
        )
    return user


def accept_invitation(token: str, password: str, *, now: datetime | None = None) -> StaffUser:
    """Set the password of the invited account, activate it and close the link (it works once)."""
    now = now or utc_now()
    user = get_invitation(token, now=now)
    _check_password(password)
    # Conditional on the link still being open: of two submits at once, one wins.
    result = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            StaffUser.invite_token_hash == token_hash(token),
            StaffUser.invite_expires_dt > now,
        )
        .values(
            password_hash=StaffUser.hash_password(password),
            is_active=True,
            invite_token_hash=None,
            invite_expires_dt=None,
            last_login_dt=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError("invalid_link", _("This invitation link has already been used."))
    db.session.refresh(user)
    record_audit("staff.accept_invite", actor=user, object_type="staff", object_id=user.id)
    logger.info("Staff account %s accepted its invitation", user.id)
    return user


# --- roles and deactivation -------------------------------------------------------------------


def _keep_an_admin(user: StaffUser) -> None:
    """Refuse to take away the admin rights of the last active admin (race-safe)."""
    admins = select(StaffUser.id).where(StaffUser.role == Role.admin, StaffUser.is_active.is_(True))
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: the first write of a transaction takes the database's write
        # lock, which every other writer waits for. This write changes nothing.
        db.session.execute(
            update(StaffUser)
            .where(StaffUser.role == Role.admin, StaffUser.is_active.is_(True))
            .values(role=StaffUser.role)
            .execution_options(synchronize_session=False)
        )
    else:
        # Locks every active admin's row; a concurrent change to one of them waits, and the
        # rows are checked again after it (READ COMMITTED), so a demoted admin drops out.
        admins = admins.with_for_update()
    remaining = set(db.session.scalars(admins).all()) - {user.id}
    if not remaining:
        raise DomainError(
            "last_admin",
            _(
                "%(name)s is the last active admin. Make someone else an admin first, "
                "so that somebody can still manage staff.",
                name=user.name,
            ),
        )


def change_staff_role(user: StaffUser, role: Role, *, actor: StaffUser) -> StaffUser:
    """Give user another role; the last active admin keeps theirs."""
    if role == user.role:
        return user
    if user.role == Role.admin and user.is_active:
        _keep_an_admin(user)
        db.session.refresh(user)
    before = user.role
    user.role = role
    db.session.flush()
    record_audit(
        "staff.role",
        actor=actor,
        object_type="staff",
        object_id=user.id,
        details={"from": before.value, "to": role.value},
    )
    logger.info("Staff account %s role %s -> %s", user.id, before, role)
    return user


def deactivate_staff(user: StaffUser, *, actor: StaffUser) -> StaffUser:
    """Lock user out (at their next request) and close any open invitation."""
    if user.id == actor.id:
        raise DomainError(
            "self", _("You cannot deactivate your own account. Ask another admin to do it.")
        )
    if not user.is_active and user.invite_token_hash is None:
        return user
    if user.role == Role.admin and user.is_active:
        _keep_an_admin(user)
    was_invited = not user.is_active
    user.is_active = False
    user.invite_token_hash = None
    user.invite_expires_dt = None
    db.session.flush()
    action = "staff.invite_cancel" if was_invited else "staff.deactivate"
    record_audit(action, actor=actor, object_type="staff", object_id=user.id)
    logger.info("Staff account %s deactivated", user.id)
    return user


def reactivate_staff(user: StaffUser, *, actor: StaffUser) -> StaffUser:
    """Let a deactivated account log in again."""
    if user.is_active:
        return user
    if not user.has_password:
        raise DomainError(
            "no_password",
            _("%(name)s has not set a password yet: send the invitation again.", name=user.name),
        )
    user.is_active = True
    db.session.flush()
    record_audit("staff.reactivate", actor=actor, object_type="staff", object_id=user.id)
    logger.info("Staff account %s reactivated", user.id)
    return user


def list_staff() -> list[StaffUser]:
    """Return every staff account: the active ones first, then by name."""
    return list(
        db.session.scalars(
            select(StaffUser).order_by(StaffUser.is_active.desc(), func.lower(StaffUser.name))
        )
    )
