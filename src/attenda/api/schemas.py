"""What the API reads and writes. Input schemas name exactly the fields a caller may set and refuse
any other, so no request can reach a field (an owner, another customer) the endpoint did not offer."""

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict, ValidationInfo, field_validator

from attenda.agents.models import AgentStatus
from attenda.customers.identities import normalise
from attenda.customers.models import IdentityKind
from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Channel, EntryKind, Kind, Priority, Status
from attenda.tickets.queries import INBOX_VIEWS, PAGE_SIZE, SORTS

MAX_PAGE_SIZE = 100


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str = Field(description="Stable and machine-readable, such as not_found.")
    message: str = Field(description="For people, in the language of the request.")
    fields: dict[str, list[str]] = Field(description="What is wrong with each input field.")


def _required_text(value: str) -> str:
    if not value.strip():
        raise ValueError(_("This field cannot be blank."))
    return value


class IdentityIn(Input):
    kind: IdentityKind
    value: str = Field(max_length=320, examples=["maria@example.com"])

    @field_validator("value")
    @classmethod
    def usable_for_its_kind(cls, value: str, info: ValidationInfo) -> str:
        if "kind" in info.data:
            try:
                normalise(info.data["kind"], value)
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from error
        return value


class IdentityOut(Schema):
    kind: IdentityKind
    value: str


class TeamRef(Schema):
    id: int
    name: str


class AgentRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(agent) -> str:
        return agent.display_name


