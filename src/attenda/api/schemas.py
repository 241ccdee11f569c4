"""What the API reads and writes. Input schemas name exactly the fields a caller may set and refuse
any other, so no request can reach a field (an owner, another customer) the endpoint did not offer."""

import base64
import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from annotated_types import Ge, Le
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from attenda.agents.models import AgentStatus, AssignmentMode, Role
from attenda.customers.identities import normalise
from attenda.customers.models import IdentityKind
from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Channel, EntryKind, Kind, Priority, Status
from attenda.tickets.queries import INBOX_VIEWS, PAGE_SIZE, SORTS

MAX_PAGE_SIZE = 100
# Ids and ticket numbers are the database's 64-bit keys, counted from 1.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _number_only(value: object) -> object:
    """In a JSON body a whole number is a number (2 or 2.0), never true or "2"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("Use a whole number."))
    return value


Id = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(_number_only)]

# The characters Python's str.isspace() knows, so the document and the services agree on what is
# blank; and no NUL, which no text may hold (api.inputs).
_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Validation looks for one written character; a NUL is refused after it with its own message.
WRITTEN = f"[^{_SPACE}]"
COUNTRY = "^[A-Za-z]{2}$"
# Django's unicode slug, which tags are.
TAG = "^[-\\w]+$"
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
TIME_ZONES = tuple(sorted(zoneinfo.available_timezones()))


def _text_only(value: object) -> object:
    """Dates and times are written as text, as the document says; pydantic would also take a
    number of seconds."""
    if not isinstance(value, str | date):
        raise ValueError(_("Write the date as text, such as 2026-03-02T09:00:00Z."))
    return value


# A time is kept in UTC. RFC 3339 allows any offset up to 23:59 (PostgreSQL takes at most 15:59)
# and the first and last days of years 1 and 9999, which in UTC fall outside what Python holds;
# so times are turned to UTC at once, in years 2 to 9998, as the pattern beside the format says.
YEARS_2_TO_9998 = (
    "^(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9])-"
)


def _in_utc(value: datetime) -> datetime:
    if not 2 <= value.year <= 9998:
        raise ValueError(_("Use a time in the years 2 to 9998."))
    return value.astimezone(UTC) if value.tzinfo is not None else value


When = Annotated[
    datetime,
    BeforeValidator(_text_only),
    AfterValidator(_in_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEARS_2_TO_9998}),
]
Day = Annotated[date, BeforeValidator(_text_only)]
# As the search page: its box takes 200 characters, and it shows up to 50 of each.
SEARCH_TEXT_LIMIT = 200
SEARCH_PAGE_SIZE = 20
MAX_SEARCH_RESULTS = 50


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


# Addresses Django's email validation takes (dot-atom local part, a host name with a top-level
# domain of letters), so a caller can tell them before sending.
EMAIL = (
    "^[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(\\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*"
    "@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$"
)
# Handles are taken trimmed, so spaces around them are allowed, within them not.
HANDLE = f"^[{_SPACE}]*[^{_SPACE}]+[{_SPACE}]*$"
# What the document says of each kind's value: the API reads it as Django's email validation,
# phonenumbers' "possible number" (``phone`` is this document's own format: E.164, or a national
# number of the desk's country) and a handle.
IDENTITY_VALUES = {
    IdentityKind.EMAIL: {"pattern": EMAIL},
    IdentityKind.PHONE: {"format": "phone"},
    IdentityKind.SOCIAL: {"pattern": HANDLE},
    IdentityKind.CHAT: {"pattern": HANDLE},
}


# The same rules as the OpenAPI document states them, with the NUL that api.inputs refuses.
DOCUMENTED_PATTERNS = {
    WRITTEN: f"^[^\\x00]*[^\\x00{_SPACE}][^\\x00]*$",
    HANDLE: f"^[{_SPACE}]*[^\\x00{_SPACE}]+[{_SPACE}]*$",
}


def _one_of_the_kinds(schema: dict) -> None:
    schema["oneOf"] = [
        {"properties": {"kind": {"const": kind.value}, "value": value}}
        for kind, value in IDENTITY_VALUES.items()
    ]


class IdentityIn(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of_the_kinds)

    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)

    @field_validator("value")
    @classmethod
    def usable_for_its_kind(cls, value: str, info: ValidationInfo) -> str:
        pattern = IDENTITY_VALUES.get(info.data.get("kind"), {}).get("pattern")
        if pattern and not re.search(pattern, value):
            if pattern == EMAIL:
                raise ValueError(_("Enter a valid email address."))
            raise ValueError(_("Write the handle without spaces."))
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
        # Customers read for a list or a lookup carry theirs (customers.queries.LISTED_IDENTITIES).
        listed = getattr(customer, "listed_identities", None)
        return listed if listed is not None else list(customer.identities.all())

    @staticmethod
    def resolve_merged_into(customer) -> int | None:
        return customer.merged_into_id


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class CustomerCreateIn(Input):
    name: str = Field(max_length=200, pattern=WRITTEN)
    language: Literal[("", *LANGUAGES)] = ""
    country: str = Field(
        "", pattern=f"^$|{COUNTRY}", description="ISO 3166 code, such as PT; empty if not known."
    )
    organization: str = Field("", max_length=200, description="Created when not yet known.")
    identities: list[IdentityIn] = []


class CustomerUpdateIn(Input):
    """Fields left out (or null) stay as they are; identities are only ever added."""

    name: str | None = Field(None, max_length=200, pattern=WRITTEN)
    language: Literal[("", *LANGUAGES)] | None = None
    country: str | None = Field(
        None, pattern=f"^$|{COUNTRY}", description="ISO 3166 code, such as PT; empty if not known."
    )
    notes: str | None = None
    add_identities: list[IdentityIn] = []


class CustomerLookup(Input):
    email: str | None = Field(
        None,
        pattern=EMAIL,
        description="Find the customer with this email address.",
    )
    phone: str | None = Field(
        None,
        min_length=1,
        json_schema_extra=IDENTITY_VALUES[IdentityKind.PHONE],
        description="Find the customer with this phone number.",
    )
    social: str | None = Field(
        None, pattern=HANDLE, description="Find the customer with this social handle."
    )
    cursor: str | None = Field(
        None, json_schema_extra={"format": "cursor"}, description="The next_cursor of a page."
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class PageQuery(Input):
    cursor: str | None = Field(
        None, json_schema_extra={"format": "cursor"}, description="The next_cursor of a page."
    )
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
    team: int | None = Field(
        None, ge=1, le=MAX_ID, description="A team id; by default, all the agent's teams."
    )
    tag: str = ""
    sort: Literal[tuple(SORTS)] = "waiting"
    cursor: str | None = Field(
        None, json_schema_extra={"format": "cursor"}, description="The next_cursor of a page."
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _customer_or_identities(schema: dict) -> None:
    schema["oneOf"] = [
        {
            "required": ["customer_id"],
            "properties": {"customer_id": {"type": "integer"}, "identities": {"maxItems": 0}},
        },
        {
            "required": ["identities"],
            "properties": {"customer_id": {"type": "null"}, "identities": {"minItems": 1}},
        },
    ]


class TicketCreateIn(Input):
    """Either customer_id or identities says who wrote. The same external_id on the same channel
    twice gives back the ticket the first request opened instead of a second one."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_customer_or_identities)

    channel: Channel = Channel.API
    customer_id: Id | None = None
    identities: list[IdentityIn] = []
    customer_name: str = Field("", max_length=200, description="Used for a customer not yet known.")
    subject: str = ""
    body: str = Field(pattern=WRITTEN, description="What the customer said.")
    kind: Kind | None = None
    priority: Priority | None = None
    team_id: Id | None = Field(None, description="One of your teams; by default your first.")
    external_id: str | None = Field(None, min_length=1, max_length=998)

    _body_is_written = field_validator("body")(_required_text)


