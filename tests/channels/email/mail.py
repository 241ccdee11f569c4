"""Mail for the email channel's tests: raw messages written as customers' programs write them, a
mailbox, and a real SMTP server (aiosmtpd) that keeps what it is sent."""

import socket
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from aiosmtpd.controller import Controller

from attenda.channels.email.models import Mailbox, Security
from attenda.core import clock
from tests.corpus import corpus_path


def raw_mail(
    *,
    sender: str = "Maria Santos <maria@example.com>",
    to: str = "support@attenda.test",
    subject: str = "A minha fatura está errada",
    body: str = "Bom dia,\n\nA fatura de outubro cobra duas vezes o router.\n\nMaria",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def real_mail(*path: str, headers: dict[bytes, bytes] | None = None) -> bytes:
    """A message of the shared corpus of real-world mail, with the named headers rewritten (the
    first of each; one not present is put first): the rest stays as its sender's program wrote it."""
    raw = corpus_path("email", *path).read_bytes()
    for name, value in (headers or {}).items():
        lines = raw.split(b"\n")
        for index, line in enumerate(lines):
            if line.lower().startswith(name.lower() + b":"):
                ending = b"\r" if line.endswith(b"\r") else b""
                lines[index] = name + b": " + value + ending
                raw = b"\n".join(lines)
                break
        else:
            raw = name + b": " + value + b"\n" + raw
    return raw


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, as the server received it."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        # What the server answers to every recipient, e.g. "550 5.1.1 No such user"; None takes them.
        self.recipient_answer: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.recipient_answer is not None:
            return self.recipient_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class SmtpServer:
    """A real SMTP server on a local port; stop() and start() again to play an outage."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(team, smtp_server):
    return Mailbox.objects.create(
        address="support@attenda.test",
        name="Attenda Support",
        team=team,
        language="pt",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security=Security.NONE,
    )
