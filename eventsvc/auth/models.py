"""Staff accounts: admins, organisers and door volunteers."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.extensions import db
from eventsvc.i18n import _l


class Role(TitledEnum):
    """What a staff member may do; each role includes the ones below it."""

    volunteer = "volunteer"
    organiser = "organiser"
    admin = "admin"

    __titles__ = {
        "volunteer": _l("Volunteer"),
        "organiser": _l("Organiser"),
        "admin": _l("Admin"),
    }

    @property
    def rank(self) -> int:
        """Return how much this role may do, for comparisons."""
        return list(Role).index(self)


class StaffUser(UserMixin, db.Model):
    """A person who logs in to the back office or a door."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case; the login name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sha256 hex of the one-time secret in the invitation link (/invite/<token>); None when no
    #: invitation is open. The account stays inactive until the link is used.
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @staticmethod
    def hash_password(password: str) -> str:
        """Return a salted scrypt hash of password, as password_hash stores it."""
        return generate_password_hash(password, method="scrypt")

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of password."""
        self.password_hash = self.hash_password(password)

    def check_password(self, password: str) -> bool:
        """Return whether password matches the stored hash."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        """Return whether a password was set (the invitation was accepted, or none was needed)."""
        return bool(self.password_hash)

    def invitation_is_open(self, now: datetime) -> bool:
        """Return whether an invitation link was sent, not used yet, and has not expired."""
        return (
            self.invite_token_hash is not None
            and self.invite_expires_dt is not None
            and self.invite_expires_dt > now
        )

    def has_role(self, role: Role) -> bool:
        """Return whether this account may act as role (admins may do what organisers may…)."""
        return self.is_active and self.role.rank >= role.rank

    def __repr__(self) -> str:
        return f"<StaffUser {self.id} {self.role}>"
