"""The audit log, and the bilingual-text helper every domain's models share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from eventsvc.db import UTCDateTime, utc_now
from eventsvc.extensions import db


class BilingualMixin:
    """Give a model with ``<field>_en`` / ``<field>_es`` columns a ``localised()`` reader."""

    def localised(self, field: str, locale: object) -> str:
        """Return field in locale's language, falling back to English when it is empty."""
        language = str(locale or "en")[:2].lower()
        value = getattr(self, f"{field}_{language}", None)
        return value or getattr(self, f"{field}_en") or ""


class AuditLog(db.Model):
    """One entry of the audit trail: who did what to which object, and when."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    #: Who acted when there is no staff account, or as shown later: "cli", "door:Main entrance".
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    #: Dotted verb, e.g. "event.update", "export.attendees", "rsvp.delete".
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: Counts, ids and changed field names; never a person's email, phone or name.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditLog {self.id} {self.action} {self.object_type}:{self.object_id}>"
