"""Members, the areas they can help in, member organisations and the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventsvc.core.models import BilingualMixin
from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.extensions import db
from eventsvc.i18n import _l


class MemberKind(TitledEnum):
    """Whether a person or an organisation joins."""

    individual = "individual"
    organisation = "organisation"

    __titles__ = {
        "individual": _l("Individual"),
        "organisation": _l("Organisation"),
    }


class MemberStatus(TitledEnum):
    """Where a membership is: awaiting email confirmation, active, paused or ended."""

    pending = "pending"
    active = "active"
    inactive = "inactive"
    left = "left"

    __titles__ = {
        "pending": _l("Awaiting confirmation"),
        "active": _l("Active"),
        "inactive": _l("Inactive"),
        "left": _l("Left"),
    }


class Member(db.Model):
    """A person or an organisation that joined the coalition through /join."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL OR status = 'left'", name="reachable"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MemberKind] = mapped_column(
        enum_type(MemberKind),
        default=MemberKind.individual,
    )
    #: The person's name (for an organisation: the name of the person signing up).
    name: Mapped[str] = mapped_column(String(160))
    #: Stored lower-case.
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    #: E.164, e.g. "+19093614588".
    phone: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(120), default="")
    #: Languages the member speaks, as they wrote them, e.g. "Spanish, Zapoteco".
    languages: Mapped[str] = mapped_column(String(200), default="")
    #: Keys of the HelpArea rows ticked, e.g. ["accompaniment", "translation"].
    help_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_person: Mapped[str | None] = mapped_column(String(160))
    #: Language of messages to this member ("en" or "es").
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[MemberStatus] = mapped_column(
        enum_type(MemberStatus),
        default=MemberStatus.pending,
    )
    #: sha256 hex of the secret in the confirmation link; cleared once confirmed.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: sha256 hex of the secret in every message's unsubscribe link.
    unsubscribe_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    confirmed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        """Return whether the member is active."""
        return self.status == MemberStatus.active

    @property
    def display_name(self) -> str:
        """Return the organisation's name for organisations, the person's otherwise."""
        if self.kind == MemberKind.organisation and self.organisation_name:
            return self.organisation_name
        return self.name

    def confirm(self, now: datetime) -> None:
        """Activate the membership once the email link is followed."""
        self.status = MemberStatus.active
        self.confirmed_dt = self.confirmed_dt or now
        self.confirm_token_hash = None

    def leave(self, now: datetime) -> None:
        """End the membership (unsubscribe); the service may purge the contact data too."""
        self.status = MemberStatus.left
        self.left_dt = now

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.kind} {self.status}>"


class HelpArea(BilingualMixin, db.Model):
    """A way members can help, offered as a checkbox on the join form."""

    __tablename__ = "help_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identifier stored in Member.help_areas, e.g. "translation".
    key: Mapped[str] = mapped_column(String(40), unique=True)
    label_en: Mapped[str] = mapped_column(String(120))
    label_es: Mapped[str | None] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    #: Inactive areas are no longer offered but stay readable on existing members.
    is_active: Mapped[bool] = mapped_column(default=True)

    def label(self, locale: object) -> str:
        """Return the label in locale's language, else English."""
        return self.localised("label", locale)

    def __repr__(self) -> str:
        return f"<HelpArea {self.key}>"


class MemberOrganisation(BilingualMixin, db.Model):
    """An organisation listed on /members."""

    __tablename__ = "member_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str | None] = mapped_column(String(300))
    is_listed: Mapped[bool] = mapped_column(default=True)
    #: Demo data: shown with an "example" mark so nobody takes it for a real member.
    is_example: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    def description(self, locale: object) -> str:
        """Return the description in locale's language, else English."""
        return self.localised("description", locale)

    def __repr__(self) -> str:
        return f"<MemberOrganisation {self.id} {self.slug}>"


class Milestone(BilingualMixin, db.Model):
    """A moment of the coalition's history on the /timeline page."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200))
    text_en: Mapped[str] = mapped_column(Text, default="")
    text_es: Mapped[str | None] = mapped_column(Text)
    #: Path under static/, e.g. "img/timeline/2008.jpg".
    image_path: Mapped[str | None] = mapped_column(String(300))
    #: Order within a year.
    sort_order: Mapped[int] = mapped_column(default=0)

    def title(self, locale: object) -> str:
        """Return the title in locale's language, else English."""
        return self.localised("title", locale)

    def text(self, locale: object) -> str:
        """Return the text in locale's language, else English."""
        return self.localised("text", locale)

    def __repr__(self) -> str:
        return f"<Milestone {self.year} {self.title_en!r}>"
