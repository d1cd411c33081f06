"""An RSVP's private links: its page (read and write), its feed (read only), and "not me".

Each link has its own purpose token, an HMAC of the app's key and a random salt; the database
holds only the salt and the token's hash (see ``eventsvc.security``).
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventsvc.extensions import db
from eventsvc.rsvps.models import Rsvp
from eventsvc.security import find_by_token, link_token, token_hash

logger = logging.getLogger(__name__)

# --- the private link -------------------------------------------------------------------------


def manage_token(rsvp: Rsvp) -> str:
    """Return the token of the RSVP's private link."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-manage", rsvp.manage_token_salt)


def get_rsvp_by_token(token: str) -> Rsvp | None:
    """Return the RSVP whose private link carries token, or None."""
    return find_by_token(Rsvp.manage_token_hash, token)


def manage_url(rsvp: Rsvp) -> str:
    """Return the absolute URL of the RSVP's private page."""
    return f"{_base_url()}/rsvp/{manage_token(rsvp)}"


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def feed_token(rsvp: Rsvp) -> str:
    """Return the token of the RSVP's personal calendar feed (read only)."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-feed", rsvp.feed_token_salt)


def get_rsvp_by_feed_token(token: str) -> Rsvp | None:
    """Return the RSVP whose personal feed link carries token, or None."""
    # With its event: the feed answers in two statements, this and the feed's own.
    return find_by_token(Rsvp.feed_token_hash, token, joinedload(Rsvp.event))


def feed_urls(rsvp: Rsvp) -> dict[str, str]:
    """Return the personal feed's address: https (to paste) and webcal (to subscribe)."""
    address = f"{_base_url()}/rsvp/{feed_token(rsvp)}/calendar.ics"
    return {"https": address, "webcal": "webcal://" + address.split("://", 1)[1]}


def new_feed_salt(rsvp: Rsvp) -> None:
    """Give the RSVP a feed link of its own (a feed group of one)."""
    rsvp.feed_token_salt = secrets.token_hex(16)
    rsvp.feed_token_hash = token_hash(feed_token(rsvp))


def replace_feed_token(rsvp: Rsvp) -> str:
    """Give the RSVP's feed group a new feed link (the old one stops working); return its token.

    The whole group moves to the new salt, so every RSVP of the feed stays in it. One RSVP of a
    group holds the hash of the group's link (feed_token_hash is unique): from now on, rsvp;
    the others hold the hash of a random secret nobody has.
    """
    group = db.session.scalars(
        select(Rsvp).where(Rsvp.feed_token_salt == rsvp.feed_token_salt, Rsvp.id != rsvp.id)
    ).all()
    new_feed_salt(rsvp)
    for member in group:
        member.feed_token_salt = rsvp.feed_token_salt
        member.feed_token_hash = token_hash(secrets.token_urlsafe(24))
    db.session.flush()
    logger.info("RSVP %s: calendar feed link replaced for a group of %d", rsvp.id, len(group) + 1)
    return feed_token(rsvp)


def disown_token(rsvp: Rsvp) -> str:
    """Return the token of the link that lets an address's holder cancel an RSVP made with it."""
    return link_token(current_app.config["SECRET_KEY"], "rsvp-disown", rsvp.manage_token_salt)


def get_rsvp_by_disown_token(token: str) -> Rsvp | None:
    """Return the RSVP whose disown link carries token, or None."""
    return find_by_token(Rsvp.disown_token_hash, token)


def disown_url(rsvp: Rsvp) -> str:
    """Return the absolute URL of the RSVP's disown page (GET shows it, POST cancels)."""
    return f"{_base_url()}/rsvp/not-me/{disown_token(rsvp)}"
