"""Who gets a new ticket: the customer's own agent, then language and skill, then the least busy or
the next in turn within capacity, else the team queue; each decision on the timeline with its reason."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from attenda.agents.models import AgentStatus, AssignmentMode, Skill
from attenda.agents.queries import Member, team_routing
from attenda.core.models import AuditEntry
from attenda.routing.assignment import (
    Decision,
    Rule,
    Situation,
    assign_automatically,
    decide,
    situation_of,
)
from attenda.tickets.forms import Colleagues
from attenda.tickets.headlines import headline
from attenda.tickets.models import Channel, EntryKind, Kind, Status, Ticket
from attenda.tickets.services import assign, log_contact, set_status
from tests.agents.factories import AgentFactory, TeamFactory
from tests.customers.factories import CustomerFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def member(pk: int, *, available=True, languages=("pt",), skills=(), backup_id=None) -> Member:
    return Member(
        pk=pk,
        name=f"Agent {pk}",
        available=available,
        languages=tuple(languages),
        skills=tuple(skills),
        backup_id=backup_id,
        load=0,
    )


def situation(*members: Member, **fields) -> Situation:
    defaults = {
        "mode": AssignmentMode.LOAD_BALANCED,
        "capacity": 5,
        "team_skills": (Skill.COMPLAINTS, Skill.BILLING),
        "cursor": None,
        "language": "pt",
        "kind": Kind.QUESTION,
        "members": {each.pk: each for each in members},
        "loads": {},
    }
    return Situation(**{**defaults, **fields})


def test_a_ticket_goes_to_an_agent_who_speaks_its_language():
    decision = decide(
        situation(member(1, languages=["en"]), member(2, languages=["pl", "en"]), language="pl")
    )

    assert decision == Decision(
        owner_id=2, rule=Rule.QUALIFIED, details={"language": "pl", "skill": ""}
    )


def test_a_complaint_goes_to_an_agent_with_the_complaints_skill_in_its_language():
    team = situation(
        member(1, languages=["pt"], skills=[Skill.BILLING]),
        member(2, languages=["es"], skills=[Skill.COMPLAINTS]),
        member(3, languages=["pt"], skills=[Skill.COMPLAINTS]),
        kind=Kind.COMPLAINT,
        loads={3: 4},
    )

    assert decide(team).owner_id == 3


def test_a_skill_the_team_does_not_route_by_is_not_asked_for():
    team = situation(
        member(1, skills=[]),
        member(2, skills=[Skill.TECHNICAL]),
        kind=Kind.TECHNICAL_SERVICE,
        loads={2: 3},
    )

    assert decide(team) == Decision(
        owner_id=1, rule=Rule.QUALIFIED, details={"language": "pt", "skill": ""}
    )


def test_with_nobody_qualified_the_least_loaded_agent_gets_it():
    team = situation(
        member(1, languages=["en"]), member(2, languages=["en"]), language="ro", loads={1: 3, 2: 1}
    )

    assert decide(team) == Decision(owner_id=2, rule=Rule.LEAST_LOADED)


def test_agents_at_capacity_are_passed_over_and_a_full_team_keeps_the_ticket_queued():
    room = situation(member(1), member(2), capacity=2, loads={1: 2, 2: 1})
    full = situation(member(1), member(2), capacity=2, loads={1: 2, 2: 2})

    assert decide(room).owner_id == 2
    assert decide(full) == Decision(owner_id=None, rule=Rule.EVERYONE_FULL, details={"capacity": 2})


def test_round_robin_gives_each_available_agent_a_turn_whatever_their_load():
    agents = [member(1), member(2, available=False), member(3), member(4)]
    turns = []
    cursor = None
    for _round in range(4):
        decision = decide(
            situation(*agents, mode=AssignmentMode.ROUND_ROBIN, cursor=cursor, loads={1: 4})
        )
        cursor = decision.owner_id
        turns.append(cursor)

    assert turns == [1, 3, 4, 1]


def test_load_balanced_takes_turns_among_equally_loaded_agents():
    agents = [member(1), member(2), member(3)]

    first = decide(situation(*agents, loads={1: 2, 2: 1, 3: 1}))
    second = decide(situation(*agents, loads={1: 2, 2: 1, 3: 1}, cursor=first.owner_id))

    assert (first.owner_id, second.owner_id) == (2, 3)


def test_a_manual_team_leaves_new_tickets_in_its_queue_unless_asked():
    team = situation(member(1), mode=AssignmentMode.MANUAL)

    assert decide(team) == Decision(owner_id=None, rule=Rule.MANUAL)
    assert decide(team, on_demand=True).owner_id == 1


def test_the_customers_agent_comes_first_even_over_capacity_then_their_backup():
    agents = [member(1), member(2, available=False, backup_id=3), member(3)]

    assert decide(situation(*agents, standing_agent_id=1, loads={1: 9})).rule == Rule.STANDING_AGENT
    assert decide(situation(*agents, standing_agent_id=2, standing_backup_id=3)) == Decision(
        owner_id=3, rule=Rule.BACKUP, details={"for": 2}
    )


def test_nobody_available_keeps_the_ticket_queued():
    decision = decide(situation(member(1, available=False), standing_agent_id=1))

    assert decision == Decision(owner_id=None, rule=Rule.NOBODY_AVAILABLE)


# Through receive(), the way tickets arrive


@pytest.fixture
def routed_team(db):
    return TeamFactory(
        name="Reclamações",
        assignment_mode=AssignmentMode.LOAD_BALANCED,
        skills=[Skill.COMPLAINTS],
        languages=["pt", "es"],
        capacity=3,
    )


@pytest.fixture
def ana(routed_team):
    return AgentFactory(
        username="ana", first_name="Ana", languages_spoken=["pt"], teams=[routed_team]
    )


@pytest.fixture
def rui(routed_team):
    return AgentFactory(
        username="rui",
        first_name="Rui",
        languages_spoken=["pt", "es"],
        skills=[Skill.COMPLAINTS],
        teams=[routed_team],
    )


def reason_of(ticket: Ticket) -> str:
    entry = ticket.timeline.filter(kind=EntryKind.ASSIGNMENT).latest("created_at", "id")
    return headline(entry, Colleagues.around(ticket))


def test_a_new_complaint_is_assigned_with_its_reason_on_the_timeline(routed_team, ana, rui):
    ticket = received_ticket(team=routed_team, kind=Kind.COMPLAINT, language="pt")

    assert ticket.owner == rui
    assert (
        reason_of(ticket) == "Assigned to Rui, who speaks Portuguese and has the skill Complaints."
    )
    assert AuditEntry.objects.filter(action="ticket.routed", object_id=str(ticket.pk)).exists()


def test_a_returning_customer_gets_the_owner_of_their_last_ticket(routed_team, ana, rui):
    first = received_ticket(team=routed_team, email="joana@example.com", subject="Primeira")
    assign(ticket=first, owner=ana, actor=ana)

    second = received_ticket(
        team=routed_team, email="joana@example.com", subject="Segunda", kind=Kind.COMPLAINT
    )

    assert second.owner == ana
    assert reason_of(second) == "Assigned to Ana, the customer's agent."


def test_the_account_owner_set_on_the_customer_wins_over_the_last_owner(routed_team, ana, rui):
    customer = CustomerFactory(standing_agent=rui)
    earlier = log_contact(
        agent=ana, customer=customer, channel=Channel.PHONE, body="Olá", team=routed_team
    ).ticket
    assign(ticket=earlier, owner=ana, actor=ana)

    received = log_contact(
        agent=ana, customer=customer, channel=Channel.PHONE, body="Outra vez", team=routed_team
    )

    assert received.ticket.owner == rui


def test_an_absent_agents_customers_go_to_their_backup(routed_team, ana, rui):
    ana.backup = rui
    ana.absent_from = NOW - timedelta(days=1)
    ana.absent_until = NOW + timedelta(days=6)
    ana.save()
    customer = CustomerFactory(standing_agent=ana)

    with time_machine.travel(NOW, tick=False):
        ticket = log_contact(
            agent=ana,
            customer=customer,
            channel=Channel.COUNTER,
            body="Vim ao balcão",
            team=routed_team,
        ).ticket

    assert ticket.owner == rui
    assert reason_of(ticket) == (
        "Assigned to Rui, backup of Ana, the customer's agent, who is not available."
    )


def test_an_agent_back_from_absence_gets_their_customers_again(routed_team, ana, rui):
    ana.backup = rui
    ana.absent_until = NOW
    ana.save()
    customer = CustomerFactory(standing_agent=ana)

    with time_machine.travel(NOW, tick=False):
        ticket = log_contact(
            agent=rui, customer=customer, channel=Channel.PHONE, body="Olá", team=routed_team
        ).ticket

    assert ticket.owner == ana


def test_a_reopened_ticket_goes_back_to_its_previous_owner(routed_team, ana, rui):
    ticket = received_ticket(team=routed_team, language="es")
    assign(ticket=ticket, owner=ana, actor=ana)
    set_status(ticket=ticket, status=Status.SOLVED, actor=ana)

    reopened = received_ticket(
        team=routed_team, language="es", ticket_number=ticket.pk, body="Afinal não ficou resolvido."
    )

    assert reopened.pk == ticket.pk
    assert Ticket.objects.get(pk=ticket.pk).owner == ana
    assert reason_of(reopened) == "Back with Ana, who handled it before."


def test_a_reopened_ticket_of_an_away_owner_goes_to_their_backup(routed_team, ana, rui):
    ticket = received_ticket(team=routed_team)
    assign(ticket=ticket, owner=ana, actor=ana)
    set_status(ticket=ticket, status=Status.SOLVED, actor=ana)
    ana.backup = rui
    ana.status = AgentStatus.AWAY
    ana.save()

    received_ticket(team=routed_team, ticket_number=ticket.pk, body="Outra vez.")

    assert Ticket.objects.get(pk=ticket.pk).owner == rui


def test_a_message_on_an_open_ticket_leaves_its_owner_alone(routed_team, ana, rui):
    ticket = received_ticket(team=routed_team)
    assign(ticket=ticket, owner=ana, actor=ana)
    ana.status = AgentStatus.OFFLINE
    ana.save()

    received_ticket(team=routed_team, ticket_number=ticket.pk, body="Mais uma coisa.")

    assert Ticket.objects.get(pk=ticket.pk).owner == ana


def test_with_everyone_offline_the_ticket_waits_in_the_queue_with_the_reason(routed_team, ana, rui):
    for person in (ana, rui):
        person.status = AgentStatus.OFFLINE
        person.save()

    ticket = received_ticket(team=routed_team)

    assert ticket.owner is None
    assert reason_of(ticket) == (
        "Left in the queue of Reclamações: no agent of the team is available."
    )


def test_a_manual_team_writes_nothing_and_leaves_the_ticket_unassigned(team, agent):
    ticket = received_ticket(team=team)

    assert ticket.owner is None
    assert not ticket.timeline.filter(kind=EntryKind.ASSIGNMENT).exists()


def test_a_round_robin_team_remembers_whose_turn_it_is(routed_team, ana, rui):
    routed_team.assignment_mode = AssignmentMode.ROUND_ROBIN
    routed_team.save()

    owners = [
        # In English, which nobody in the team speaks: the turn decides, not the language.
        received_ticket(
            team=routed_team,
            email=f"c{number}@example.com",
            subject="October invoice",
            body="My invoice for October is wrong, please correct it.",
            language="",
        ).owner
        for number in range(3)
    ]

    assert owners == [ana, rui, ana]
    assert reason_of(Ticket.objects.latest("pk")) == "Assigned to Ana, next in turn in Reclamações."


def test_a_decision_reads_a_fixed_number_of_queries(
    routed_team, ana, rui, django_assert_num_queries
):
    """The team with its members and their loads, and the customer's last owner with the backup of
    that owner, who is no longer in the team: two reads, however many agents and tickets."""
    for number in range(5):
        AgentFactory(username=f"extra{number}", languages_spoken=["pt"], teams=[routed_team])
    outsider = AgentFactory(username="gone", backup=ana)
    earlier = received_ticket(team=routed_team, email="joana@example.com")
    Ticket.objects.filter(pk=earlier.pk).update(owner=outsider)
    for number in range(8):
        assign(
            ticket=received_ticket(team=routed_team, email=f"x{number}@example.com"),
            owner=rui,
            actor=rui,
        )
    ticket = received_ticket(team=routed_team, email="joana@example.com", subject="Nova")
    ticket = Ticket.objects.select_related("customer").get(pk=ticket.pk)

    with django_assert_num_queries(2):
        decision = decide(situation_of(ticket, team_routing(routed_team.pk, at=NOW), at=NOW))

    assert decision == Decision(owner_id=ana.pk, rule=Rule.BACKUP, details={"for": outsider.pk})


# On demand and overrides


def test_assign_automatically_chooses_for_a_manual_team(team, agent, colleague):
    agent.languages_spoken = ["pt"]
    agent.save()
    ticket = received_ticket(team=team)

    decision = assign_automatically(ticket=ticket, actor=colleague)

    assert decision.owner_id == agent.pk
    assert Ticket.objects.get(pk=ticket.pk).owner == agent


def test_an_agent_cannot_have_a_colleagues_ticket_reassigned(team, agent, colleague):
    ticket = received_ticket(team=team)
    assign(ticket=ticket, owner=colleague, actor=colleague)
    entries = ticket.timeline.count()

    with pytest.raises(PermissionDenied):
        assign_automatically(ticket=ticket, actor=agent)

    assert Ticket.objects.get(pk=ticket.pk).owner == colleague
    assert ticket.timeline.count() == entries


def test_a_supervisor_override_is_written_as_such(routed_team, ana, rui):
    supervisor = AgentFactory(
        username="sofia", first_name="Sofia", role="supervisor", teams=[routed_team]
    )
    ticket = received_ticket(team=routed_team, kind=Kind.COMPLAINT)

    assign(ticket=ticket, owner=ana, actor=supervisor)

    assert reason_of(ticket) == "Sofia overrode the assignment and gave the ticket to Ana."
