"""Reads of inbound mail for admins: the unprocessable store, newest first, by keyset so an old page
costs what the first does, and what a message of it says, shown as text."""

import re

from django.db.models import QuerySet

from attenda.channels.email import budget
from attenda.channels.email.models import InboundMail, MailState
from attenda.channels.email.parsing import parse_message
from attenda.core.pagination import Page, keyset_page

UNPROCESSABLE_ORDER = ("-received_at", "-id")
# What the reading page shows of a raw message; the download has all of it.
SHOWN_BYTES = 256 * 1024


def unprocessable_page(*, cursor: str | None, size: int = 50) -> Page:
    """inbound_state_idx (state, received_at)."""
    mail: QuerySet[InboundMail] = InboundMail.objects.filter(
        state=MailState.UNPROCESSABLE
    ).select_related("mailbox", "raw")
    return keyset_page(mail, order=UNPROCESSABLE_ORDER, cursor=cursor, size=size)


def raw_bytes(mail: InboundMail) -> bytes:
    with mail.raw.content.open("rb") as source:
        return source.read()


def raw_text(mail: InboundMail) -> tuple[str, str, bool]:
    """The header block and the start of the body of a kept message as text (bytes that are not
    UTF-8 as Latin-1, so each shows as one character), and whether the body was cut short.
    Nothing is parsed: a message set aside for its cost would cost as much again."""
    with mail.raw.content.open("rb") as source:
        head = source.read(SHOWN_BYTES + 1)
    cut = len(head) > SHOWN_BYTES
    head = head[:SHOWN_BYTES]
    ends = [found for found in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if found >= 0]
    split = min(ends) if ends else len(head)
    return _text(head[:split]), _text(head[split:].lstrip(b"\r\n")), cut


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_ADDRESS_LIKE = re.compile(r"[^\s<>()\"',;:\[\]]+@[^\s<>()\"',;:\[\]]+")


def sender_candidates(mail: InboundMail) -> list[str]:
    """Every address a message's From headers can be read as, for a person to choose the sender of
    one whose From was unclear: what the parser read and every address written there."""
    raw = raw_bytes(mail)
    with budget.metered(budget.Meter()):
        try:
            parsed = parse_message(raw)
        except budget.OverBudget:
            return []
    found = [author.address for author in parsed.from_addresses if "@" in author.address]
    for header in _header_values(raw, b"from"):
        found += _ADDRESS_LIKE.findall(header)
    return list(dict.fromkeys(address.strip(".").lower() for address in found))


def _header_values(raw: bytes, name: bytes) -> list[str]:
    ends = [found for found in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if found >= 0]
    head = raw[: min(ends)] if ends else raw
    values: list[bytes] = []
    for line in re.split(rb"\r?\n(?![ \t])", head):
        field, colon, value = line.partition(b":")
        if colon and field.strip().lower() == name:
            values.append(value)
    return [_text(value).strip() for value in values]
