"""The outbox: every message the service sends, queued and then delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.extensions import db
from eventsvc.i18n import _l


class MailStatus(TitledEnum):
    """Whether a message waits, went out, was given up on, or was discarded by an organiser."""

    pending = "pending"
    sent = "sent"
    failed = "failed"
    discarded = "discarded"

    __titles__ = {
        "pending": _l("Waiting"),
        "sent": _l("Sent"),
        "failed": _l("Failed"),
        "discarded": _l("Discarded"),
    }

    @property
    def is_correctable(self) -> bool:
        """Return whether an organiser may still discard or correct a message in this state."""
        return self in (MailStatus.pending, MailStatus.failed)


class OutboxMessage(db.Model):
    """One email, rendered and stored in the same transaction as the change that caused it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_dt", "status", "next_attempt_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is, e.g. "rsvp_confirmed", "reminder", "member_confirm".
    kind: Mapped[str] = mapped_column(String(40), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: [{"filename": "invite.ics", "content_type": "text/calendar", "data_b64": "…"}]
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: Language the message was rendered in.
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[MailStatus] = mapped_column(
        enum_type(MailStatus),
        default=MailStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Not sent before this time (back-off after a failure, or a scheduled reminder).
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rsvp_id: Mapped[int | None] = mapped_column(
        ForeignKey("rsvps.id", ondelete="SET NULL"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    #: A message about a tribute (to its author) goes when the tribute does.
    tribute_id: Mapped[int | None] = mapped_column(
        ForeignKey("tributes.id", ondelete="CASCADE"), index=True
    )

    def mark_sent(self, now: datetime) -> None:
        """Record a successful delivery."""
        self.status = MailStatus.sent
        self.attempts = (self.attempts or 0) + 1
        self.sent_dt = now
        self.last_error = None

    def mark_failed(self, error: str, *, retry_dt: datetime | None) -> None:
        """Record a failed attempt: try again at retry_dt, or give up when it is None."""
        self.attempts = (self.attempts or 0) + 1
        self.last_error = error[:2000]
        if retry_dt is None:
            self.status = MailStatus.failed
        else:
            self.next_attempt_dt = retry_dt

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