class TicketDetailsIn(Input):
    kind: Kind | None = None
    priority: Priority | None = None


class StatusIn(Input):
    status: Status


class AssignIn(Input):
    owner: Id | None = Field(description="The id of the agent who takes it; null lets it go.")
    reason: str = ""


class MergeTicketIn(Input):
    into: Id = Field(description="The number of the ticket this one is merged into.")


class MergeCustomerIn(Input):
    absorbed_id: Id = Field(description="The customer merged into this one; it then points here.")


class TagsIn(Input):
    tags: list[Annotated[str, Field(max_length=50, pattern=TAG)]] = Field(
        max_length=50, description="The ticket's tags after the change: letters, digits, - and _."
    )


# Standard base64 (RFC 4648, section 4) with its padding, nothing around it: what the document
# states and what is decoded.
BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class FileIn(Input):
    filename: str = Field(min_length=1, max_length=255, examples=["invoice.pdf"])
    content_type: str = Field("application/octet-stream", max_length=255)
    content_base64: str = Field(pattern=BASE64, description="The file's bytes in base64.")

    def as_file(self) -> InboundFile:
        return InboundFile(
            filename=self.filename,
            content_type=self.content_type,
            content=base64.b64decode(self.content_base64),
        )


def _copies_only_by_email(schema: dict) -> None:
    schema["anyOf"] = [
        {"properties": {"cc": {"maxItems": 0}}},
        {"properties": {"channel": {"enum": [Channel.EMAIL.value, None]}}},
    ]


