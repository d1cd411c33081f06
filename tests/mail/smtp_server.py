"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, recording what it receives.

Use it through the ``smtp_server`` fixture of tests/conftest.py::

    def test_confirmation_is_mailed(app, smtp_server, monkeypatch):
        monkeypatch.setitem(app.config, "SMTP_URL", smtp_server.url)
        ...  # queue, commit, then deliver_pending() or the send-mail command
        [message] = smtp_server.messages              # email.message.EmailMessage
        assert smtp_server.recipients == [["ana@example.org"]]

``stop()`` makes the port refuse connections (an SMTP outage), ``start()`` brings the server back
on the same port, ``reject("x@example.org")`` answers 550 to that recipient (or any reply given,
e.g. a temporary "450 …"), ``refuse_data("x@example.org", "554 …")`` accepts the recipient but
refuses the message's content, ``refuse_sender("550 …")`` refuses our MAIL FROM. The server does
not offer SMTPUTF8 (like many relays) unless made with ``LocalSmtpServer(smtputf8=True)`` or
switched with ``offer_smtputf8(True)``.
"""

from __future__ import annotations

import logging
import socket
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from email.policy import default

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command it receives (with the addresses) at INFO: those are the lines
# of the remote relay this server plays, not ours, and the suite's log check would read them.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder:
    def __init__(self, server: LocalSmtpServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.server.sender_reply:
            return self.server.sender_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.server.rejected:
            return self.server.rejected[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address.lower() in self.server.data_replies:
                return self.server.data_replies[address.lower()]
        # Read it as a mail client does: wire CRLF line ends become local "\n".
        content = envelope.content.replace(b"\r\n", b"\n")
        if envelope.smtp_utf8:  # RFC 6532: the headers are UTF-8
            message = Parser(policy=default).parsestr(content.decode("utf-8"))
        else:
            message = BytesParser(policy=default).parsebytes(content)
        self.server.raw.append(envelope.content)
        self.server.recipients.append(list(envelope.rcpt_tos))
        self.server.mail_options.append(list(envelope.mail_options))
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


class LocalSmtpServer:
    """An SMTP server on 127.0.0.1:port that keeps every message it accepts."""

    def __init__(self, *, smtputf8: bool = False) -> None:
        self.smtputf8 = smtputf8
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        #: Each accepted message, parsed with policy=default (line ends as "\n").
        self.messages: list[EmailMessage] = []
        #: The bytes received for each message (CRLF line ends), and its envelope recipients.
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []
        #: The MAIL FROM parameters of each accepted message (e.g. "SMTPUTF8").
        self.mail_options: list[list[str]] = []
        #: Recipient (lower case) → the reply refusing it at RCPT, or its message at DATA.
        self.rejected: dict[str, str] = {}
        self.data_replies: dict[str, str] = {}
        #: The reply refusing every MAIL FROM; None accepts.
        self.sender_reply: str | None = None
        self._controller: Controller | None = None

    @property
    def is_running(self) -> bool:
        """Return whether the server accepts connections."""
        return self._controller is not None

    def start(self) -> None:
        """Listen on the port (again)."""
        if self._controller is None:
            self._controller = Controller(
                _Recorder(self),
                hostname="127.0.0.1",
                port=self.port,
                enable_SMTPUTF8=self.smtputf8,
            )
            self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections to the port are refused."""
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def offer_smtputf8(self, offer: bool) -> None:
        """Offer SMTPUTF8 (or stop offering it) from the next connection on: restart."""
        self.smtputf8 = offer
        if self.is_running:
            self.stop()
            self.start()

    def reject(self, address: str, reply: str = "550 5.1.1 No such mailbox") -> None:
        """Refuse mail to address at RCPT with reply (a permanent 550 by default)."""
        self.rejected[address.lower()] = reply

    def refuse_data(self, address: str, reply: str = "554 5.6.0 Message refused") -> None:
        """Accept address at RCPT but refuse the message to it at DATA with reply."""
        self.data_replies[address.lower()] = reply

    def refuse_sender(self, reply: str | None = "550 5.7.1 Sender refused") -> None:
        """Refuse every MAIL FROM with reply (None accepts again)."""
        self.sender_reply = reply
