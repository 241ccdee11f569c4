"""The inbox and the ticket page cost the same number of queries however many tickets, rows, tags
and timeline entries there are. The counts include the session and the agent's own row.

Inbox (5): session, agent, the agent's teams (for the team filter, and their ids for the lists) with
the agents the bulk action can give tickets to, the page of tickets (owner joined, their tags' names
with each), and the bounded counts of every view.
Ticket page (14): session, agent, the agent's team ids, the ticket (customer, organization, owner
and team joined, its tags' names and whether any ticket was merged into it), the customer's
identities, the timeline (authors joined; the pinned hand-off note is among its entries), the
entries' attachments, the customer's other tickets, who else is on the ticket, every agent and
every team in one (for the assign and transfer forms and the timeline's names), triage's one (the ticket's
suggestion with its open supervisor flag, whether the customer is flagged for abuse, and which of
the shown messages are abusive and not yet revealed to the agent), and how a reply would reach the
customer.
"""

import pytest

from attenda.customers.services import IdentityClaim
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Channel, Status
from attenda.tickets.services import (
    add_note,
    assign,
    mark_presence,
    merge_tickets,
    receive,
    reply,
    set_status,
    set_tags,
    transfer,
)
from tests.agents.factories import AgentFactory
from tests.routing.factories import ServiceLevelPolicyFactory
from tests.tickets.factories import received_ticket

pytestmark = pytest.mark.django_db

INBOX_QUERIES = 5
# Three of them say how a reply would reach the customer: the email route (the mailbox with the
# customer's last address in one; their identities are the page's), and as the ticket has no mailbox
# to answer from, chat and the messaging apps, each asked once whether they reach the customer.
TICKET_PAGE_QUERIES = 14
# A ticket others were merged into reads their ids before its timeline.
MERGED_TICKET_PAGE_QUERIES = TICKET_PAGE_QUERIES + 1
# The pinned hand-off note is read from the entries shown, so a ticket without one costs the same.
UNPINNED_TICKET_PAGE_QUERIES = TICKET_PAGE_QUERIES


def tickets_in_every_tab(agent, team, count: int) -> None:
    """``count`` tickets in each tab: the agent's, unassigned, waiting and solved; all tagged."""
    for number in range(count):
        mine, unassigned, waiting, solved = (
            received_ticket(team=team, email=f"{tab}{number}@example.com")
            for tab in ("mine", "unassigned", "waiting", "solved")
        )
        assign(ticket=mine, owner=agent, actor=agent)
        set_status(ticket=waiting, status=Status.WAITING_ON_CUSTOMER, actor=agent)
        set_status(ticket=solved, status=Status.SOLVED, actor=agent)
        for ticket in (mine, unassigned, waiting, solved):
            set_tags(ticket=ticket, names=["fatura", f"lote-{number}"], actor=agent)


@pytest.mark.parametrize("count", [1, 12])
@pytest.mark.parametrize(
    ("view", "rows_per_round"),
    [("mine", 1), ("unassigned", 2), ("open", 3), ("waiting", 1), ("solved", 1)],
)
def test_every_inbox_tab_runs_a_fixed_number_of_queries(
    client, team, agent, view, rows_per_round, count, django_assert_num_queries
):
    tickets_in_every_tab(agent, team, count)
    client.force_login(agent)

    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get("/", {"view": view, "sort": "priority"})

    assert response.content.decode().count("data-row-link") == count * rows_per_round


@pytest.mark.parametrize(("view", "rows_per_round"), [("mine", 1), ("open", 2)])
def test_the_inbox_by_deadline_runs_the_same_number_of_queries(
    client, team, agent, view, rows_per_round, django_assert_num_queries
):
    """Waiting tickets' clocks are paused and solved ones stopped: they have no deadline."""
    ServiceLevelPolicyFactory(first_response_minutes=60)
    tickets_in_every_tab(agent, team, 12)
    client.force_login(agent)

    with django_assert_num_queries(INBOX_QUERIES):
        response = client.get("/", {"view": view, "sort": "deadline"})

    assert response.content.decode().count("time-left-due") == 12 * rows_per_round


