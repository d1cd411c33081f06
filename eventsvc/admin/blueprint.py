"""The back office's blueprint and its one access gate; the areas add their pages to it."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from eventsvc.auth.models import Role
from eventsvc.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: What each page needs; every other back-office page needs an organiser.
REQUIRED_ROLE = {"admin.dashboard": Role.volunteer}


@bp.before_request
def require_staff():
    """Let in logged-in, active staff with the role the page needs."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(REQUIRED_ROLE.get(request.endpoint, Role.organiser)):
        abort(403)
    return None


@bp.after_request
def private(response):
    """Keep back-office pages out of shared caches."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response
