"""Site-wide helpers: the hotline's tel: link and the health check."""

from __future__ import annotations

import re

from sqlalchemy import text

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
