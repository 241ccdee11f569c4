"""Chats over the API: an integrator's desk lists the chats waiting for the agent's teams, takes
one, writes to the visitor (who hears it at once) and ends it, with the rules of the Chats pages."""

import pytest

from attenda.channels.chat.models import ChatConversation, ChatLimit, ChatState
from attenda.tickets.models import Delivery, TimelineEntry
from tests.channels.chat.factories import ChatWidgetFactory, Visitor


@pytest.fixture
def visitor(team):
    return Visitor(widget=ChatWidgetFactory(team=team))


@pytest.fixture
def waiting(visitor, agent):
    visitor.start(name="Maria Santos", email="maria@example.com")
    return ChatConversation.objects.get()


def test_an_agent_lists_the_chats_waiting_for_their_teams(api, outsider_api, waiting):
    mine = api.get("/chats", state="waiting")
    theirs = outsider_api.get("/chats")

    assert mine.status_code == 200
    assert [
        (chat["id"], chat["state"], chat["customer_name"]) for chat in mine.json()["items"]
    ] == [(waiting.pk, "waiting", "Maria Santos")]
    assert mine.json()["items"][0]["ticket"] == waiting.ticket_id
    assert theirs.json() == {"items": []}


def test_an_unknown_query_parameter_is_refused(api, waiting):
    response = api.get("/chats", status="waiting")

    assert response.status_code == 422
    assert response.json()["fields"] == {"status": ["This endpoint takes no such parameter."]}


def test_an_agent_takes_a_chat_writes_to_the_visitor_and_ends_it(api, visitor, waiting, agent):
    taken = api.post(f"/chats/{waiting.pk}/accept")
    sent = api.post(f"/chats/{waiting.pk}/messages", {"body": "Bom dia, vou ver a encomenda."})
    ended = api.post(f"/chats/{waiting.pk}/end")

    assert taken.status_code == 200
    assert (taken.json()["state"], taken.json()["agent_id"]) == ("active", agent.pk)
    assert sent.status_code == 201
    assert sent.json()["delivery"]["state"] == Delivery.SENT
    assert ended.json()["state"] == "ended"
    heard = visitor.events()
    assert {"kind": "joined", "agent": "Ana"} in heard
    assert any(event.get("text") == "Bom dia, vou ver a encomenda." for event in heard)
    assert {"kind": "ended", "by": "agent"} in heard
    assert api.get("/chats").json() == {"items": []}


def test_a_chat_someone_else_took_cannot_be_taken_again(api, colleague_api, waiting, colleague):
    colleague_api.post(f"/chats/{waiting.pk}/accept")

    response = api.post(f"/chats/{waiting.pk}/accept")

    assert response.status_code == 409
    assert response.json()["code"] == "cannot_accept"
    waiting.refresh_from_db()
    assert waiting.agent == colleague


def test_an_agent_at_their_chat_limit_is_refused(api, waiting, agent):
    ChatLimit.objects.create(agent=agent, limit=0)

    response = api.post(f"/chats/{waiting.pk}/accept")

    assert response.status_code == 409
    waiting.refresh_from_db()
    assert waiting.state == ChatState.WAITING


def test_only_the_agent_who_took_the_chat_writes_in_it(api, colleague_api, waiting):
    colleague_api.post(f"/chats/{waiting.pk}/accept")

    response = api.post(f"/chats/{waiting.pk}/messages", {"body": "Olá"})

    assert response.status_code == 409
    assert response.json()["code"] == "not_your_chat"
    assert not TimelineEntry.objects.filter(body="Olá").exists()


def test_a_chat_of_another_team_is_not_found(outsider_api, waiting):
    read = outsider_api.get(f"/chats/{waiting.pk}")
    taken = outsider_api.post(f"/chats/{waiting.pk}/accept")
    ended = outsider_api.post(f"/chats/{waiting.pk}/end")

    assert (read.status_code, taken.status_code, ended.status_code) == (404, 404, 404)
    waiting.refresh_from_db()
    assert waiting.state == ChatState.WAITING


def test_a_blank_message_is_refused(api, waiting):
    api.post(f"/chats/{waiting.pk}/accept")

    response = api.post(f"/chats/{waiting.pk}/messages", {"body": "   "})

    assert response.status_code == 422
    assert response.json()["fields"] == {"body": ["This field cannot be blank."]}