class CustomerOut(Schema):
    id: int
    name: str
    organization: str | None
    language: str
    country: str
    notes: str
    identities: list[IdentityOut]
    merged_into: int | None = Field(description="The customer this record was merged into.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_organization(customer) -> str | None:
        return customer.organization.name if customer.organization_id else None

    @staticmethod
    def resolve_identities(customer) -> list:
        return list(customer.identities.all())

    @staticmethod
    def resolve_merged_into(customer) -> int | None:
        return customer.merged_into_id


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class CustomerCreateIn(Input):
    name: str
    language: str = ""
    country: str = Field("", description="ISO 3166 code, such as PT.")
    organization: str = Field("", max_length=200, description="Created when not yet known.")
    identities: list[IdentityIn] = []


class CustomerUpdateIn(Input):
    """Fields left out (or null) stay as they are; identities are only ever added."""

    name: str | None = None
    language: str | None = None
    country: str | None = None
    notes: str | None = None
    add_identities: list[IdentityIn] = []


class CustomerLookup(Input):
    email: str | None = Field(None, description="Find the customer with this email address.")
    phone: str | None = Field(None, description="Find the customer with this phone number.")
    social: str | None = Field(None, description="Find the customer with this social handle.")
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class PageQuery(Input):
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class TicketOut(Schema):
    number: int = Field(description="What the customer quotes.")
    subject: str
    status: Status
    kind: Kind
    priority: Priority
    channel: Channel
    language: str
    customer_id: int
    customer_name: str
    team: TeamRef | None
    owner: AgentRef | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    waiting_since: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    handoff_count: int = Field(description="How many times the ticket changed hands.")
    merged_into: int | None = Field(description="The ticket this one was merged into.")
    service_level_id: int | None = Field(description="The service-level policy it is held to.")
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None = Field(
        description="Null while the clock is paused (waiting on the customer) or stopped."
    )
    due_at: datetime | None = Field(
        description="The nearest deadline, service level or legal; in the past once missed."
    )
    legal_deadline: datetime | None = Field(description="The statutory deadline; never paused.")
    legal_consequence: str = Field(description="What the law says follows when it passes.")
    legal_missed_at: datetime | None
    deemed_accepted: bool = Field(description="A Polish complaint unanswered in time.")

    @staticmethod
    def resolve_tags(ticket) -> list[str]:
        return ticket.tag_names

    @staticmethod
    def resolve_merged_into(ticket) -> int | None:
        return ticket.merged_into_id


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class TicketFilters(Input):
    view: Literal[INBOX_VIEWS] = "open"
    status: Status | None = None
    kind: Kind | None = None
    channel: Channel | None = None
    language: str = ""
    team: int | None = Field(None, description="A team id; by default, all the agent's teams.")
    tag: str = ""
    sort: Literal[tuple(SORTS)] = "waiting"
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class TicketCreateIn(Input):
    """Either customer_id or identities says who wrote. The same external_id on the same channel
    twice gives back the ticket the first request opened instead of a second one."""

    channel: Channel = Channel.API
    customer_id: int | None = None
    identities: list[IdentityIn] = []
    customer_name: str = Field("", max_length=200, description="Used for a customer not yet known.")
    subject: str = ""
    body: str = Field(description="What the customer said.")
    kind: Kind | None = None
    priority: Priority | None = None
    team_id: int | None = Field(None, description="One of your teams; by default your first.")
    external_id: str | None = Field(None, min_length=1, max_length=998)

    _body_is_written = field_validator("body")(_required_text)


class TicketDetailsIn(Input):
    kind: Kind | None = None
    priority: Priority | None = None


class StatusIn(Input):
    status: Status


class AssignIn(Input):
    owner: int | None = Field(description="The id of the agent who takes it; null lets it go.")
    reason: str = ""


class MergeTicketIn(Input):
    into: int = Field(description="The number of the ticket this one is merged into.")


class MergeCustomerIn(Input):
    absorbed_id: int = Field(description="The customer merged into this one; it then points here.")


class TagsIn(Input):
    tags: list[str] = Field(max_length=50, description="The ticket's tags after the change.")


class FileIn(Input):
    filename: str = Field(min_length=1, max_length=255, examples=["invoice.pdf"])
    content_type: str = Field("application/octet-stream", max_length=255)
    content_base64: str = Field(description="The file's bytes in base64.")

    @field_validator("content_base64")
    @classmethod
    def is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError(_("This is not base64.")) from error
        return value

    def as_file(self) -> InboundFile:
        return InboundFile(
            filename=self.filename,
            content_type=self.content_type,
            content=base64.b64decode(self.content_base64),
        )


class ReplyIn(Input):
    body: str
    status: Status = Field(Status.WAITING_ON_CUSTOMER, description="The ticket's status after it.")
    channel: Channel | None = Field(
        None,
        description="How to send it; by default the ticket's own channel. A ticket that came by "
        "web form, API, chat or social network is answered by email.",
    )
    cc: list[str] = Field([], max_length=20, description="Addresses to copy an email reply to.")
    attachments: list[FileIn] = Field([], max_length=20)


class DeliveryOut(Schema):
    state: Literal["queued", "sent", "failed", "bounced", "read"] = Field(
        description="queued: on its way; failed: not sent (see reason); read where the channel tells."
    )
    channel: str
    address: str | None = Field(description="Where it goes; null when it cannot be sent.")
    sender: str | None = Field(description="The mailbox or account it leaves from.")
    cc: list[str]
    reason: str = Field(description="Why it was not sent, or what the last attempt met.")


class NoteIn(Input):
    body: str


class TransferIn(Input):
    note: str = Field(
        description="What the customer needs and what was done; the receiver reads it first."
    )
    to_agent: int | None = Field(None, description="An agent's id.")
    to_team: int | None = Field(None, description="A team's id.")


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int

    @staticmethod
    def resolve_size(attachment) -> int:
        return attachment.blob.size


class TimelineEntryOut(Schema):
    id: int
    ticket: int = Field(description="The ticket it was written on; another after a merge.")
    kind: EntryKind
    created_at: datetime
    author_agent: AgentRef | None
    author_customer_id: int | None
    channel: str
    body: str
    language: str
    external_id: str | None
    data: dict
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_ticket(entry) -> int:
        return entry.ticket_id

    @staticmethod
    def resolve_attachments(entry) -> list:
        return list(entry.attachments.all())


class ReplyOut(TimelineEntryOut):
    delivery: DeliveryOut

    @staticmethod
    def resolve_delivery(entry) -> dict:
        return {
            "state": entry.delivery,
            "channel": entry.channel,
            "address": entry.data.get("to") or None,
            "sender": entry.data.get("from") or None,
            "cc": entry.data.get("cc", []),
            "reason": entry.delivery_note,
        }


class TimelinePageOut(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class ServiceLevelPolicyOut(Schema):
    """Policies are tried in ``position`` order; the first whose every condition (empty = any)
    fits a ticket is its policy."""

    id: int
    name: str
    position: int
    is_active: bool
    kind: str
    priority: int | None
    channel: str
    tier: str
    team_id: int | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_time: bool
    warn_percent: int
    notify_supervisors: bool
    raise_priority: bool
    reassign: str
    reassign_to_id: int | None


class CalendarOut(Schema):
    team_id: int
    time_zone: str
    week: list[list[list[str]]] = Field(
        description='Seven days, Monday first, of ["HH:MM", "HH:MM"] shifts; "24:00" is midnight.'
    )
    country: str
    subdivision: str
    closed_days: list[str]


class StatutoryRuleIn(Input):
    country: str = Field(min_length=2, max_length=2)
    kinds: list[Kind] = Field(min_length=1)
    days: int = Field(ge=1, le=366)
    count: Literal["calendar", "calendar_clear", "working", "business"]
    end_moves_off: list[Literal["saturday", "sunday", "holiday"]] = []
    consequence: Literal["deemed_accepted", "price_cut_or_termination", "late_answer_breach"]
    source: str = Field(min_length=1, max_length=300)
    valid_from: date
    time_zone: str
    condition: str = Field("", max_length=40)
    escalate_days_before: int = Field(3, ge=0, le=366)


class StatutoryRuleOut(Schema):
    country: str
    kinds: list[str]
    days: int
    count: str
    end_moves_off: list[str]
    consequence: str
    source: str
    valid_from: date
    time_zone: str
    condition: str
    escalate_days_before: int
    shipped: bool = Field(description="Shipped with Attenda rather than added by an admin.")


class WaitEstimateOut(Schema):
    """The expected wait for a first answer (routing.waiting documents the formula)."""

    team: TeamRef
    minutes: int | None = Field(
        description="Expected minutes until a first answer; null when there is no basis for one."
    )
    ahead: int = Field(description="Open tickets still without a first answer (up to 1000).")
    answered_recently: int = Field(description="First answers the team gave in the last hours.")
    available_agents: int


class AvailabilityIn(Input):
    status: AgentStatus
    absent_from: datetime | None = None
    absent_until: datetime | None = None
    backup: int | None = Field(None, description="The id of the agent who stands in.")


class AvailabilityOut(Schema):
    id: int
    name: str
    status: AgentStatus
    absent_from: datetime | None
    absent_until: datetime | None
    backup: AgentRef | None
    skills: list[str]

    @staticmethod
    def resolve_name(agent) -> str:
        return agent.display_name


class StandingAgentIn(Input):
    agent: int | None = Field(
        description="The account owner's agent id; null goes back to the owner of the last ticket."
    )


class StandingAgentOut(Schema):
    customer_id: int
    standing_agent: AgentRef | None
