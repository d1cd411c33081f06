"""The back office's blueprint and its one access gate; the areas add their pages to it."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from eventsvc.auth.models import Role
from eventsvc.core.audit import record_audit
from eventsvc.events.models import Event
from eventsvc.extensions import db, login_manager
from eventsvc.i18n import _l

bp = Blueprint("admin", __name__, url_prefix="/admin")
logger = logging.getLogger(__name__)

#: What each page needs; every other back-office page needs an organiser.
REQUIRED_ROLE = {
    "admin.dashboard": Role.volunteer,
    # Staff and the audit log: admins only.
    "admin.staff": Role.admin,
    "admin.staff_invite": Role.admin,
    "admin.staff_edit": Role.admin,
    "admin.audit": Role.admin,
}

#: The back office's sections (site menu) and an event's tabs: (endpoint, label).
SECTIONS = [
    ("admin.dashboard", _l("Back office")),
    ("admin.events", _l("Events")),
    ("admin.members", _l("Members")),
    ("admin.memorial_queue", _l("Memorial")),
    ("admin.outbox", _l("Outbox")),
    ("admin.staff", _l("Staff")),
    ("admin.audit", _l("Audit log")),
]
EVENT_TABS = [
    ("admin.event", _l("Overview")),
    ("admin.attendees", _l("Attendees")),
    ("admin.doors", _l("Door links")),
    ("admin.messages", _l("Messages")),
]


def event_or_404(event_id: int) -> Event:
    """Return the event a back-office URL names, or answer 404."""
    return db.session.get(Event, event_id) or abort(404)


def allowed(endpoint: str) -> bool:
    """Return whether the current user may open endpoint (and it exists), for menus."""
    return (
        endpoint in current_app.view_functions
        and current_user.is_authenticated
        and current_user.has_role(REQUIRED_ROLE.get(endpoint, Role.organiser))
    )


@bp.before_request
def require_staff():
    """Let in logged-in, active staff with the role the page needs."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(REQUIRED_ROLE.get(request.endpoint, Role.organiser)):
        abort(403)
    return None


#: Export endpoints → what they export: a refused export is audited like an allowed one.
EXPORTS = {
    "admin.export_attendees": "attendees",
    "admin.export_checkins": "checkins",
    "admin.export_members_csv": "members",
}


@bp.after_request
def audit_refused_export(response):
    """Write "export.refused" when a logged-in user is refused an export (403) or its event (404).

    Who, which export, which event and why; never the request's filters. A visitor who is not
    logged in is only sent to the login page: nobody to name, and nothing was shown.
    """
    kind = EXPORTS.get(request.endpoint or "")
    if kind and response.status_code in (403, 404) and current_user.is_authenticated:
        event_id = (request.view_args or {}).get("event_id")
        record_audit(
            "export.refused",
            actor=current_user,
            object_type="event" if event_id is not None else "member",
            object_id=event_id,
            details={
                "export": kind,
                "event_id": event_id,
                "reason": "forbidden" if response.status_code == 403 else "not_found",
                "role": current_user.role.value,
            },
        )
        db.session.commit()
        logger.info(
            "export %s refused to staff %s (%s)", kind, current_user.id, response.status_code
        )
    return response


@bp.after_request
def private(response):
    """Keep back-office pages out of shared caches."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@bp.app_template_global()
def admin_links(kind: str = "sections") -> list[tuple[str, str]]:
    """Return the back-office sections (or an event's tabs) the current user may open."""
    links = EVENT_TABS if kind == "event" else SECTIONS
    return [(endpoint, label) for endpoint, label in links if allowed(endpoint)]
