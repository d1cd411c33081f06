"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it receives.

Use it through the ``smtp_server`` fixture of tests/conftest.py::

    def test_confirmation_is_mailed(app, smtp_server, monkeypatch):
        monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
        ...  # queue, commit, then deliver_pending() or the send-mail command
        [message] = smtp_server.messages              # email.message.EmailMessage
        assert smtp_server.recipients == [["ana@example.org"]]

``stop()`` makes the port refuse connections (an SMTP outage), ``start()`` brings the server back
on the same port, ``reject("x@example.org")`` answers 550 to that recipient.
"""

from __future__ import annotations

import socket
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder:
    def __init__(self, server: LocalSmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.server.rejected:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Read it as a mail client does: wire CRLF line ends become local "\n".
        message = BytesParser(policy=default).parsebytes(envelope.content.replace(b"\r\n", b"\n"))
        self.server.raw.append(envelope.content)
        self.server.recipients.append(list(envelope.rcpt_tos))
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """An SMTP server on 127.0.0.1:port that keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        #: Each accepted message, parsed with policy=default (line ends as "\n").
        self.messages: list[EmailMessage] = []
        #: The bytes received for each message (CRLF line ends), and its envelope recipients.
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        #: Addresses (lower case) refused with 550.
        self.rejected: set[str] = set()
        self._controller: Controller | None = None

    @property
    def is_running(self) -> bool:
        """Return whether the server accepts connections."""
        return self._controller is not None

    def start(self) -> None:
        """Listen on the port (again)."""
        if self._controller is None:
            self._controller = Controller(_Recorder(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections to the port are refused."""
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def reject(self, address: str) -> None:
        """Refuse mail to address with a permanent 550."""
        self.rejected.add(address.lower())
