"""Locale selection and the translation helpers every module imports from here."""

from __future__ import annotations

from functools import lru_cache

from babel.support import Translations
from flask import Request, current_app, has_request_context, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.utils import cached_property
from wtforms.i18n import messages_path

__all__ = ["LANG_COOKIE", "AppRequest", "_", "_l", "ngettext", "select_locale"]

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


@lru_cache(maxsize=8)
def _wtforms_catalogue(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class AppRequest(Request):
    """The app's request: WTForms' own messages ("Not a valid choice") from a cached catalogue.

    Flask-WTF looks for ``request.wtforms_translations`` and, when it is missing, reads the
    catalogue from disk again for every request that builds a form.
    """

    @cached_property
    def wtforms_translations(self) -> Translations:
        """Return WTForms' catalogue in the visitor's language (read once per worker)."""
        return _wtforms_catalogue(str(get_locale()))
