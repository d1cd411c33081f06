"""The HTTP layer's shared helpers: security headers, private pages, redirects, calendars.

Views use these; domain code never does. ``app.py`` only assembles the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    request,
)
from flask_babel import get_locale

from eventsvc.db import utc_now

if TYPE_CHECKING:
    from eventsvc.events.feeds import Feed

#: Nothing loads from another host; the camera is allowed for the door scanner only on our origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    """Send the same security and privacy headers with every response."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Private links carry secrets in their path: never leak them to another site.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(), geolocation=(), interest-cohort=()"
        )
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def safe_next_url(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def keep_private(response):
    """Keep a page with a private link's secrets out of caches and search engines."""
    # A view that chose its own caching (the personal feed: private, polled) keeps it.
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


#: Seconds a client or a shared cache may reuse a feed before asking again (cheaply: a 304).
FEED_MAX_AGE = 300


def feed_language(default: str | None = None) -> str:
    """Return the language a feed asks for with ?lang=, else default, else the visitor's."""
    asked = request.args.get("lang")
    if asked in current_app.config["LANGUAGES"]:
        return asked
    return default or str(get_locale())


def calendar_response(
    feed: Feed, *, private: bool = False, filename: str | None = None, by_visitor: bool = True
) -> Response:
    """Answer with feed as text/calendar, with validators; 304 when the client's copy is current.

    Werkzeug compares If-None-Match (strong ETag) first and If-Modified-Since only without it;
    a malformed header parses as absent, so the full feed is sent. by_visitor: the language
    came from the visitor (no ?lang=), so shared caches must keep one copy per language.
    """
    response = current_app.response_class(feed.body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.set_etag(feed.etag)
    # HTTP dates have whole seconds: a second change within the second of the last one would look
    # unmodified to a client that fetched in between. So, as Apache does, a feed changed within
    # the current second has no Last-Modified yet (its ETag still validates it).
    last_modified = feed.last_modified
    if last_modified is not None and last_modified < utc_now().replace(microsecond=0):
        response.last_modified = last_modified
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if by_visitor and "lang" not in request.args:
        response.vary.update(("Accept-Language", "Cookie"))
    return response.make_conditional(request)
