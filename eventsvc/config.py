"""Configuration: code defaults, then EVENTSVC_* environment variables, then the test dict.

Every setting below can be overridden by an environment variable with the ``EVENTSVC_`` prefix
(``EVENTSVC_DATABASE_URL``, ``EVENTSVC_HOTLINE``…); values are parsed as JSON where they can be,
so ``EVENTSVC_RSVP_PURGE_DAYS=30`` is an integer.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from eventsvc.rsvps.qr import generate_private_key_b64, load_private_key


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
    #: Seconds to wait for the SMTP server before `send-mail` gives up until its next run.
    SMTP_TIMEOUT = 10
    #: Flask-Limiter storage: memory:// for one process, redis://… for several workers.
    RATELIMIT_STORAGE_URL = "memory://"
    #: Failed logins allowed per account, and (x4) per client address.
    LOGIN_THROTTLE = "5 per 15 minutes"
    #: How long a worker serves the series feed (and its 304s) without asking the database
    #: whether events changed: calendar apps poll hourly, so seconds of delay cost nothing.
    FEED_RECHECK_SECONDS = 5
    #: Failed look-ups of private links (manage, feed, member, tribute, door) per client address,
    #: all kinds together: the 31st link that finds nothing within 10 minutes gets 429 with
    #: Retry-After (seconds until the window frees a try), and so does every look-up after it,
    #: good or bad, until then. Owners opening their own links never count. A breach is logged
    #: as "ratelimit 30 per 10 minute (203.0.113.0) exceeded at endpoint: token-lookup": the
    #: address truncated, never the token.
    TOKEN_LOOKUP_LIMIT = "30 per 10 minutes"
    #: RSVP submissions allowed per client address (a venue's shared wifi needs headroom).
    RSVP_RATE_LIMIT = "60 per minute"
    #: "Send me my links again" requests, per client address and (separately) per email asked for.
    RSVP_LINK_RESEND_RATE_LIMIT = "5 per hour"
    #: Tributes a client may submit, and candles it may light, per window (shared venue wifi).
    MEMORIAL_TRIBUTE_RATE_LIMIT = "10 per hour"
    MEMORIAL_CANDLE_RATE_LIMIT = "60 per hour"
    #: Uploaded memorial photos: largest file accepted (bytes), largest side kept (pixels).
    MEMORIAL_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    MEMORIAL_PHOTO_MAX_SIDE = 1600
    #: Approved tributes per page on an honoree's page.
    MEMORIAL_TRIBUTES_PER_PAGE = 10
    #: Minutes before an event starts that its door admits without asking; earlier (or after
    #: its door links end) the scanner warns "This ticket is for …" and the volunteer confirms.
    DOOR_EARLY_MINUTES = 120
    #: Days after an event ends before `flask eventsvc purge` erases its attendees' personal data.
    RSVP_PURGE_DAYS = 14
    #: Days before the purge deletes a sign-up that was never confirmed.
    MEMBER_UNCONFIRMED_DAYS = 30
    #: Days after moderation before the purge deletes a rejected tribute and its photo.
    TRIBUTE_REJECTED_DAYS = 30
    #: A random key is generated into instance/secret_key when this is empty.
    SECRET_KEY = ""
    #: Base64 of the 32 raw bytes of the Ed25519 key that signs ticket QR codes; when empty, one
    #: is generated into instance/ticket_signing_key (readable by the owner only) on first run.
    TICKET_SIGNING_KEY = ""
    LOG_LEVEL = "INFO"

    #: hide_parameters: a database error's log line and traceback never show the values of its
    #: statement (an attendee's name, email, needs); load_config keeps it whatever is set here.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    #: X-RateLimit-* headers on rate-limited pages, and Retry-After on every 429.
    RATELIMIT_HEADERS_ENABLED = True
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
    instance = Path(app.instance_path)
    # Never the statement's values in a log, even with engine options of one's own.
    options = {**cfg["SQLALCHEMY_ENGINE_OPTIONS"], "hide_parameters": True}
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers take turns on SQLite: wait for the lock (seconds) rather than fail at once.
        options.setdefault("connect_args", {"timeout": 30})
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_hex(32))
    if not cfg["TICKET_SIGNING_KEY"]:
        cfg["TICKET_SIGNING_KEY"] = _instance_secret(
            instance / "ticket_signing_key", generate_private_key_b64
        )
    load_private_key(cfg["TICKET_SIGNING_KEY"])  # a malformed key fails at start, not at the door
    cfg.setdefault("RATELIMIT_STORAGE_URI", cfg["RATELIMIT_STORAGE_URL"])
    secure = str(cfg["BASE_URL"]).startswith("https://")
    cfg["SESSION_COOKIE_SECURE"] = secure
    cfg["REMEMBER_COOKIE_SECURE"] = secure
    cfg["PREFERRED_URL_SCHEME"] = "https" if secure else "http"


def _instance_secret(path: Path, make: Callable[[], str]) -> str:
    """Return the secret stored at path, creating it with make() on first run (owner-only)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write a private (0600) temporary file, then link it into place: the link fails if another
    # worker got there first, and nobody ever reads a half-written secret.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(make())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another worker won the race: use its secret
            pass
    finally:
        os.unlink(tmp)
    return path.read_text().strip()
