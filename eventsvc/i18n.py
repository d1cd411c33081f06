"""Locale selection and the translation helpers every module imports from here."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

__all__ = ["LANG_COOKIE", "_", "_l", "ngettext", "select_locale"]

#: Cookie that remembers the visitor's explicit language choice for a year.
LANG_COOKIE = "lang"


def select_locale() -> str:
    """Pick the visitor's language: their choice, else Accept-Language, else English."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and cron: the default language
        return languages[0]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]
