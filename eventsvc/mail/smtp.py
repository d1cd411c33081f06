"""Transports that hand a built email over: an SMTP server, or .eml files in a folder.

``SMTP_URL`` chooses the transport::

    ""                                   files in <instance>/outbox/ (a fresh clone, development)
    smtp://host:25                       plain SMTP
    smtp://user:pass@host:587            STARTTLS (port 587 implies it; ?starttls=1 forces it)
    smtps://user:pass@host:465           SMTP over TLS

User name and password are percent-decoded, so ``@`` in a password is written ``%40``. Every
failure is raised as a :class:`DeliveryError` whose text never holds the URL or the password.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit


class DeliveryError(Exception):
    """A message was not handed over.

    ``permanent``: the server refused this message for good (unknown mailbox, an address it
    cannot take…); retrying cannot help. ``server_down``: the server itself is unreachable or
    refuses us (connection, login, closing the session, refusing our sender twice in a row), so
    the other messages of this run would fail the same way. Neither: this message was refused
    for now (a 4xx), the others may go.
    """

    def __init__(self, message: str, *, permanent: bool = False, server_down: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.server_down = server_down


class Transport(Protocol):
    """Something that can hand a message over, used as a context manager for one run."""

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def send(self, message: EmailMessage, *, to: str, name: str) -> None:
        """Deliver message to the address to; name is a file-safe label for the message."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to reach the SMTP server, parsed from SMTP_URL."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_ssl: bool = False
    starttls: bool = False

    def __repr__(self) -> str:  # never print the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, ssl={self.use_ssl})"


def parse_smtp_url(url: str) -> SmtpSettings:
    """Return the settings an smtp:// or smtps:// URL describes; raise ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:port or smtps://…")
    use_ssl = parts.scheme == "smtps"
    port = parts.port or (465 if use_ssl else 25)
    query = parse_qs(parts.query)
    starttls_flag = query.get("starttls", [""])[-1].lower()
    if starttls_flag in ("1", "true", "yes", "on"):
        starttls = True
    elif starttls_flag in ("0", "false", "no", "off"):
        starttls = False
    else:
        starttls = port == 587
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=use_ssl,
        starttls=starttls and not use_ssl,
    )


#: Replies that close the session (RFC 5321 421): the server, not the message, is the problem.
SERVICE_CLOSING = 421
#: Replies to MAIL FROM about this message, not our sender: too big (552), a parameter (555).
MESSAGE_SENDER_CODES = frozenset({552, 555})


class SmtpTransport:
    """Send over one SMTP connection, opened on the first message and closed at the end.

    A message refused for its own sake (its recipient, its size, its content, an address that
    needs SMTPUTF8 on a server without it) raises a DeliveryError for that message only, and the
    connection stays open for the next one. SMTPUTF8 is used whenever an address needs it and the
    server offers it (smtplib's send_message adds it and sends the headers in UTF-8).
    """

    def __init__(self, settings: SmtpSettings, *, timeout: float = 10.0):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        #: Sender refusals in a row: a second one means the server refuses us, not a message.
        self._sender_refusals = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def send(self, message: EmailMessage, *, to: str, name: str) -> None:
        """Send message to the address to over the (re)opened connection."""
        smtp = self._connection()
        try:
            smtp.send_message(message, to_addrs=[to])
        except smtplib.SMTPNotSupportedError:
            # Raised before MAIL FROM: an address is not ASCII and the server lacks SMTPUTF8.
            # Nothing was sent; the session stays usable.
            if to.isascii():  # our own sender (MAIL_FROM): every message would fail the same
                raise DeliveryError(
                    "the sender address needs SMTPUTF8, which the mail server does not offer",
                    server_down=True,
                ) from None
            raise DeliveryError(
                "the address needs SMTPUTF8, which the mail server does not offer", permanent=True
            ) from None
        except smtplib.SMTPRecipientsRefused as e:
            code = next(iter(e.recipients.values()))[0] if e.recipients else 0
            self._sender_refusals = 0  # our sender was accepted
            # The refused address is in e's text: keep it out of our error and logs.
            if closing := self._closing(code):
                raise closing from None
            raise DeliveryError(f"recipient refused ({code})", permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as e:
            self._sender_refusals += 1
            if self._sender_refusals > 1:
                self._close()
                raise DeliveryError(f"sender refused ({e.smtp_code})", server_down=True) from None
            if closing := self._closing(e.smtp_code):
                raise closing from None
            raise DeliveryError(
                f"sender refused for this message ({e.smtp_code})",
                permanent=e.smtp_code in MESSAGE_SENDER_CODES,
            ) from None
        except smtplib.SMTPDataError as e:
            # Only the code: the server's reply may quote the recipient.
            self._sender_refusals = 0
            if closing := self._closing(e.smtp_code):
                raise closing from None
            raise DeliveryError(
                f"message refused ({e.smtp_code})", permanent=e.smtp_code >= 500
            ) from None
        except (smtplib.SMTPException, OSError) as e:
            self._close()
            raise DeliveryError(f"SMTP error: {_describe(e)}", server_down=True) from None
        self._sender_refusals = 0

    def _closing(self, code: int) -> DeliveryError | None:
        """Return the "server down" error of a refusal that closes the session (421), else None."""
        if code != SERVICE_CLOSING:
            return None
        self._close()
        return DeliveryError(f"server closing the session ({code})", server_down=True)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        try:
            if s.use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(
                f"cannot connect to {s.host}:{s.port}: {_describe(e)}", server_down=True
            ) from None
        try:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as e:
            _quietly_close(smtp)
            raise DeliveryError(f"login refused ({e.smtp_code})", server_down=True) from None
        except (smtplib.SMTPException, OSError, RuntimeError) as e:
            _quietly_close(smtp)
            raise DeliveryError(
                f"cannot set up session with {s.host}:{s.port}: {_describe(e)}", server_down=True
            ) from None
        self._smtp = smtp
        return smtp

    def _close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(smtp)


class FileTransport:
    """Write each message to <folder>/<name>.eml, readable by the owner only."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def send(self, message: EmailMessage, *, to: str, name: str) -> None:
        """Write message atomically as <name>.eml; to is already in its To header."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(message.as_bytes(policy=SMTP.clone(linesep="\n")))
            os.replace(tmp, self.folder / f"{name}.eml")
        except OSError as e:
            raise DeliveryError(f"cannot write to the outbox folder: {_describe(e)}") from None


def open_transport(smtp_url: str, *, outbox_folder: Path, timeout: float = 10.0) -> Transport:
    """Return the transport SMTP_URL asks for: SMTP, or .eml files when it is empty."""
    if not smtp_url:
        return FileTransport(outbox_folder)
    return SmtpTransport(parse_smtp_url(smtp_url), timeout=timeout)


def _describe(error: BaseException) -> str:
    # smtplib and socket errors carry codes and server replies, never our credentials.
    text = str(error) or type(error).__name__
    return _short(f"{type(error).__name__}: {text}")


def _short(text: bytes | str, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())[:limit]


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass
