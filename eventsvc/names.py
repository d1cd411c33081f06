"""Showing names people typed: isolated, so that right-to-left text cannot reorder a page.

A name may hold Arabic or Hebrew letters, or a stray RIGHT-TO-LEFT OVERRIDE (U+202E) that would
reverse everything after it on the line ("Ana" + U+202E + "lin" turns "is confirmed" around).
Templates show every user-typed name through one of two filters:

- ``{{ name|bdi }}`` in HTML text: ``<bdi>name</bdi>``, escaped; pass it into ``_()`` too
  (``_('Hi %(name)s,', name=rsvp.name|bdi)``), since Flask-Babel keeps Markup arguments as they are;
- ``{{ name|isolate }}`` where no tag may go (``<title>``, attributes, plain-text mail): the name
  between FIRST STRONG ISOLATE (U+2068) and POP DIRECTIONAL ISOLATE (U+2069).
"""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

FSI, PDI = "\u2068", "\u2069"


def bdi(value) -> Markup:
    """Return the value escaped inside <bdi>, or an empty string for None."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % escape(value)


def isolate(value) -> str:
    """Return the value between FSI and PDI (plain text, still escaped by the template)."""
    if value is None or value == "":
        return ""
    return f"{FSI}{value}{PDI}"


def register_name_filters(app: Flask) -> None:
    """Add the bdi and isolate filters to the templates."""
    app.jinja_env.filters["bdi"] = bdi
    app.jinja_env.filters["isolate"] = isolate
