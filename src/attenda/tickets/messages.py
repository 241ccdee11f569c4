"""What channels hand to ``receive()``: the one shape every inbound contact takes, whatever its wire
format. Adapters build these and know nothing else of tickets."""

from dataclasses import dataclass, field
from datetime import datetime

from attenda.customers.services import IdentityClaim
from attenda.tickets.models import Channel, EntryKind


@dataclass(frozen=True)
class InboundFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Inbound:
    channel: Channel
    claims: list[IdentityClaim]
    body: str
    subject: str = ""
    sender_name: str = ""
    entry_kind: EntryKind = EntryKind.MESSAGE
    language: str = ""
    # Threading: a ticket number the customer quoted, and the channel ids of earlier messages.
    ticket_number: int | None = None
    references: list[str] = field(default_factory=list)
    # The channel's own id for this message; the same id twice is the same message.
    external_id: str | None = None
    received_at: datetime | None = None
    files: list[InboundFile] = field(default_factory=list)
    # The untouched bytes as they arrived, kept whatever happens to the parsed parts.
    raw: bytes | None = None
    # The same bytes already kept (store_blob) by a channel that keeps them first, as email does:
    # receive() then refers to that blob instead of digesting and looking the bytes up again.
    raw_blob_id: int | None = None
    team_id: int | None = None
    kind: str | None = None
    priority: int | None = None
    customer_id: int | None = None
    # What the channel wants kept with the timeline entry (its headers, the folded quote...).
    entry_data: dict = field(default_factory=dict)
    # A line of a conversation under way on its open ticket (a chat): read (triage) on the worker
    # after it is committed, so that the other side hears it without waiting for the reading.
    read_later: bool = False
