"""The audit log model (no services involved)."""

from sqlalchemy import select

from eventsvc.core.models import AuditLog
from eventsvc.extensions import db


def test_audit_log_details_round_trip(model_app):
    db.session.add(AuditLog(action="export.attendees", object_type="event", details={"rows": 3}))
    db.session.commit()
    db.session.expire_all()
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.details == {"rows": 3}
    assert entry.actor_label == ""
