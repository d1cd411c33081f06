"""Configuration: code defaults, then EVENTSVC_* environment variables, then the test dict.

Every setting below can be overridden by an environment variable with the ``EVENTSVC_`` prefix
(``EVENTSVC_DATABASE_URL``, ``EVENTSVC_HOTLINE``…); values are parsed as JSON where they can be,
so ``EVENTSVC_RSVP_PURGE_DAYS=30`` is an integer.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Defaults:
    """Safe defaults for a fresh clone: SQLite under instance/, mail to files, limits in memory."""

    #: Where links in emails and feeds point; https here turns on Secure cookies.
    BASE_URL = "http://127.0.0.1:5000"
    #: SQLAlchemy URL; empty means a SQLite file in the instance folder.
    DATABASE_URL = ""
    #: The coalition's Emergency Response Network hotline, shown on every page.
    HOTLINE = "909-361-4588"
    #: The organisation's name, shown in the header and in emails.
    ORG_NAME = "Inland Coalition for Immigrant Justice"
    #: The coalition's founding year; the anniversary is fifteen years later.
    FOUNDED_YEAR = 2008
    #: Default time zone of new events (IANA name).
    TIMEZONE = "America/Los_Angeles"
    LANGUAGES = ["en", "es"]
    #: Outgoing mail: empty writes .eml files to instance/outbox/; smtp://user:pass@host:port.
    SMTP_URL = ""
    MAIL_FROM = "eventsvc@localhost"
    #: Flask-Limiter storage: memory:// for one process, redis://… for several workers.
    RATELIMIT_STORAGE_URL = "memory://"
    #: Failed logins allowed per account, and (x4) per client address.
    LOGIN_THROTTLE = "5 per 15 minutes"
    #: Days after an event ends before its attendees' personal data is purged.
    RSVP_PURGE_DAYS = 30
    #: A random key is generated into instance/secret_key when this is empty.
    SECRET_KEY = ""
    LOG_LEVEL = "INFO"

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    WTF_CSRF_TIME_LIMIT = None  # a token lives as long as the session: forms left open stay usable
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, environment and the test dict; derive the rest."""
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("EVENTSVC")
    if test_config:
        app.config.update(test_config)

    cfg = app.config
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"] or (
            "sqlite:///" + os.path.join(app.instance_path, "eventsvc.sqlite")
        )
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["RATELIMIT_STORAGE_URL"])
    secure = str(cfg["BASE_URL"]).startswith("https://")
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    cfg["PREFERRED_URL_SCHEME"] = "https" if secure else "http"


def _instance_secret_key(path: Path) -> str:
    """Return the key stored at path, creating it (readable by the owner only) on first run."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
