"""What happens to each demo ticket, decided before anything is written: who opens it on which
channel, who takes it, what is said, whether it is handed on, and where it stands today. The same
plan is carried out either through the services or in bulk (see ``writing``)."""

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from attenda.agents.models import Agent, Team
from attenda.customers.models import Customer
from attenda.demo.conversations import CALL_PREFIX, SCENARIOS, VISIT_PREFIX, Scenario
from attenda.demo.people import amount
from attenda.tickets.models import Channel, Kind, Priority, Status

CHANNEL_WEIGHTS = {
    Channel.EMAIL: 28,
    Channel.PHONE: 24,
    Channel.CHAT: 12,
    Channel.WEB: 12,
    Channel.COUNTER: 8,
    Channel.SOCIAL: 10,
    Channel.API: 6,
}
IN_PERSON = (Channel.PHONE, Channel.COUNTER)
# The desk's working hours in UTC: roughly the working day from Lisbon to Bucharest.
OPENING_HOUR = 8
CLOSING_HOUR = 20


class Action(Enum):
    ASSIGN = "assign"
    TAG = "tag"
    NOTE = "note"
    REPLY = "reply"
    CONTACT = "contact"
    TRANSFER = "transfer"
    ACKNOWLEDGE = "acknowledge"
    STATUS = "status"
    DETAILS = "details"


@dataclass(frozen=True)
class Step:
    action: Action
    at: datetime
    agent: Agent | None
    body: str = ""
    status: Status | None = None
    channel: Channel | None = None
    to_team: Team | None = None
    to_agent: Agent | None = None
    tags: tuple[str, ...] = ()
    kind: Kind | None = None
    priority: Priority | None = None
    external_id: str | None = None


@dataclass
class TicketPlan:
    customer: Customer
    # The address the customer writes from on this channel (email or social handle).
    claim_kind: str
    claim_value: str
    language: str
    scenario: Scenario
    channel: Channel
    team: Team
    kind: Kind
    priority: Priority
    opened_at: datetime
    subject: str
    body: str
    logged_by: Agent | None
    external_id: str | None
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Desk:
    teams: dict[str, Team]
    members: dict[int, list[Agent]]

    def pick(self, rng: random.Random, team: Team, language: str) -> Agent:
        """Someone in the team who speaks the customer's language, when the team has one."""
        members = self.members[team.pk]
        speakers = [agent for agent in members if language in agent.languages_spoken]
        return rng.choice(speakers or members)


class OutOfTime(Exception):
    """The plan reached the present: the ticket stands wherever it got to."""


class Timeline:
    def __init__(self, rng: random.Random, start: datetime, until: datetime) -> None:
        self.rng = rng
        self.moment = start
        self.until = until

    def later(self, least_minutes: float, most_minutes: float, *, desk: bool = True) -> datetime:
        """The next moment; the desk works from 8:00 to 20:00, customers write at any hour."""
        moment = self.moment + timedelta(minutes=self.rng.uniform(least_minutes, most_minutes))
        if desk and not OPENING_HOUR <= moment.hour < CLOSING_HOUR:
            next_morning = moment if moment.hour < OPENING_HOUR else moment + timedelta(days=1)
            moment = next_morning.replace(
                hour=OPENING_HOUR + self.rng.randint(0, 2),
                minute=self.rng.randint(0, 59),
                second=self.rng.randint(0, 59),
            )
        if moment > self.until:
            raise OutOfTime
        self.moment = moment
        return moment


LEGAL_KINDS = (Kind.COMPLAINT, Kind.WARRANTY_CLAIM)
STILL_OPEN = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY)
# The shortest statutory period is 5 business days (ES, money charged wrongly); past this age an
# open complaint would be at risk or late. Today's tickets are planned until a year ahead, older
# than this by construction, and are young: they stay as drawn.
LEGAL_MARGIN = timedelta(days=5)
TODAY_HORIZON = timedelta(days=300)


