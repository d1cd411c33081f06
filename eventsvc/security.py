"""Small security helpers shared by the HTTP layer."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit


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


def keep_private(response):
    """Keep a page with a private link's secrets out of caches and search engines."""
    # A view that chose its own caching (the personal feed: private, polled) keeps it.
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
