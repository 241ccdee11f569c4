"""The ticket page of a chat follows the chat live: the visitor's messages and typing reach an agent
who has the ticket open, without reloading, as they reach the Chats page. Other tickets' pages
follow nothing and cost no more queries."""

import json

import pytest

from attenda.channels.chat.models import ChatConversation
from tests.tickets.factories import received_ticket
from tests.tickets.test_query_counts import UNPINNED_TICKET_PAGE_QUERIES


@pytest.fixture
def chat(visitor, agent):
    visitor.start(name="Maria Santos", email="maria@example.com")
    return ChatConversation.objects.get()


def heard(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [
        json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: ")
    ]


def test_the_ticket_page_of_a_chat_follows_the_chat(client, chat, agent):
    client.force_login(agent)

    page = client.get(f"/tickets/{chat.ticket_id}/").content.decode()

    assert f'data-ticket-live="/chats/ticket/{chat.ticket_id}/events/?after=' in page
    assert "chat/ticket_live" in page


def test_an_agent_on_the_ticket_page_hears_the_visitor_write_and_type(client, visitor, chat, agent):
    client.force_login(agent)
    client.post(f"/chats/{chat.pk}/accept/")
    visitor.say("Ainda está aí?")
    visitor.post("typing", {"token": visitor.token})

    events = heard(client.get(f"/chats/ticket/{chat.ticket_id}/events/?after=0"))

    assert {"from": "visitor", "text": "Ainda está aí?"}.items() <= events[-2].items()
    assert events[-1] == {"kind": "typing", "from": "visitor"}


def test_someone_who_may_not_see_the_ticket_hears_nothing_of_its_chat(client, chat, outsider):
    client.force_login(outsider)

    response = client.get(f"/chats/ticket/{chat.ticket_id}/events/?after=0")

    assert response.status_code == 404


def test_once_the_chat_has_ended_the_ticket_page_follows_nothing(client, visitor, chat, agent):
    visitor.post("end", {"token": visitor.token})
    client.force_login(agent)

    page = client.get(f"/tickets/{chat.ticket_id}/").content.decode()
    response = client.get(f"/chats/ticket/{chat.ticket_id}/events/")

    assert "data-ticket-live" not in page
    assert response.status_code == 204


def test_an_email_tickets_page_follows_nothing_and_asks_chat_nothing(
    client, team, agent, django_assert_num_queries
):
    """The pinned count of the ticket page (tests/tickets/test_query_counts.py) holds with chat's
    panel registered: a ticket with no chat entry costs it no query."""
    ticket = received_ticket(team=team)
    client.force_login(agent)

    with django_assert_num_queries(UNPINNED_TICKET_PAGE_QUERIES):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "data-ticket-live" not in page
