"""Login and logout of staff, and the page of an invitation link."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse as parse_limit

from eventsvc.auth.forms import AcceptInviteForm, LoginForm
from eventsvc.auth.models import StaffUser
from eventsvc.auth.services import (
    MIN_PASSWORD_LENGTH,
    accept_invitation,
    authenticate,
    get_invitation,
    normalise_email,
)
from eventsvc.errors import DomainError
from eventsvc.extensions import db, limiter, login_manager
from eventsvc.i18n import _, _l
from eventsvc.logs import hashed
from eventsvc.web import keep_private, safe_next_url

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
# "basic", not "strong": a volunteer whose phone moves from venue wifi to mobile data stays in.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """Return the logged-in account, or None when it no longer exists or is deactivated."""
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


@bp.before_app_request
def end_stale_session() -> None:
    """Forget the login of an account deactivated since: reactivation must not revive it."""
    if "_user_id" in session and not current_user.is_authenticated:
        logout_user()


def _login_failed(response) -> bool:
    # Only failed attempts count towards the throttle: a successful login redirects.
    return request.method == "POST" and response.status_code != 303


def _throttle() -> str:
    return current_app.config["LOGIN_THROTTLE"]


def _login_key() -> str:
    # Per account, but hashed: Flask-Limiter logs the key of a breach, and Redis stores it.
    email = normalise_email(request.form.get("email", ""))
    return "login:" + hashed(email, key=current_app.config["SECRET_KEY"])


def _throttle_per_address() -> str:
    # A shared address (a venue's wifi, an office) gets four accounts' worth of attempts.
    item = parse_limit(_throttle())
    return f"{item.amount * 4} per {item.multiples} {item.GRANULARITY.name}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _throttle,
    key_func=_login_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(_throttle_per_address, methods=["POST"], deduct_when=_login_failed)
def login():
    """Show the login form and log a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except DomainError as e:
            db.session.rollback()
            form.password.errors.append(e.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            target = safe_next_url(form.next.data) or url_for("admin.dashboard")
            return redirect(target, code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Log out and go back to the home page."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("site.home"), code=303)


#: Invitation links that do not work: never was, or was used (404); expired (410).
_LINK_STATUS = {"invalid_link": 404, "expired_link": 410}


def _link_refused(error: DomainError):
    page = render_template("auth/invite_invalid.html", message=error.message)
    return keep_private(make_response(page, _LINK_STATUS.get(error.code, 404)))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """Let an invited staff member choose a password, then log them in; the link works once."""
    try:
        user = get_invitation(token)
    except DomainError as e:
        return _link_refused(e)
    form = AcceptInviteForm()
    if form.validate_on_submit():
        try:
            user = accept_invitation(token, form.password.data)
        except DomainError as e:
            db.session.rollback()
            if e.code in _LINK_STATUS:
                return _link_refused(e)
            form.password.errors.append(e.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is set. Welcome, %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.dashboard"), code=303)
    page = render_template(
        "auth/accept_invite.html", form=form, person=user, min_length=MIN_PASSWORD_LENGTH
    )
    return keep_private(make_response(page, 400 if form.is_submitted() else 200))
