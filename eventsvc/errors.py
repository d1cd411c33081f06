"""Domain errors with machine-readable codes, and the app's error pages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eventsvc.extensions import db
from eventsvc.i18n import _, _l

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain said no; ``code`` is stable and machine-readable."""

    status = 400

    def __init__(self, code: str, message: str | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class NotFound(DomainError):
    """The thing asked for does not exist (or must look as if it did not)."""

    status = 404


class Forbidden(DomainError):
    """The actor may not do this."""

    status = 403


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str, code: str):
    if _wants_json():
        return jsonify(error=code, message=message), status
    return (
        render_template("errors/error.html", status=status, title=title, message=message),
        status,
    )


#: Status → (title, message, machine-readable code) of the error pages.
HTTP_ERRORS = {
    400: (
        _l("That did not work"),
        _l("We could not read what was sent. Go back, check the form and try again."),
        "bad_request",
    ),
    403: (_l("Not allowed"), _l("You do not have permission to see this page."), "forbidden"),
    404: (
        _l("Page not found"),
        _l("We could not find that page. It may have moved or the link may be incomplete."),
        "not_found",
    ),
    405: (_l("Not allowed"), _l("This page cannot be used that way."), "method_not_allowed"),
    413: (
        _l("Too much to send"),
        _l("The form was too large or had too many fields. Shorten it and try again."),
        "too_large",
    ),
    429: (
        _l("Too many attempts"),
        _l("Please wait a few minutes before trying again."),
        "rate_limited",
    ),
    500: (
        _l("Something went wrong"),
        _l("Please try again in a moment. If it keeps happening, let the organisers know."),
        "server_error",
    ),
}


def register_error_handlers(app: Flask) -> None:
    """Render 403, 404, 405, 429, 500 and CSRF failures as pages in the visitor's language."""

    def http_error(error: HTTPException):
        db.session.rollback()  # nothing half-done survives an error
        title, message, code = HTTP_ERRORS.get(
            error.code,
            (_("That did not work"), _("The request could not be completed."), "http_error"),
        )
        return _error_page(error.code or 500, str(title), str(message), code)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        db.session.rollback()
        return _error_page(
            400,
            _("This form has expired"),
            _("For your security the form timed out. Go back, reload the page and try again."),
            "csrf_failed",
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return _error_page(error.status, _("That did not work"), error.message, error.code)

    for status in HTTP_ERRORS:
        app.register_error_handler(status, http_error)
    app.register_error_handler(HTTPException, http_error)