class ReplyIn(Input):
    """Copies (cc) go only with a reply by email: with channel email, or with no channel on a
    ticket whose reply goes by email (409 otherwise)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_copies_only_by_email)

    body: str = Field(pattern=WRITTEN)
    status: Status = Field(Status.WAITING_ON_CUSTOMER, description="The ticket's status after it.")
    channel: Channel | None = Field(
        None,
        description="How to send it; by default the ticket's own channel. A ticket that came by "
        "web form, API, chat or social network is answered by email.",
    )
    cc: list[Annotated[str, Field(max_length=320, pattern=EMAIL)]] = Field(
        [], max_length=20, description="Addresses to copy an email reply to."
    )
    attachments: list[FileIn] = Field([], max_length=20)

    @field_validator("cc")
    @classmethod
    def copied_by_email(cls, cc: list[str], info: ValidationInfo) -> list[str]:
        if cc and info.data.get("channel") not in (None, Channel.EMAIL):
            raise ValueError(_("Copies can only be sent with a reply by email."))
        return cc


class DeliveryOut(Schema):
    state: Literal["queued", "sent", "failed", "bounced", "delivered", "read"] = Field(
        description="queued: on its way; failed: not sent (see reason); delivered and read where "
        "the channel tells."
    )
    channel: str
    address: str | None = Field(description="Where it goes; null when it cannot be sent.")
    sender: str | None = Field(description="The mailbox or account it leaves from.")
    cc: list[str]
    reason: str = Field(description="Why it was not sent, or what the last attempt met.")


class NoteIn(Input):
    body: str = Field(pattern=WRITTEN)


def _to_someone(schema: dict) -> None:
    schema["anyOf"] = [
        {"required": [target], "properties": {target: {"type": "integer"}}}
        for target in ("to_agent", "to_team")
    ]


class TransferIn(Input):
    """Names an agent, a team, or both (the agent must then be in that team)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_to_someone)

    note: str = Field(
        pattern=WRITTEN,
        description="What the customer needs and what was done; the receiver reads it first.",
    )
    to_agent: Id | None = Field(None, description="An agent's id.")
    to_team: Id | None = Field(None, description="A team's id.")


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int

    @staticmethod
    def resolve_size(attachment) -> int:
        return attachment.blob.size


