"""Private links: their tokens, the look-up by hash, and the limit on failed look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac


def link_token(secret_key: str, purpose: str, salt: str) -> str:
    """Return the token of a private link: an HMAC of purpose and a random salt.

    The server can make the same link again (for a later email, or to show it to an organiser),
    while a copy of the database, which holds only the salt and the token's hash, cannot.
    """
    digest = hmac.new(secret_key.encode(), f"{purpose}:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


def token_hash(token: str) -> str:
    """Return what the database stores of a link token."""
    return hashlib.sha256(token.encode()).hexdigest()


#: Tokens of our links are 32 characters; anything much longer is not one of them.
MAX_TOKEN_LENGTH = 64


def find_by_token(column, token: str, *options):
    """Return the row whose column holds the hash of token, or None (a malformed token finds none).

    column is a model's token-hash column (``Rsvp.manage_token_hash``…); options are loader
    options for the query (e.g. ``joinedload``).
    """
    from sqlalchemy import select

    from eventsvc.extensions import db

    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = select(column.class_).options(*options).where(column == token_hash(token))
    return db.session.scalar(query)


def _lookup_failed(response) -> bool:
    # Only a link that finds nothing counts: its owner opening it again and again never does.
    return response.status_code in (403, 404, 410)


def _token_lookup_limit() -> str:
    from flask import current_app

    return current_app.config["TOKEN_LOOKUP_LIMIT"]


def limit_failed_lookups(view):
    """Count a client's failed look-ups of private links (manage, feed, member, tribute, door).

    Every kind of token shares one budget per client address (``TOKEN_LOOKUP_LIMIT``): past it,
    429 with Retry-After, so nobody can try tokens at speed. Successful look-ups cost nothing.
    """
    from eventsvc.extensions import limiter

    return limiter.shared_limit(
        _token_lookup_limit, scope="token-lookup", deduct_when=_lookup_failed
    )(view)
