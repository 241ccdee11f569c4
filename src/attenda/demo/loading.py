"""Loads the demo desk: three teams, ten agents, 300 customers and 2,000 tickets over ninety days.
Today's tickets go through the services, as agents and channels make them; the history before
today is written in bulk to the same shape, so the whole desk loads in seconds."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from attenda.agents.models import Agent, Role, Team
from attenda.agents.services import create_agent, create_team
from attenda.channels.email.models import Mailbox
from attenda.core import audit, clock
from attenda.core.models import AuditEntry
from attenda.customers.identities import normalise
from attenda.customers.models import Customer, Identity, IdentityKind, Organization
from attenda.customers.services import IdentityClaim, create_customer, write_search_terms
from attenda.demo.desk_settings import set_assignment, set_service_levels
from attenda.demo.people import (
    AGENT_EMAIL_DOMAIN,
    AGENTS,
    COUNTRY,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LANGUAGE_WEIGHTS,
    LAST_NAMES,
    ORGANIZATIONS,
    SOCIAL_NETWORKS,
    TEAMS,
    ascii_name,
    national_phone_number,
)
from attenda.demo.planning import Desk, plan_ticket, target_status
from attenda.demo.writing import History, carry_out
from attenda.tickets.models import Status

DEMO_LOADED = "demo.loaded"
# Today's share of the tickets, made through the services; the rest is history.
TODAY_SHARE = 0.075


class DemoAlreadyLoaded(Exception):
    pass


@dataclass(frozen=True)
class DemoDesk:
    teams: int
    agents: int
    customers: int
    tickets: int
    # (username, role) of every demo agent; they all share the password given to load_demo().
    logins: list[tuple[str, str]]


def is_loaded() -> bool:
    return AuditEntry.objects.filter(action=DEMO_LOADED).exists()


@transaction.atomic
def load_demo(
    *, password: str, customers: int = 300, tickets: int = 2000, seed: int = 2025
) -> DemoDesk:
    """All or nothing. Raises DemoAlreadyLoaded the second time."""
    if is_loaded():
        raise DemoAlreadyLoaded
    rng = random.Random(seed)  # noqa: S311 - demo data wants repeatable runs, not secrecy.
    now = clock.now()
    teams = {spec.key: create_team(name=spec.name, actor=None) for spec in TEAMS}
    agents = [
        create_agent(
            username=spec.username,
            password=password if spec is AGENTS[0] else None,
            email=f"{spec.username}@{AGENT_EMAIL_DOMAIN}",
            full_name=spec.full_name,
            role=spec.role,
            language=spec.language,
            time_zone=spec.time_zone,
            languages_spoken=spec.languages_spoken,
            teams=[teams[key] for key in spec.teams],
            actor=None,
        )
        for spec in AGENTS
    ]
    # Password hashing is slow on purpose; the agents share one demo password, so hash it once.
    Agent.objects.filter(pk__in=[agent.pk for agent in agents[1:]]).update(
        password=agents[0].password
    )
    # Replies leave from here; `attenda serve --demo` puts what it sends in the demo outbox.
    Mailbox.objects.create(
        address=f"support@{AGENT_EMAIL_DOMAIN}", name="Lumen Support", language="en"
    )
    desk = Desk(
        teams=teams,
        members={
            team.pk: [agent for agent in agents if team.pk in agent.team_ids()]
            for team in teams.values()
        },
    )
    people = _People(rng, now)
    newcomers = max(1, customers // 15)
    regulars = people.regulars(customers - newcomers)
    arrivals = [people.newcomer(registered_by=rng.choice(agents[1:])) for _ in range(newcomers)]

    today = min(tickets, max(1, round(tickets * TODAY_SHARE)))
    history = History()
    # Most customers write now and then; a few write often.
    activity = [rng.lognormvariate(0, 0.6) for _ in regulars]
    for _ in range(tickets - today):
        opened_at = _opened_at(rng, now)
        customer, addresses = rng.choices(regulars, weights=activity)[0]
        history.write(
            plan_ticket(
                rng,
                desk,
                customer=customer,
                addresses=addresses,
                opened_at=opened_at,
                until=now - timedelta(minutes=1),
                status=target_status(rng, now - opened_at),
            )
        )
    history.save()
    admin = next(agent for agent in agents if agent.role == Role.ADMIN)
    set_service_levels(teams=teams, admin=admin)

    everyone = regulars + arrivals
    todays = []
    for number in range(today):
        customer, addresses = arrivals[number] if number < len(arrivals) else rng.choice(everyone)
        todays.append(
            plan_ticket(
                rng,
                desk,
                customer=customer,
                addresses=addresses,
                opened_at=now - timedelta(minutes=rng.uniform(5, 9 * 60)),
                until=now + timedelta(days=365),
                status=rng.choices(
                    [
                        Status.NEW,
                        Status.OPEN,
                        Status.WAITING_ON_CUSTOMER,
                        Status.WAITING_ON_THIRD_PARTY,
                        Status.SOLVED,
                        Status.CLOSED,
                    ],
                    weights=(25, 25, 25, 10, 10, 5),
                )[0],
            )
        )
    for plan in sorted(todays, key=lambda plan: plan.opened_at):
        carry_out(plan)

    set_assignment(teams=teams, agents=agents, admin=admin)
    audit.record(actor=None, action=DEMO_LOADED, target=admin, customers=customers, tickets=tickets)
    return DemoDesk(
        teams=Team.objects.filter(pk__in=[team.pk for team in teams.values()]).count(),
        agents=len(agents),
        customers=len(everyone),
        tickets=tickets,
        logins=[(agent.username, agent.get_role_display()) for agent in agents],
    )


def _opened_at(rng: random.Random, now: datetime) -> datetime:
    """Within the last ninety days, in office hours, fewer at weekends."""
    while True:
        day = now - timedelta(days=rng.uniform(0.5, 90))
        if day.weekday() >= 5 and rng.random() < 0.6:
            continue
        moment = day.replace(
            hour=int(rng.triangular(7, 21, 10)),
            minute=rng.randint(0, 59),
            second=rng.randint(0, 59),
        )
        if moment < now - timedelta(hours=12):
            return moment


class _People:
    """Makes customers with names, addresses and numbers that belong to their country."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.taken = set(
            Identity.objects.filter(kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE]).values_list(
                "value", flat=True
            )
        )
        self.made = 0

    def _language(self) -> str:
        # The first five cover every language, so even a small demo has them all.
        self.made += 1
        if self.made <= len(LANGUAGE_WEIGHTS):
            return list(LANGUAGE_WEIGHTS)[self.made - 1]
        return self.rng.choices(list(LANGUAGE_WEIGHTS), weights=LANGUAGE_WEIGHTS.values())[0]

    def _unique(self, make) -> str:
        while (value := make()) in self.taken:
            continue
        self.taken.add(value)
        return value

    def _person(self) -> dict:
        rng = self.rng
        language = self._language()
        first = rng.choice(FIRST_NAMES[language].split())
        last = rng.choice(LAST_NAMES[language].split())
        if language == "es" and rng.random() < 0.6:
            last = f"{last} {rng.choice(LAST_NAMES['es'].split())}"
        domain = rng.choice(EMAIL_DOMAINS[language])
        email = self._unique(
            lambda: (
                f"{ascii_name(first)}.{ascii_name(last.split()[0])}"
                f"{rng.choice(['', '', str(rng.randint(1, 99))])}@{domain}"
            )
        )
        country = COUNTRY[language]
        raw_phone = national_phone_number(rng, language)
        while normalise(IdentityKind.PHONE, raw_phone, region=country) in self.taken:
            raw_phone = national_phone_number(rng, language)
        self.taken.add(normalise(IdentityKind.PHONE, raw_phone, region=country))
        social = None
        if rng.random() < 0.4:
            social = (
                f"{rng.choice(SOCIAL_NETWORKS)}:{ascii_name(first)}_{ascii_name(last)}"
                f"{rng.randint(1, 999)}"
            ).replace(".", "_")
        organization = rng.choice(ORGANIZATIONS[language]) if rng.random() < 0.15 else ""
        return {
            "name": f"{first} {last}",
            "language": language,
            "country": country,
            "email": email,
            "phone": raw_phone,
            "social": social,
            "organization": organization,
        }

    def regulars(self, count: int) -> list[tuple[Customer, dict[str, str]]]:
        """Long-standing customers, written in bulk as create_customer() leaves them."""
        people = [self._person() for _ in range(count)]
        names = sorted({person["organization"] for person in people if person["organization"]})
        organizations = {org.name: org for org in Organization.objects.filter(name__in=names)}
        organizations.update(
            (org.name, org)
            for org in Organization.objects.bulk_create(
                Organization(name=name, created_at=self.now - timedelta(days=720))
                for name in names
                if name not in organizations
            )
        )
        joined = [self.now - timedelta(days=self.rng.uniform(91, 1500)) for _ in people]
        customers = Customer.objects.bulk_create(
            Customer(
                name=person["name"],
                language=person["language"],
                country=person["country"],
                organization=organizations.get(person["organization"]),
                created_at=when,
                updated_at=when,
            )
            for person, when in zip(people, joined, strict=True)
        )
        identities = []
        for customer, person in zip(customers, people, strict=True):
            identities.append(
                Identity(
                    customer=customer,
                    kind=IdentityKind.EMAIL,
                    value=normalise(IdentityKind.EMAIL, person["email"]),
                    created_at=customer.created_at,
                )
            )
            identities.append(
                Identity(
                    customer=customer,
                    kind=IdentityKind.PHONE,
                    value=normalise(IdentityKind.PHONE, person["phone"], region=person["country"]),
                    created_at=customer.created_at,
                )
            )
            if person["social"]:
                identities.append(
                    Identity(
                        customer=customer,
                        kind=IdentityKind.SOCIAL,
                        value=normalise(IdentityKind.SOCIAL, person["social"]),
                        created_at=customer.created_at,
                    )
                )
        Identity.objects.bulk_create(identities, batch_size=1000)
        write_search_terms(customers=customers)
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action="customer.created",
                object_type=Customer._meta.label_lower,
                object_id=str(customer.pk),
                created_at=customer.created_at,
            )
            for customer in customers
        )
        return [
            (customer, _addresses(person))
            for customer, person in zip(customers, people, strict=True)
        ]

    def newcomer(self, *, registered_by: Agent) -> tuple[Customer, dict[str, str]]:
        """A customer an agent registers today, through create_customer()."""
        person = self._person()
        claims = [
            IdentityClaim(kind=IdentityKind.EMAIL, value=person["email"]),
            IdentityClaim(kind=IdentityKind.PHONE, value=person["phone"]),
        ]
        if person["social"]:
            claims.append(IdentityClaim(kind=IdentityKind.SOCIAL, value=person["social"]))
        customer = create_customer(
            name=person["name"],
            claims=claims,
            language=person["language"],
            country=person["country"],
            organization_name=person["organization"],
            region=person["country"],
            actor=registered_by,
        )
        return customer, _addresses(person)


def _addresses(person: dict) -> dict[str, str]:
    addresses = {"email": person["email"]}
    if person["social"]:
        addresses["social"] = person["social"]
    return addresses