class SenderCheckOut(Schema):
    verified: bool = Field(description="The receiving mail server vouched for the sender.")
    reason: str = Field(
        description="dmarc_pass, dkim_aligned or spf_aligned when verified; dmarc_fail, no_pass, "
        "no_results, no_sender or not_configured when not."
    )
    spf: str = Field(description="The server's SPF result (pass, fail, softfail...), or empty.")
    dkim: str = Field(description="Its DKIM result, or empty.")
    dmarc: str = Field(description="Its DMARC result, or empty.")


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
    sender_check: SenderCheckOut | None = Field(
        None,
        description="For a message that came by mail: whether the sender is verified (SPF, DKIM, "
        "DMARC as the receiving mail server found them).",
    )

    @staticmethod
    def resolve_ticket(entry) -> int:
        return entry.ticket_id

    @staticmethod
    def resolve_attachments(entry) -> list:
        return list(entry.attachments.all())

    @staticmethod
    def resolve_sender_check(entry) -> dict | None:
        return entry.data.get("authentication")


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
    country: str = Field(pattern=COUNTRY)
    kinds: list[Kind] = Field(min_length=1)
    days: Annotated[int, Ge(1), Le(366), BeforeValidator(_number_only)]
    count: Literal["calendar", "calendar_clear", "working", "business"]
    end_moves_off: list[Literal["saturday", "sunday", "holiday"]] = []
    consequence: Literal["deemed_accepted", "price_cut_or_termination", "late_answer_breach"]
    source: str = Field(max_length=300, pattern=WRITTEN)
    valid_from: Day
    time_zone: Literal[TIME_ZONES]
    condition: str = Field("", max_length=40)
    escalate_days_before: Annotated[int, Ge(0), Le(366), BeforeValidator(_number_only)] = 3


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
    absent_from: When | None = None
    absent_until: When | None = Field(None, description="After absent_from.")
    backup: Id | None = Field(
        None, description="The id of another agent, who stands in while this one is away."
    )


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
    agent: Id | None = Field(
        description="The account owner's agent id; null goes back to the owner of the last ticket.",
    )


class StandingAgentOut(Schema):
    customer_id: int
    standing_agent: AgentRef | None


class TeamOut(Schema):
    id: int
    name: str
    languages: list[str] = Field(description="The languages the team answers in.")
    skills: list[str] = Field(description="The skills the team routes tickets by.")
    assignment_mode: AssignmentMode = Field(description="How new tickets find an owner.")


class TeamPageOut(Schema):
    items: list[TeamOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class AgentOut(Schema):
    id: int
    username: str
    name: str
    role: Role
    active: bool = Field(description="False once the agent was deactivated; they get no tickets.")
    status: AgentStatus
    languages: list[str] = Field(description="The languages the agent speaks.")
    skills: list[str]
    teams: list[TeamRef]

    @staticmethod
    def resolve_name(agent) -> str:
        return agent.display_name

    @staticmethod
    def resolve_active(agent) -> bool:
        return agent.is_active

    @staticmethod
    def resolve_languages(agent) -> list[str]:
        return list(agent.languages_spoken)

    @staticmethod
    def resolve_teams(agent) -> list:
        return list(agent.teams.all())


class AgentPageOut(Schema):
    items: list[AgentOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class AgentFilters(Input):
    team: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only the members of this team (its id)."
    )
    active: bool | None = Field(
        None, description="true: only agents who can be given tickets; false: deactivated ones."
    )
    cursor: str | None = Field(
        None, json_schema_extra={"format": "cursor"}, description="The next_cursor of a page."
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class SearchQuery(Input):
    q: str = Field(
        min_length=1,
        max_length=SEARCH_TEXT_LIMIT,
        description="What the search page takes: a ticket number, a name, an email address, a "
        "phone number or words.",
    )
    limit: int = Field(SEARCH_PAGE_SIZE, ge=1, le=MAX_SEARCH_RESULTS)


class CustomerSearchOut(Schema):
    items: list[CustomerOut] = Field(description="The best matches first.")


class TicketSearchOut(Schema):
    items: list[TicketOut] = Field(description="The best matches first; only tickets you can see.")
