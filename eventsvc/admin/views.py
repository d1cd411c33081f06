"""The organisers' back office; one access gate for the whole blueprint."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from eventsvc.auth.models import Role
from eventsvc.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_staff():
    """Let only logged-in, active staff in; volunteers only see their door (later issues)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.has_role(Role.volunteer):
        abort(403)
    return None


@bp.get("/")
def dashboard():
    """Show the back office's start page."""
    return render_template("admin/dashboard.html")
