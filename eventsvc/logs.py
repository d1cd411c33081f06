"""Log lines that name nobody: addresses truncated, private links, emails and phones redacted.

Our own code logs ids and counts only. What other libraries write is rewritten before it is
emitted, by :class:`RedactingFilter`:

- werkzeug's request log (``flask run``): ``203.0.113.0 - - […] "GET /rsvp/[token] HTTP/1.1" 200``;
- Flask-Limiter's breach line, whose key is a client address (or a hashed login email);
- Flask's "Exception on <path>" line and the traceback under it (a database error's text can
  quote the values it refused, e.g. PostgreSQL's "Key (email)=(…) already exists").

``configure_logging`` puts the filter on those loggers always, and on the root logger's handlers
outside tests, so any other line that carries an email address, an E.164 phone number, a token or
a full client address is scrubbed as it is written.

Client addresses are truncated the way analytics tools anonymise them: IPv4 to its /24
(``203.0.113.77`` → ``203.0.113.0``), IPv6 to its /48 (``2001:db8:1:2::7`` → ``2001:db8:1::``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import traceback

#: Loggers whose lines carry client addresses, paths or rate-limit keys.
REDACTED_LOGGERS = ("werkzeug", "flask-limiter", "gunicorn.error", "gunicorn.access")

#: Path segments after which the next segment is a secret, whatever it looks like.
PRIVATE_PREFIXES = frozenset({"rsvp", "door", "invite", "confirm", "leave", "disown", "delete"})

EMAIL = re.compile(r"[\w.!#$%&'*+^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w+])\+[1-9]\d{7,14}(?!\d)")
#: A run of 20 or more URL-safe characters: a candidate token (see :func:`looks_like_token`).
TOKEN_CANDIDATE = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{20,}(?![\w-])")
#: A page's own name after a private prefix ("lost", "event"): never a token, which is random.
_PAGE_NAME = re.compile(r"[a-z]{1,12}")
_SEPARATORS = re.compile(r"[_.-]+")
#: CamelCase names (of exceptions, classes): "StringDataRightTruncation", "SMTPDataError".
_CAMEL = re.compile(r"[a-z]*(?:[A-Z]{1,5}[a-z]{2,})+")
IPV4 = re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.]|\.\d)")
IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:.])")
#: A request line as web servers log it; and Flask's "Exception on <path> [METHOD]".
REQUEST_LINE = re.compile(
    r"\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|TRACE|CONNECT) (\S+)( HTTP/\d(?:\.\d)?)"
)
EXCEPTION_ON = re.compile(r"^(Exception on )(\S+)( \[)")
#: PostgreSQL quotes the values a constraint refused: "Key (email)=(ana@example.org) …",
#: "Failing row contains (7, Ana Souza, …)."
KEY_VALUES = re.compile(r"(Key \([^)]*\)=\()(.*?)(\) )")
FAILING_ROW = re.compile(r"(Failing row contains \().*(\)\.?)$", re.MULTILINE)


def truncate_ip(address: str) -> str:
    """Return a client address cut to its network: IPv4 /24, IPv6 /48; else "-".

    Loopback addresses stay whole ("Running on http://127.0.0.1:5000"): they are nobody's.
    """
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return "-"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return str(ip)
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def hashed(value: str, *, key: str, length: int = 16) -> str:
    """Return a short keyed hash (HMAC-SHA256 hex) of value: a stable key naming nobody.

    Keyed, so that whoever reads the logs cannot confirm a guessed address by hashing it.
    """
    data = value.encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()[:length]


def _is_word(part: str) -> bool:
    if part.isalpha():
        return part.islower() or (part.isupper() and len(part) <= 5) or bool(_CAMEL.fullmatch(part))
    # "2026", "v2", "utf8": short; a long run of digits and letters (hex, base64) is random.
    return len(part) <= 8 and (part.isdigit() or part.islower())


def looks_like_token(word: str) -> bool:
    """Return whether a URL-safe word looks random (a token, a hex digest) rather than words.

    snake_case, kebab-case and dotted names, slugs ("know-your-rights-2026") and CamelCase names
    are words; base64 and hex strings are not.
    """
    return not all(_is_word(part) for part in _SEPARATORS.split(word) if part)


def redact_path(path: str) -> str:
    """Return a URL path with its secrets replaced by "[token]" and query values by "…"."""
    path, question, query = path.partition("?")
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if not segment:
            continue
        after_prefix = (
            i > 0
            and segments[i - 1].lower() in PRIVATE_PREFIXES
            and not _PAGE_NAME.fullmatch(segment)  # /rsvp/lost, /door/event/7: pages
        )
        if after_prefix or (len(segment) >= 20 and looks_like_token(segment)):
            segments[i] = "[token]"
    redacted = "/".join(segments)
    if question:
        pairs = [p.partition("=") for p in query.split("&") if p]
        redacted += "?" + "&".join(f"{key}{eq}{'…' if eq else ''}" for key, eq, _v in pairs)
    return redacted


def _truncate_ipv4(match: re.Match) -> str:
    if all(int(part) <= 255 for part in match.groups()):
        return truncate_ip(match.group(0))
    return match.group(0)


def _truncate_ipv6(match: re.Match) -> str:
    text = match.group(0)
    if text.count(":") < 2:
        return text
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:  # a time of day, or anything else with colons
        return text
    return truncate_ip(text)


def _token(match: re.Match) -> str:
    return "[token]" if looks_like_token(match.group(0)) else match.group(0)


#: werkzeug colours its request lines for a terminal; a log file has no use for it.
ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def scrub(text: str) -> str:
    """Return text with paths' secrets, emails, E.164 phones, tokens and full IPs redacted."""
    text = ANSI_STYLE.sub("", text)
    text = REQUEST_LINE.sub(lambda m: m.group(1) + " " + redact_path(m.group(2)) + m.group(3), text)
    text = EXCEPTION_ON.sub(lambda m: m.group(1) + redact_path(m.group(2)) + m.group(3), text)
    text = KEY_VALUES.sub(r"\1…\3", text)
    text = FAILING_ROW.sub(r"\1…\2", text)
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub("[phone]", text)
    text = TOKEN_CANDIDATE.sub(_token, text)
    text = IPV4.sub(_truncate_ipv4, text)
    return IPV6.sub(_truncate_ipv6, text)


class RedactingFilter(logging.Filter):
    """Rewrite a record so that its message and traceback name nobody (see :func:`scrub`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drop it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what can be shown, safely
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install_filter(target: logging.Logger | logging.Handler) -> None:
    """Add a RedactingFilter to a logger or handler, once."""
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())