def test_the_inbox_with_filters_and_a_cursor_runs_the_same_number_of_queries(
    client, team, agent, django_assert_num_queries
):
    tickets_in_every_tab(agent, team, 20)
    client.force_login(agent)
    first = client.get("/", {"view": "open", "tag": "fatura", "channel": "email"})
    cursor = first.context["page"].next_cursor

    with django_assert_num_queries(INBOX_QUERIES):
        client.get("/", {"view": "open", "tag": "fatura", "channel": "email", "cursor": cursor})


def busy_ticket(team, agent, colleague, others: int, entries: int):
    """A ticket with ``entries`` rounds of replies, notes, attachments and hand-offs, and a customer
    with ``others`` more tickets."""
    ticket = received_ticket(team=team)
    for number in range(others):
        received_ticket(team=team, subject=f"Outro assunto {number}")
    for number in range(entries):
        reply(ticket=ticket, agent=agent, body=f"Resposta {number}")
        add_note(ticket=ticket, agent=colleague, body=f"Nota {number}")
        receive(
            Inbound(
                channel=Channel.EMAIL,
                claims=[IdentityClaim(kind="email", value="maria@example.com")],
                body=f"Mensagem {number}",
                ticket_number=ticket.pk,
                files=[
                    InboundFile(
                        filename=f"fatura-{number}.pdf",
                        content_type="application/pdf",
                        content=f"PDF {number}".encode(),
                    )
                ],
            )
        )
        transfer(
            ticket=ticket,
            actor=agent,
            to_agent=colleague if number % 2 == 0 else agent,
            note=f"Passagem {number}",
        )
    set_tags(ticket=ticket, names=["fatura", "reembolso"], actor=agent)
    mark_presence(ticket=ticket, agent=colleague, activity="viewing")
    return ticket


@pytest.mark.parametrize(("others", "entries"), [(0, 1), (8, 15)])
def test_the_ticket_page_runs_a_fixed_number_of_queries(
    client, team, agent, colleague, others, entries, django_assert_num_queries
):
    for number in range(entries):
        AgentFactory(username=f"extra{number}", teams=[team])
    ticket = busy_ticket(team, agent, colleague, others, entries)
    client.force_login(colleague)

    with django_assert_num_queries(TICKET_PAGE_QUERIES):
        response = client.get(f"/tickets/{ticket.pk}/")

    assert response.status_code == 200
    assert response.content.decode().count('<li class="entry ') == ticket.timeline.count()


def test_a_ticket_with_merged_tickets_reads_their_ids_once(
    client, team, agent, colleague, django_assert_num_queries
):
    ticket = busy_ticket(team, agent, colleague, others=0, entries=2)
    duplicates = [received_ticket(team=team, subject=f"Duplicado {number}") for number in range(2)]
    for duplicate in duplicates:
        merge_tickets(target=ticket, absorbed=duplicate, actor=agent)
    client.force_login(colleague)

    with django_assert_num_queries(MERGED_TICKET_PAGE_QUERIES):
        response = client.get(f"/tickets/{ticket.pk}/")

    assert response.status_code == 200
    for duplicate in duplicates:
        assert f"(from ticket #{duplicate.pk})" in response.content.decode()


# A new message from a known customer (eleven, and the savepoints of receive() and triage): the
# customer's identity, the service level (the customer's tier, the policies), the ticket and the
# entry (with the language triage read before they were written), the search queue (the ticket and
# the message in one), triage's three (its settings, the reading, the suggestion) and the audit
# record. Was 18 while triage read the message after writing it and then corrected the entry's
# language, and identify() had a savepoint of its own.
RECEIVE_QUERIES = 15


def test_taking_a_new_message_runs_a_fixed_number_of_queries(team, django_assert_num_queries):
    received_ticket(team=team)

    with django_assert_num_queries(RECEIVE_QUERIES):
        receive(
            Inbound(
                channel=Channel.EMAIL,
                claims=[IdentityClaim(kind="email", value="maria@example.com")],
                subject="Outra fatura",
                body="A fatura de novembro também veio com o valor errado, podem ver?",
                team_id=team.pk,
            )
        )
