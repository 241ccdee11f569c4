"""Agents take chats in the workspace: the queue of their teams, accept within their chat limit, a
returning customer offered to their own agent first, replies that reach the visitor at once, and
email offered once the visitor has gone."""

import math
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from attenda.channels.chat import presence, services, views
from attenda.channels.chat.identity import host_signature
from attenda.channels.chat.models import ChatConversation, ChatLimit, ChatState
from attenda.core import clock
from attenda.core.models import AuditEntry
from attenda.customers.services import set_standing_agent
from attenda.portal.services import new_sign_in_link
from attenda.tickets import delivery, search
from attenda.tickets.models import Channel, Delivery, EntryKind, TimelineEntry
from tests.agents.factories import AgentFactory
from tests.channels.chat.factories import Visitor
from tests.tickets.factories import outgoing_mailbox, received_ticket


@pytest.fixture
def waiting(visitor, agent):
    visitor.start(name="Maria Santos", email="maria@example.com")
    return ChatConversation.objects.get()


def test_the_chats_view_lists_waiting_chats_of_the_agents_teams(client, waiting, agent, outsider):
    client.force_login(agent)
    mine = client.get("/chats/")
    client.force_login(outsider)
    theirs = client.get("/chats/")

    assert "Accept the chat with Maria Santos" in mine.content.decode()
    assert "Maria Santos" not in theirs.content.decode()


def test_an_agent_accepts_a_chat_takes_its_ticket_and_the_visitor_hears_it(
    client, visitor, waiting, agent
):
    client.force_login(agent)

    response = client.post(f"/chats/{waiting.pk}/accept/")

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == ChatState.ACTIVE
    assert waiting.agent == agent
    assert waiting.ticket.owner == agent
    assert {"kind": "joined", "agent": "Ana"} in visitor.events()
    assert AuditEntry.objects.filter(action="chat.accepted").count() == 1


def test_an_agent_outside_the_widgets_team_cannot_accept(client, waiting, outsider):
    client.force_login(outsider)

    response = client.post(f"/chats/{waiting.pk}/accept/")

    assert response.status_code == 403
    waiting.refresh_from_db()
    assert waiting.state == ChatState.WAITING


def test_an_agent_at_their_chat_limit_cannot_take_another(client, widget, agent):
    ChatLimit.objects.create(agent=agent, limit=1)
    first, second = Visitor(widget=widget), Visitor(widget=widget)
    first.start()
    client.force_login(agent)
    client.post(f"/chats/{ChatConversation.objects.get().pk}/accept/")
    ChatLimit.objects.filter(agent=agent).update(limit=2)
    second.start("Boa tarde")
    ChatLimit.objects.filter(agent=agent).update(limit=1)
    later = ChatConversation.objects.get(state=ChatState.WAITING)

    response = client.post(f"/chats/{later.pk}/accept/", follow=True)

    assert "as many open chats as your limit allows" in response.content.decode()
    later.refresh_from_db()
    assert later.state == ChatState.WAITING


def test_with_every_agent_at_their_limit_the_widget_offers_a_message_form(
    client, widget, agent, team
):
    ChatLimit.objects.create(team=team, limit=1)
    Visitor(widget=widget).start()
    client.force_login(agent)
    client.post(f"/chats/{ChatConversation.objects.get().pk}/accept/")

    started = Visitor(widget=widget).start()

    assert started.status_code == 409


def test_the_default_chat_limit_is_three(client, widget, agent):
    client.force_login(agent)
    for n in range(3):
        Visitor(widget=widget).start(f"chat {n}")
        client.post(f"/chats/{ChatConversation.objects.get(state=ChatState.WAITING).pk}/accept/")

    assert ChatConversation.objects.filter(agent=agent, state=ChatState.ACTIVE).count() == 3
    assert Visitor(widget=widget).start().status_code == 409