def target_status(rng: random.Random, age: timedelta) -> Status:
    """Old matters are mostly settled; the last days' are mostly still being worked."""
    if age > timedelta(days=21):
        weights = (1, 3, 4, 4, 33, 55)
    elif age > timedelta(days=3):
        weights = (8, 15, 20, 12, 30, 15)
    else:
        weights = (20, 25, 28, 10, 15, 2)
    return rng.choices(
        [
            Status.NEW,
            Status.OPEN,
            Status.WAITING_ON_CUSTOMER,
            Status.WAITING_ON_THIRD_PARTY,
            Status.SOLVED,
            Status.CLOSED,
        ],
        weights=weights,
    )[0]


def message_id(rng: random.Random, address: str) -> str:
    domain = address.rpartition("@")[2] or "example.com"
    return f"<{uuid.UUID(int=rng.getrandbits(128)).hex}@mail.{domain}>"


def plan_ticket(
    rng: random.Random,
    desk: Desk,
    *,
    customer: Customer,
    addresses: dict[str, str],
    opened_at: datetime,
    until: datetime,
    status: Status,
) -> TicketPlan:
    language = customer.language
    scenario = rng.choices(SCENARIOS, weights=[scenario.weight for scenario in SCENARIOS])[0]
    if (
        scenario.kind in LEGAL_KINDS
        and status in STILL_OPEN
        and LEGAL_MARGIN < until - opened_at < TODAY_HORIZON
        and rng.random() < 0.95
    ):
        # A desk that keeps the law: complaints and warranty claims near or past their statutory
        # deadline are mostly settled; the few left are the ones the page shows at risk.
        status = Status.SOLVED
    conversation = scenario.texts[language]
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    if channel == Channel.SOCIAL and "social" not in addresses:
        channel = Channel.CHAT
    claim_kind = "social" if channel == Channel.SOCIAL else "email"
    home_team = desk.teams[scenario.team]
    misrouted = rng.random() < (0.05 if status == Status.NEW else 0.12)
    first_team = (
        rng.choice([team for team in desk.teams.values() if team != home_team])
        if misrouted
        else home_team
    )
    values = {
        "first_name": customer.name.split()[0],
        "amount": amount(rng, language),
        "reference": f"{rng.choice('ABCDEFGHKLMNPRSTVW')}{rng.choice('ABCDEFGHKLMNPRSTVW')}"
        f"-{rng.randint(100000, 999999)}",
    }
    owner = desk.pick(rng, first_team, language)

    def text(template: str, agent: Agent | None = None) -> str:
        return template.format(**values, agent=agent.first_name if agent else "")

    def said(template: str, contact_channel: Channel) -> str:
        if contact_channel == Channel.PHONE:
            return CALL_PREFIX[language] + text(template)
        if contact_channel == Channel.COUNTER:
            return VISIT_PREFIX[language] + text(template)
        return text(template)

    priority = scenario.priority
    if scenario.key == "outage" and rng.random() < 0.3:
        priority = Priority.URGENT
    elif scenario.priority == Priority.NORMAL:
        priority = rng.choices([Priority.LOW, Priority.NORMAL, Priority.HIGH], weights=(1, 8, 1))[0]
    plan = TicketPlan(
        customer=customer,
        claim_kind=claim_kind,
        claim_value=addresses[claim_kind],
        language=language,
        scenario=scenario,
        channel=channel,
        team=first_team,
        kind=scenario.kind,
        priority=priority,
        opened_at=opened_at,
        subject=conversation.subject,
        body=said(conversation.message, channel),
        logged_by=owner if channel in IN_PERSON else None,
        external_id=message_id(rng, addresses["email"]) if channel == Channel.EMAIL else None,
    )
    steps = plan.steps
    timeline = Timeline(rng, opened_at, until)

    def contact(agent: Agent) -> Step:
        """The customer answers: on the ticket's channel, or by picking up the phone."""
        contact_channel = channel
        if channel not in IN_PERSON:
            contact_channel = rng.choices(
                [channel, Channel.PHONE, Channel.COUNTER], weights=(75, 20, 5)
            )[0]
        return Step(
            Action.CONTACT,
            timeline.later(30, 3 * 24 * 60, desk=contact_channel in IN_PERSON),
            agent if contact_channel in IN_PERSON else None,
            body=said(conversation.followup, contact_channel),
            channel=contact_channel,
            external_id=message_id(rng, addresses["email"])
            if contact_channel == Channel.EMAIL
            else None,
        )

    try:
        if channel in IN_PERSON:
            # A logged call or visit opens as a question; the agent then says what it really is.
            steps.append(
                Step(
                    Action.DETAILS,
                    timeline.later(1, 5),
                    owner,
                    kind=scenario.kind,
                    priority=priority,
                )
            )
        if status == Status.NEW:
            if rng.random() < 0.3:
                steps.append(Step(Action.TAG, timeline.later(5, 120), owner, tags=scenario.tags))
            if misrouted:
                steps.append(
                    Step(
                        Action.TRANSFER,
                        timeline.later(5, 240),
                        owner,
                        body=text(conversation.handoff),
                        to_team=home_team,
                    )
                )
            return plan
        steps.append(Step(Action.ASSIGN, timeline.later(2, 180), owner))
        if rng.random() < 0.6:
            extra = rng.choice(["vip", "callback", "repeat-contact", ""])
            steps.append(
                Step(
                    Action.TAG,
                    timeline.later(1, 15),
                    owner,
                    tags=tuple(tag for tag in (*scenario.tags, extra) if tag),
                )
            )
        if misrouted:
            receiver = desk.pick(rng, home_team, language)
            named = rng.random() < 0.5
            steps.append(
                Step(
                    Action.TRANSFER,
                    timeline.later(10, 600),
                    owner,
                    body=text(conversation.handoff),
                    to_team=home_team,
                    to_agent=receiver if named else None,
                )
            )
            if status == Status.OPEN and rng.random() < 0.4:
                return plan
            if not named:
                steps.append(Step(Action.ASSIGN, timeline.later(5, 240), receiver))
            steps.append(Step(Action.ACKNOWLEDGE, timeline.later(1, 10), receiver))
            owner = receiver
        if rng.random() < 0.08:
            raised = Priority.URGENT if priority >= Priority.HIGH else Priority.HIGH
            steps.append(Step(Action.DETAILS, timeline.later(5, 60), owner, priority=raised))
        noted = rng.random() < 0.35 or status == Status.WAITING_ON_THIRD_PARTY
        if noted:
            steps.append(
                Step(Action.NOTE, timeline.later(5, 90), owner, body=text(conversation.note))
            )
        if status == Status.OPEN and rng.random() < 0.5:
            steps.append(Step(Action.STATUS, timeline.later(5, 120), owner, status=Status.OPEN))
            return plan
        first_reply_status = (
            Status.WAITING_ON_THIRD_PARTY
            if status == Status.WAITING_ON_THIRD_PARTY
            else Status.WAITING_ON_CUSTOMER
        )
        steps.append(
            Step(
                Action.REPLY,
                timeline.later(10, 26 * 60),
                owner,
                body=text(conversation.reply, owner),
                status=first_reply_status,
            )
        )
        if status in (Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY):
            return plan
        steps.append(contact(owner))
        if status == Status.OPEN:
            return plan
        steps.append(
            Step(
                Action.REPLY,
                timeline.later(60, 2 * 24 * 60),
                owner,
                body=text(conversation.resolution, owner),
                status=Status.SOLVED,
            )
        )
        if status == Status.CLOSED:
            steps.append(
                Step(
                    Action.STATUS,
                    timeline.later(3 * 24 * 60, 7 * 24 * 60),
                    owner,
                    status=Status.CLOSED,
                )
            )
    except OutOfTime:
        pass
    return plan
