import socket
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import pytest

from eventsvc.mail.smtp import (
    DeliveryError,
    FileTransport,
    SmtpSettings,
    SmtpTransport,
    open_transport,
    parse_smtp_url,
)
from tests.mail.smtp_server import free_port


def simple_message(to="ana@example.org", subject="Hola Aidê") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "eventsvc@example.org"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Cuerpo con José Ñúñez\n")
    return message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpSettings("mail.example.org", 25)),
        (
            "smtp://user%40org:p%3Ass@mail.example.org:587",
            SmtpSettings("mail.example.org", 587, "user@org", "p:ss", starttls=True),
        ),
        ("smtp://h:2525?starttls=1", SmtpSettings("h", 2525, starttls=True)),
        ("smtp://h:587?starttls=0", SmtpSettings("h", 587)),
        ("smtps://u:p@h", SmtpSettings("h", 465, "u", "p", use_ssl=True)),
    ],
)
def test_parse_smtp_url(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://h", "smtp://", "mail.example.org"])
def test_parse_smtp_url_refuses_other_urls(url):
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_settings_never_show_the_password():
    assert "s3cret" not in repr(parse_smtp_url("smtp://u:s3cret@h"))


def test_empty_url_means_files(tmp_path):
    assert isinstance(open_transport("", outbox_folder=tmp_path), FileTransport)
    assert isinstance(open_transport("smtp://h", outbox_folder=tmp_path), SmtpTransport)


def test_smtp_transport_sends_over_one_connection(smtp_server):
    with open_transport(smtp_server.url, outbox_folder=None) as transport:
        transport.send(simple_message(), to="ana@example.org", name="a")
        transport.send(simple_message(subject="Dos"), to="bea@example.org", name="b")
    assert [m["Subject"] for m in smtp_server.messages] == ["Hola Aidê", "Dos"]
    assert smtp_server.recipients == [["ana@example.org"], ["bea@example.org"]]
    assert smtp_server.messages[0].get_content() == "Cuerpo con José Ñúñez\n"


def test_server_down_is_a_quick_delivery_error_without_credentials():
    url = f"smtp://user:s3cret@127.0.0.1:{free_port()}"
    with SmtpTransport(parse_smtp_url(url), timeout=2) as transport:
        with pytest.raises(DeliveryError) as caught:
            transport.send(simple_message(), to="ana@example.org", name="a")
    assert caught.value.server_down and not caught.value.permanent
    assert "s3cret" not in str(caught.value)


def test_silent_server_times_out():
    with socket.socket() as listener:  # accepts connections but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        settings = SmtpSettings("127.0.0.1", listener.getsockname()[1])
        started = time.monotonic()
        with SmtpTransport(settings, timeout=0.5) as transport:
            with pytest.raises(DeliveryError) as caught:
                transport.send(simple_message(), to="ana@example.org", name="a")
    assert time.monotonic() - started < 5
    assert caught.value.server_down


def test_refused_recipient_is_permanent_and_not_quoted(smtp_server):
    smtp_server.reject("gone@example.org")
    with open_transport(smtp_server.url, outbox_folder=None) as transport:
        with pytest.raises(DeliveryError) as caught:
            transport.send(simple_message("gone@example.org"), to="gone@example.org", name="a")
        assert caught.value.permanent and not caught.value.server_down
        assert "gone@" not in str(caught.value)
        # The connection stays usable for the next message.
        transport.send(simple_message(), to="ana@example.org", name="b")
    assert smtp_server.recipients == [["ana@example.org"]]


def test_file_transport_writes_private_eml(tmp_path):
    folder = tmp_path / "outbox"
    with FileTransport(folder) as transport:
        transport.send(simple_message(), to="ana@example.org", name="20261128T101500Z-1-notice")
    [path] = folder.iterdir()
    assert path.name == "20261128T101500Z-1-notice.eml"
    assert path.stat().st_mode & 0o077 == 0
    parsed = BytesParser(policy=default).parsebytes(path.read_bytes())
    assert parsed["Subject"] == "Hola Aidê"
    assert parsed.get_content() == "Cuerpo con José Ñúñez\n"
