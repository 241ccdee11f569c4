"""The demo's outbox: mail Attenda sends while the demo runs is kept as files in the data folder, one
per message, instead of leaving the machine or flooding the terminal; admins read it in the browser
(Demo outbox)."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from attenda.core import clock

BACKEND = "attenda.demo.outbox.EmailBackend"
NAME = ".eml"


def outbox_folder() -> Path:
    return Path(settings.DATA_DIR) / "demo-outbox"


class EmailBackend(BaseEmailBackend):
    """Django's mail backend that writes each message to its own file; the name sorts by time."""

    def send_messages(self, email_messages) -> int:
        folder = outbox_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = clock.now().strftime("%Y%m%d%H%M%S%f")
            (folder / f"{stamp}-{secrets.token_hex(4)}{NAME}").write_bytes(
                message.message().as_bytes()
            )
        return len(email_messages)


@dataclass(frozen=True)
class OutboxMail:
    name: str
    sent_at: datetime | None
    sender: str
    to: str
    cc: str
    subject: str
    text: str
    attachments: list[str]


def _read(path: Path) -> OutboxMail:
    message: EmailMessage = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    try:
        sent_at = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    return OutboxMail(
        name=path.stem,
        sent_at=sent_at,
        sender=str(message["From"] or ""),
        to=str(message["To"] or ""),
        cc=str(message["Cc"] or ""),
        subject=str(message["Subject"] or ""),
        text=body.get_content() if body is not None else "",
        attachments=[part.get_filename() or "" for part in message.iter_attachments()],
    )


def outbox_mails(limit: int = 200) -> list[OutboxMail]:
    """The newest first; the folder only ever holds a demo's mail, so a bounded list is enough."""
    folder = outbox_folder()
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob(f"*{NAME}"), reverse=True)[:limit]
    return [_read(path) for path in paths]


def outbox_mail(name: str) -> OutboxMail | None:
    path = outbox_folder() / f"{name}{NAME}"
    if "/" in name or name.startswith(".") or not path.is_file():
        return None
    return _read(path)
