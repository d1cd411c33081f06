"""What the attendee pages' tests share: the pages' URL, an RSVP and audit entries read back."""

from sqlalchemy import select

from eventsvc.core.models import AuditLog
from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp


def get_rsvp(app, rsvp_id) -> Rsvp:
    """Return an RSVP and its tickets, loaded and detached from the session."""
    with app.app_context():
        rsvp = db.session.get(Rsvp, rsvp_id)
        rsvp.tickets  # noqa: B018  (loaded before the context closes)
        db.session.expunge_all()
        return rsvp


def audit(app, action):
    """Return the audit entries of an action, oldest first."""
    with app.app_context():
        return db.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        ).all()


def base(event_id):
    """Return the URL of an event's attendee list."""
    return f"/admin/events/{event_id}/attendees"
