"""Staff accounts: creating them and checking a login."""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import func, select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.db import utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _

logger = logging.getLogger(__name__)

#: Shorter passwords are refused; long random ones are generated when none is given.
MIN_PASSWORD_LENGTH = 12


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
    elif len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
        )
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
