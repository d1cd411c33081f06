"""Domain errors with machine-readable codes, and the app's error pages."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eventsvc.extensions import db
from eventsvc.i18n import _

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


def register_error_handlers(app: Flask) -> None:
    """Render 403, 404, 405, 429, 500 and CSRF failures as pages in the visitor's language."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error_page(
            400,
            _("This form has expired"),
            _("For your security the form timed out. Go back, reload the page and try again."),
            "csrf_failed",
        )

    @app.errorhandler(403)
    def forbidden(error):
        return _error_page(
            403, _("Not allowed"), _("You do not have permission to see this page."), "forbidden"
        )

    @app.errorhandler(404)
    def not_found(error):
        return _error_page(
            404,
            _("Page not found"),
            _("We could not find that page. It may have moved or the link may be incomplete."),
            "not_found",
        )

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _error_page(
            405, _("Not allowed"), _("This page cannot be used that way."), "method_not_allowed"
        )

    @app.errorhandler(429)
    def rate_limited(error):
        return _error_page(
            429,
            _("Too many attempts"),
            _("Please wait a few minutes before trying again."),
            "rate_limited",
        )

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _error_page(
            500,
            _("Something went wrong"),
            _("Please try again in a moment. If it keeps happening, let the organisers know."),
            "server_error",
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if _wants_json():
            return jsonify(error=error.code, message=error.message), error.status
        return _error_page(error.status, _("That did not work"), error.message, error.code)

    @app.errorhandler(HTTPException)
    def other_http_error(error: HTTPException):
        return _error_page(
            error.code or 500,
            _("That did not work"),
            _("The request could not be completed."),
            "http_error",
        )
