"""Site-wide use cases: the health check and the audit log."""

from __future__ import annotations

import re

from sqlalchemy import text

from eventsvc.core.models import AuditLog
from eventsvc.extensions import db


def tel_uri(number: str, default_country_code: str = "1") -> str:
    """Return a tel: URI in E.164 for a number written the local way ("909-361-4588")."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 10:
        digits = default_country_code + digits
    return f"tel:+{digits}"


def database_is_up() -> bool:
    """Return whether a round trip to the database succeeds."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any driver error means "down" to a health check
        db.session.rollback()
        return False
    return True


def record_audit(
    action: str,
    *,
    actor=None,
    actor_label: str = "",
    object_type: str | None = None,
    object_id: object = None,
    details: dict | None = None,
) -> AuditLog:
    """Write one audit-log entry (never a person's name, email or phone in details)."""
    entry = AuditLog(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    db.session.add(entry)
    return entry
