"""Honorees of the memorial page and the tributes people leave for them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.models import BilingualMixin
from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.extensions import db
from eventsvc.i18n import _l

if TYPE_CHECKING:
    from eventsvc.auth.models import StaffUser


class TributeStatus(TitledEnum):
    """Where a tribute is in moderation; only approved ones are public."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    __titles__ = {
        "pending": _l("Awaiting review"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
    }


class Honoree(BilingualMixin, db.Model):
    """An advocate the coalition remembers."""

    __tablename__ = "honorees"
    __table_args__ = (
        CheckConstraint("candle_count >= 0", name="candle_count_not_negative"),
        CheckConstraint(
            "born_year IS NULL OR died_year IS NULL OR died_year >= born_year",
            name="years_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    born_year: Mapped[int | None]
    died_year: Mapped[int | None]
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_es: Mapped[str | None] = mapped_column(Text)
    story_en: Mapped[str] = mapped_column(Text, default="")
    story_es: Mapped[str | None] = mapped_column(Text)
    #: Path under static/ (or the uploads folder), e.g. "img/memorial/ana.jpg".
    portrait_path: Mapped[str | None] = mapped_column(String(300))
    #: On the founders' honour roll.
    is_founder: Mapped[bool] = mapped_column(default=False)
    is_visible: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    #: Candles lit by visitors; incremented with an UPDATE … SET candle_count = candle_count + 1.
    candle_count: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    tributes: Mapped[list[Tribute]] = relationship(
        back_populates="honoree",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Tribute.submitted_dt",
    )

    def summary(self, locale: object) -> str:
        """Return the summary in locale's language, else English."""
        return self.localised("summary", locale)

    def story(self, locale: object) -> str:
        """Return the story in locale's language, else English."""
        return self.localised("story", locale)

    @property
    def years(self) -> str:
        """Return the life span as shown, e.g. "1948–2019", "–2019" or ""."""
        if self.born_year is None and self.died_year is None:
            return ""
        born = "" if self.born_year is None else str(self.born_year)
        died = "" if self.died_year is None else str(self.died_year)
        return f"{born}–{died}"

    def __repr__(self) -> str:
        return f"<Honoree {self.id} {self.slug}>"


class Tribute(db.Model):
    """A message left for an honoree; public once an organiser approves it."""

    __tablename__ = "tributes"
    __table_args__ = (Index("ix_tributes_honoree_id_status", "honoree_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    honoree_id: Mapped[int] = mapped_column(ForeignKey("honorees.id", ondelete="CASCADE"))
    author_name: Mapped[str | None] = mapped_column(String(120))
    #: Show the tribute without the author's name (organisers still see it).
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    #: How the author knew the honoree, e.g. "friend", "compañera de lucha".
    relation: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(Text)
    photo_path: Mapped[str | None] = mapped_column(String(300))
    #: Email or phone for organisers' questions; never shown publicly.
    contact: Mapped[str | None] = mapped_column(String(254))
    #: Language the tribute was written in ("en" or "es").
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[TributeStatus] = mapped_column(
        enum_type(TributeStatus),
        default=TributeStatus.pending,
    )
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    moderated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    #: Organisers' private note on a decision, e.g. why a tribute was rejected.
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    #: sha256 hex of the normalised honoree + message, to spot duplicate submissions.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: The author's own deletion link (mailed to `contact`): random salt, sha256 of the token.
    delete_token_salt: Mapped[str | None] = mapped_column(String(32))
    delete_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    honoree: Mapped[Honoree] = relationship(back_populates="tributes")
    moderated_by: Mapped[StaffUser | None] = relationship()

    @property
    def is_approved(self) -> bool:
        """Return whether the tribute is public."""
        return self.status == TributeStatus.approved

    @property
    def display_name(self) -> str | None:
        """Return the author's name as shown publicly; None when anonymous or not given."""
        return None if self.is_anonymous else (self.author_name or None)

    def approve(self, by: StaffUser | None, now: datetime) -> None:
        """Publish the tribute on the honoree's page."""
        self._moderate(TributeStatus.approved, by, now)

    def reject(self, by: StaffUser | None, now: datetime, note: str = "") -> None:
        """Keep the tribute off the page."""
        self._moderate(TributeStatus.rejected, by, now)
        if note:
            self.moderation_note = note

    def _moderate(self, status: TributeStatus, by: StaffUser | None, now: datetime) -> None:
        self.status = status
        self.moderated_dt = now
        self.moderated_by = by

    def __repr__(self) -> str:
        return f"<Tribute {self.id} honoree={self.honoree_id} {self.status}>"
