"""Request-level input checks: what no database can store is refused before any view runs.

PostgreSQL rejects a NUL character in text, and no driver can encode a lone surrogate; Werkzeug
decodes invalid UTF-8 in paths and query strings with replacement characters, and in url-encoded
forms as percent-escaped text (text any database stores), but a percent-encoded ``%00`` reaches
the views intact. One ``before_request`` answers a path holding such characters with 404 (no
slug, token or id holds them), and a query string or form field with 400, in the visitor's
language (JSON under /api/); past MAX_FORM_PARTS fields or MAX_FORM_MEMORY_SIZE bytes, 413.
JSON bodies are validated by the API that reads them (``eventsvc.checkin``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import Flask, current_app, request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from eventsvc.errors import DomainError
from eventsvc.i18n import _

#: Most fields a form may send: 413 past it (Werkzeug counts multipart bodies only; the check
#: below counts url-encoded ones too). The largest real form, the event editor, has under fifty.
MAX_FORM_PARTS = 300
#: Largest request body: a memorial photo (MEMORIAL_PHOTO_MAX_BYTES) and its form, with room.
MAX_CONTENT_LENGTH = 8 * 1024 * 1024
#: Most bytes of a multipart form's fields outside files (Werkzeug answers 413 past it): the longest
#: text field holds 10,000 characters, up to 4 bytes each, and a form has a few of them.
MAX_FORM_MEMORY_SIZE = 200_000

#: Blueprints that answer strange input themselves with their own documented pages: the door
#: API's JSON errors and the scanner's "not valid" page, the private RSVP links' 404 with the
#: "send me my link" form. Their own tests (tests/checkin, tests/rsvps) and tests/fuzz hold them
#: to never answering 5xx.
CHECK_THEIR_OWN_INPUT = frozenset({"api", "checkin", "rsvps"})

#: Characters no database column can hold: NUL, and UTF-16 surrogates that pair with nothing.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BadInput(DomainError):
    """The request holds characters that cannot be stored (NUL, lone surrogates)."""

    status = 400


def unstorable(values: Iterable[str]) -> bool:
    """Return whether any of values holds a character that cannot be stored."""
    return any(UNSTORABLE.search(value) for value in values if value)


def _has_form() -> bool:
    return request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.is_json


def _check_form_size() -> None:
    """Answer 413 past MAX_FORM_PARTS fields, url-encoded forms included."""
    if not _has_form():
        return
    parts = sum(len(values) for _key, values in request.form.lists())
    if parts + len(request.files) > current_app.config["MAX_FORM_PARTS"]:
        raise RequestEntityTooLarge()


def _request_texts() -> Iterable[str]:
    for key, value in request.args.items(multi=True):
        yield key
        yield value
    if _has_form():
        for key, value in request.form.items(multi=True):
            yield key
            yield value
        for key, upload in request.files.items(multi=True):
            yield key
            yield upload.filename or ""


def check_request_input() -> None:
    """Refuse too many form fields, and NUL or lone surrogates in a path, query string or form.

    The blueprints in CHECK_THEIR_OWN_INPUT get the field count only. A bad path names nothing
    that exists (no slug, token or id holds those characters): 404, as for any unknown link.
    A bad query string or form: 400, saying why.
    """
    _check_form_size()
    if request.blueprint in CHECK_THEIR_OWN_INPUT:
        return
    if unstorable([request.path]):
        raise NotFound()
    if unstorable(_request_texts()):
        raise BadInput(
            "bad_request",
            _("Part of what was sent has characters we cannot read. Remove them and try again."),
        )


def register_input_checks(app: Flask) -> None:
    """Bound form sizes (unless configured) and check every request's text before its view."""
    if app.config.get("MAX_FORM_PARTS") == 1000:  # Flask's default: tighten it
        app.config["MAX_FORM_PARTS"] = MAX_FORM_PARTS
    if app.config.get("MAX_FORM_MEMORY_SIZE") == 500_000:  # Flask's default
        app.config["MAX_FORM_MEMORY_SIZE"] = MAX_FORM_MEMORY_SIZE
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        photo = app.config.get("MEMORIAL_PHOTO_MAX_BYTES", 0)
        app.config["MAX_CONTENT_LENGTH"] = max(MAX_CONTENT_LENGTH, photo + 1024 * 1024)
    app.before_request(check_request_input)