def test_the_agents_reply_reaches_the_visitor_at_once(client, visitor, waiting, agent):
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")

    response = client.post(
        f"/chats/{waiting.pk}/send/",
        {"body": "Bom dia! Vou verificar."},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 201
    reply = TimelineEntry.objects.get(kind=EntryKind.REPLY)
    assert reply.channel == Channel.CHAT
    assert reply.delivery == Delivery.SENT
    heard = [event for event in visitor.events() if event.get("from") == "agent"]
    assert heard == [
        {
            "kind": "message",
            "id": reply.pk,
            "from": "agent",
            "name": "Ana",
            "text": "Bom dia! Vou verificar.",
            "at": reply.created_at.isoformat(),
        }
    ]


def test_an_agents_line_costs_a_fixed_number_of_statements(
    client, visitor, waiting, agent, django_assert_num_queries, monkeypatch
):
    """The open chat is read once (the route's, kept for the delivery), and the delivery state it
    sets is not read back."""
    monkeypatch.setattr(search.INDEXER, "queued_until", math.inf)
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")
    send = f"/chats/{waiting.pk}/send/"
    client.post(send, {"body": "Bom dia!"}, headers={"Accept": "application/json"})

    with django_assert_num_queries(14):
        response = client.post(send, {"body": "Vou ver."}, headers={"Accept": "application/json"})

    assert response.json()["delivery"] == Delivery.SENT


def test_the_agents_typing_is_heard_by_the_visitor(client, visitor, waiting, agent):
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")

    response = client.post(f"/chats/{waiting.pk}/typing/")

    assert response.status_code == 204
    assert {"kind": "typing", "from": "agent"} in visitor.events()


def test_the_agents_chat_page_shows_the_transcript_and_follows_the_chat(
    client, visitor, waiting, agent
):
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")
    visitor.say("Ainda está aí?")

    page = client.get(f"/chats/{waiting.pk}/")
    events = client.get(f"/chats/{waiting.pk}/events/?after=0")

    assert "Ainda está aí?" in page.content.decode()
    assert (
        b'"text":"Ainda est\xc3\xa1 a\xc3\xad?"' in b"".join(events.streaming_content)
        if (events.streaming)
        else events.content
    )


def test_someone_outside_the_team_cannot_follow_the_chat(client, waiting, outsider):
    client.force_login(outsider)

    assert client.get(f"/chats/{waiting.pk}/events/").status_code == 403
    assert client.get(f"/chats/{waiting.pk}/").status_code == 403


def test_once_the_visitor_has_gone_the_route_says_so_and_email_is_offered(
    client, waiting, agent, time_machine
):
    outgoing_mailbox()
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")
    time_machine.move_to(clock.now() + timedelta(minutes=5))

    routes = delivery.routes(waiting.ticket)

    assert routes[0].channel == Channel.CHAT
    assert routes[0].can_deliver is False
    assert routes[0].reason == "The visitor is no longer in the chat."
    assert [(route.channel, route.address) for route in routes[1:]] == [
        (Channel.EMAIL, "maria@example.com")
    ]


def test_a_visitor_whose_stream_stays_connected_is_never_taken_for_gone(client, waiting, agent):
    """The longest a connected visitor goes without a sign of life written: their stream connects
    just before SEEN_EVERY has passed since the last (nothing written), is held for STREAM_SECONDS,
    reconnects a second later, and that sign of life is written SEEN_BATCH_SECONDS after."""
    client.force_login(agent)
    client.post(f"/chats/{waiting.pk}/accept/")
    waiting.refresh_from_db()
    longest = (
        services.SEEN_EVERY
        + timedelta(seconds=views.STREAM_SECONDS + 1 + presence.SEEN_BATCH_SECONDS)
        - timedelta(milliseconds=1)
    )
    with time_machine.travel(waiting.visitor_seen_at + longest, tick=False):
        routes = delivery.routes(waiting.ticket)

    assert routes[0].channel == Channel.CHAT
    assert routes[0].can_deliver is True


def test_a_returning_customer_signed_by_the_host_site_is_offered_to_their_agent(
    client, widget, agent, colleague
):
    signature = host_signature(widget, "user-42", "maria@example.com")
    identity = {"user_id": "user-42", "user_email": "maria@example.com", "signature": signature}
    Visitor(widget=widget).start(**identity)
    first = ChatConversation.objects.get()
    set_standing_agent(customer=first.customer, agent=colleague, actor=AgentFactory(role="admin"))

    Visitor(widget=widget, address="198.51.100.4").start("Voltei", **identity)

    again = ChatConversation.objects.latest("pk")
    assert again.customer == first.customer
    assert again.offered_to == colleague
    client.force_login(agent)
    refused = client.post(f"/chats/{again.pk}/accept/", follow=True)
    assert "offered to the customer&#x27;s own agent" in refused.content.decode()
    client.force_login(colleague)
    client.post(f"/chats/{again.pk}/accept/")
    again.refresh_from_db()
    assert again.agent == colleague


def portal_browser(address: str) -> Client:
    """A browser signed into the customer portal by the link mailed to ``address``."""
    browser = Client()
    browser.post(urlsplit(new_sign_in_link(address=address)).path)
    return browser


def test_a_customer_signed_into_the_portal_is_offered_to_their_own_agent(widget, agent, colleague):
    # given
    earlier = received_ticket(team=widget.team, email="maria@example.com")
    set_standing_agent(customer=earlier.customer, agent=colleague, actor=AgentFactory(role="admin"))
    browser = portal_browser("maria@example.com")

    # when
    response = Visitor(widget=widget, client=browser).start("Voltei, sobre a fatura.")

    # then
    chat = ChatConversation.objects.get()
    assert response.status_code == 201
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert chat.customer == earlier.customer
    assert chat.offered_to == colleague


def test_a_browser_signed_out_of_the_portal_is_a_new_visitor(widget, agent, colleague):
    earlier = received_ticket(team=widget.team, email="maria@example.com")
    browser = portal_browser("maria@example.com")
    browser.post("/portal/sign-out/")

    Visitor(widget=widget, client=browser).start("Olá")

    chat = ChatConversation.objects.get()
    assert chat.customer != earlier.customer
    assert chat.offered_to is None


def test_a_bad_host_signature_does_not_recognise_anyone(widget, agent):
    identity = {"user_id": "user-42", "user_email": "maria@example.com"}
    Visitor(widget=widget).start(
        signature=host_signature(widget, "user-42", "maria@example.com"), **identity
    )

    Visitor(widget=widget).start("Sou a Maria", signature="0" * 64, **identity)

    first, second = ChatConversation.objects.order_by("pk")
    assert first.customer != second.customer


def test_a_visitor_is_recognised_by_the_id_an_earlier_chat_left_in_the_browser(
    widget, agent, colleague
):
    earlier = Visitor(widget=widget)
    earlier.start()
    first = ChatConversation.objects.get()
    first.ticket.owner = colleague
    first.ticket.save()
    earlier.post("end", {"token": earlier.token})

    Visitor(widget=widget, visitor=earlier.visitor).start("Voltei")

    again = ChatConversation.objects.latest("pk")
    assert again.customer == first.customer
    assert again.offered_to == colleague


def test_after_the_offer_expires_anyone_in_the_team_may_accept(
    client, widget, agent, colleague, time_machine
):
    earlier = Visitor(widget=widget)
    earlier.start()
    first = ChatConversation.objects.get()
    first.ticket.owner = colleague
    first.ticket.save()
    earlier.post("end", {"token": earlier.token})
    Visitor(widget=widget, visitor=earlier.visitor).start("Voltei")
    again = ChatConversation.objects.latest("pk")
    time_machine.move_to(clock.now() + timedelta(minutes=2))
    client.force_login(agent)

    client.post(f"/chats/{again.pk}/accept/")

    again.refresh_from_db()
    assert again.agent == agent


def test_a_new_visitors_chat_is_offered_to_nobody_in_particular(waiting):
    assert waiting.offered_to is None


def test_a_waiting_visitor_hears_their_new_place_when_the_chat_ahead_is_taken(
    client, widget, agent
):
    first, second = Visitor(widget=widget), Visitor(widget=widget)
    first.start()
    placed = second.start("Boa tarde")
    client.force_login(agent)

    client.post(f"/chats/{ChatConversation.objects.order_by('pk').first().pk}/accept/")

    assert placed.json()["position"] == 2
    places = [event["position"] for event in second.events() if event["kind"] == "queue"]
    assert places == [1]
